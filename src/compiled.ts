/**
 * Compiled knowledge: the validated knowledge base, the advisor catalogue and
 * the trained classifier, written to one JSON file by `npm run build`
 * (scripts/compile-knowledge.ts) so the server does not parse YAML, validate
 * it and train at every start.
 *
 * The file is used only when it was built from exactly the current sources:
 * it carries a SHA-256 over every knowledge/*.yaml file, the code that loads,
 * validates and trains (src/knowledge, src/understanding, src/advisor/catalog,
 * src/types, this file) and the versions of natural, js-yaml and zod. Any
 * difference, a missing file or a file that does not parse, and start-up
 * loads, validates and trains from knowledge/ as it would without it.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { catalogOf, loadCatalog, type AdvisorFile, type Catalog } from './advisor/catalog.js';
import { loadKnowledge } from './knowledge/load.js';
import type { Knowledge, TopicEntry } from './knowledge/schema.js';
import { trainNluModel, type NluModel } from './understanding/index.js';
import { nluKnowledge } from './understanding/corpus.js';
import { KNOWLEDGE_DIR, PROJECT_ROOT } from './paths.js';
import type { Topic } from './types.js';

/** Bumped whenever the layout of the file changes. */
const FORMAT = 1;

/** Where `npm run build` writes the compiled knowledge. */
export const COMPILED_KNOWLEDGE_FILE = join(PROJECT_ROOT, 'dist', 'knowledge.compiled.json');

export interface CompiledKnowledge {
  knowledge: Knowledge;
  catalog: Catalog;
  nlu: NluModel;
}

interface CompiledFile {
  format: number;
  hash: string;
  knowledge: Omit<Knowledge, 'topics'> & { topics: [Topic, TopicEntry][] };
  advisor: AdvisorFile;
  nlu: NluModel;
}

/** Every file below `dir` whose name ends with one of `exts`, as paths relative to `dir`, sorted. */
function listFiles(dir: string, exts: string[]): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (exts.some((x) => e.name.endsWith(x)) && !e.name.endsWith('.d.ts')) out.push(relative(dir, full));
    }
  };
  walk(dir);
  return out.sort();
}

/** The code whose output the file holds: this module's own folder tree, as built (.js) or as source (.ts under a test runner). */
function codeFiles(): string[] {
  const self = fileURLToPath(import.meta.url);
  const here = dirname(self);
  const ext = extname(self);
  const tree = (sub: string) => listFiles(join(here, sub), [ext]).map((f) => join(here, sub, f));
  return [self, join(here, `types${ext}`), join(here, 'advisor', `catalog${ext}`), ...tree('knowledge'), ...tree('understanding')];
}

const require = createRequire(import.meta.url);

/** The hash the compiled file must carry to be used with the knowledge in `dir` and the code running now. */
export function sourceHash(dir: string = KNOWLEDGE_DIR): string {
  const h = createHash('sha256');
  h.update(`format ${FORMAT}\n`);
  for (const f of listFiles(dir, ['.yaml', '.yml', '.jsonl'])) {
    h.update(`knowledge ${f}\n`);
    h.update(readFileSync(join(dir, f)));
  }
  for (const f of codeFiles()) {
    h.update(`code ${relative(PROJECT_ROOT, f)}\n`);
    h.update(readFileSync(f));
  }
  for (const pkg of ['natural', 'js-yaml', 'zod']) {
    h.update(`package ${pkg} ${(require(`${pkg}/package.json`) as { version: string }).version}\n`);
  }
  return h.digest('hex');
}

/** Loads, validates and trains from `dir` (throws KnowledgeError on bad knowledge) and returns the file's JSON text. */
export function compileKnowledge(dir: string = KNOWLEDGE_DIR): string {
  const hash = sourceHash(dir);
  const knowledge = loadKnowledge(dir);
  const catalog = loadCatalog(dir);
  const file: CompiledFile = {
    format: FORMAT,
    hash,
    knowledge: { ...knowledge, topics: [...knowledge.topics] },
    advisor: catalog.file,
    nlu: trainNluModel(nluKnowledge(knowledge, dir)),
  };
  return JSON.stringify(file);
}

/** Writes the compiled knowledge for `dir` to `file` (atomically: a reader never sees half a file). */
export function writeCompiledKnowledge(file: string = COMPILED_KNOWLEDGE_FILE, dir: string = KNOWLEDGE_DIR): void {
  const text = compileKnowledge(dir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** Removes a compiled file (when the knowledge no longer validates, so no stale copy lingers). */
export function removeCompiledKnowledge(file: string = COMPILED_KNOWLEDGE_FILE): void {
  rmSync(file, { force: true });
}

export type CompiledRead = { ok: true; compiled: CompiledKnowledge } | { ok: false; reason: 'missing' | 'unreadable' | 'stale' };

/** Reads the compiled file for `dir`; `ok: false` when there is none, it does not parse, or it was built from other sources. */
export function readCompiledKnowledge(file: string = COMPILED_KNOWLEDGE_FILE, dir: string = KNOWLEDGE_DIR): CompiledRead {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { ok: false, reason: 'missing' };
  }
  let parsed: CompiledFile;
  try {
    parsed = JSON.parse(text) as CompiledFile;
  } catch {
    return { ok: false, reason: 'unreadable' };
  }
  if (typeof parsed !== 'object' || parsed === null || parsed.format !== FORMAT) return { ok: false, reason: 'unreadable' };
  if (parsed.hash !== sourceHash(dir)) return { ok: false, reason: 'stale' };
  return {
    ok: true,
    compiled: {
      knowledge: { ...parsed.knowledge, topics: new Map(parsed.knowledge.topics) },
      catalog: catalogOf(parsed.advisor),
      nlu: parsed.nlu,
    },
  };
}
