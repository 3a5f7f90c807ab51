import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { CORE_SCHEMA, load } from 'js-yaml';
import type { KnowledgeProblem } from '../errors.js';

/**
 * Reading knowledge files. The fast path parses with js-yaml; the `yaml`
 * package, which keeps node positions, is loaded only when there is an error
 * to point at (a syntax error, or a schema problem that needs its line).
 */

const require = createRequire(import.meta.url);
type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;
const positional = (): YamlModule => (yamlModule ??= require('yaml') as YamlModule);

/** How a knowledge file is named in error messages: relative to where vmk runs. */
export function shownPath(dir: string, file: string): string {
  const full = join(dir, file);
  return relative(process.cwd(), full) || full;
}

/** "dimensions[2].favours". */
export function formatPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
}

export interface YamlFile {
  /** The file as named in error messages. */
  shown: string;
  value: unknown;
  /** The line of the node at `path` (parses the file again, so call it only to report a problem). */
  lineOf(path: PropertyKey[]): number | undefined;
}

/** Reads one YAML file; problems (missing file, syntax) are appended and undefined returned. */
export function readYamlFile(dir: string, file: string, problems: KnowledgeProblem[]): YamlFile | undefined {
  const shown = shownPath(dir, file);
  let source: string;
  try {
    source = readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    problems.push({ file: shown, path: '', message: code === 'ENOENT' ? 'file not found' : `cannot read (${code ?? String(err)})` });
    return undefined;
  }
  const located = () => {
    const { LineCounter, parseDocument } = positional();
    const lineCounter = new LineCounter();
    return { doc: parseDocument(source, { lineCounter, prettyErrors: false }), lineCounter };
  };
  let value: unknown;
  try {
    value = load(source, { schema: CORE_SCHEMA, filename: shown });
  } catch (fastError) {
    const { doc, lineCounter } = located();
    if (doc.errors.length === 0) {
      problems.push({ file: shown, path: '', message: `YAML syntax: ${(fastError as Error).message.split('\n')[0] ?? ''}` });
    }
    for (const e of doc.errors) {
      problems.push({ file: shown, path: '', line: lineCounter.linePos(e.pos[0]).line, message: `YAML syntax: ${e.message.split('\n')[0] ?? ''}` });
    }
    return undefined;
  }
  let cache: ReturnType<typeof located> | undefined;
  return {
    shown,
    value,
    lineOf(path) {
      cache ??= located();
      const node = cache.doc.getIn(path as (string | number)[], true) as { range?: [number, number, number] } | undefined;
      return node?.range ? cache.lineCounter.linePos(node.range[0]).line : undefined;
    },
  };
}
