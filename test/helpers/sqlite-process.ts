import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SQLITE_CHILD = join(ROOT, 'test/helpers/sqlite-child.mjs');

/**
 * Compiles src/store/sqlite.ts and the project files it imports to plain JS in
 * a temporary folder (with node_modules linked in), so a child `node` process
 * can run the real store. Returns the compiled module's path and a cleanup.
 */
export function compileSqliteStore(): { modulePath: string; dispose(): void } {
  const out = mkdtempSync(join(tmpdir(), 'vmk-store-js-'));
  symlinkSync(join(ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  const seen = new Set<string>();
  const queue = [join(ROOT, 'src/store/sqlite.ts')];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = readFileSync(file, 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: file,
    });
    const target = join(out, relative(ROOT, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
    // Follow the relative imports that survive compilation (type-only ones are gone).
    for (const m of outputText.matchAll(/\bfrom\s+['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
      queue.push(resolve(dirname(file), `${m[1]}.ts`));
    }
  }
  return { modulePath: join(out, 'src/store/sqlite.js'), dispose: () => rmSync(out, { recursive: true, force: true }) };
}

export function spawnSqliteChild(modulePath: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [SQLITE_CHILD, modulePath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a child to completion; rejects with its stderr when it fails. */
export function runSqliteChild(modulePath: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnSqliteChild(modulePath, args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolvePromise(stdout) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}
