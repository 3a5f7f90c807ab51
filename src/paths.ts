import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: the nearest folder above this file holding package.json (works from src/ and dist/src/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'knowledge'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('vmk cannot find its project root (a folder with package.json and knowledge/)');
    dir = up;
  }
}

export const PROJECT_ROOT = findRoot();
export const KNOWLEDGE_DIR = join(PROJECT_ROOT, 'knowledge');
