/**
 * The knowledge loader against the real files and against deliberately broken
 * copies of them. Every broken case pins the message a maintainer would read:
 * the file, the line, the path inside the file and what is wrong.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseDocument, stringify, type Document } from 'yaml';
import type { z } from 'zod';
import { KnowledgeError } from '../src/errors.js';
import { loadKnowledge } from '../src/knowledge/load.js';
import { IntentFileSchema, LexiconFileSchema } from '../src/knowledge/schema.js';
import { KNOWLEDGE_DIR, PROJECT_ROOT } from '../src/paths.js';
import { DIMENSIONS, TOPICS } from '../src/types.js';

const BAD = join(PROJECT_ROOT, 'test', 'fixtures', 'knowledge-bad');
const made: string[] = [];

afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** 40+ distinct phrasings for a fixture intent file. */
function phrasings(n: number): string[] {
  const asks = ['what can you do', 'how do I use this', 'show me the commands', 'help me out', 'what do you know'];
  const tails = ['please', 'today', 'again', 'for my team', 'in short', 'quickly', 'here', 'now', 'right away'];
  const out: string[] = [];
  for (const a of asks) for (const t of tails) out.push(`${a} ${t}`);
  return out.slice(0, n);
}

/** The files this suite's fixtures are built from; the rest come from the real folder only when they are valid. */
const CONTENT_FILES = ['article.yaml', 'dimensions.yaml', 'topics.yaml', 'platforms.yaml', 'guidance.yaml', 'nearby.yaml'];

function validAgainst(file: string, schema: z.ZodType): boolean {
  try {
    return schema.safeParse(parse(readFileSync(file, 'utf8'))).success;
  } catch {
    return false;
  }
}

/**
 * A temporary knowledge folder built from the real one. The content files are
 * copied as they are; the lexicon and intent files are copied when they are
 * valid on their own, and otherwise replaced by minimal valid ones, so each
 * case below breaks exactly one thing and nothing else.
 */
function knowledgeCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vmk-knowledge-'));
  made.push(dir);
  for (const f of CONTENT_FILES) copyFileSync(join(KNOWLEDGE_DIR, f), join(dir, f));

  const lexicon = join(KNOWLEDGE_DIR, 'lexicon.yaml');
  if (existsSync(lexicon) && validAgainst(lexicon, LexiconFileSchema)) {
    copyFileSync(lexicon, join(dir, 'lexicon.yaml'));
  } else {
    const minimal = {
      platforms: {
        kubernetes: ['kubernetes', 'k8s', 'kube', 'containers', 'pods'],
        vm: ['vm', 'vms', 'virtual machine', 'virtual machines', 'hypervisor'],
      },
      topics: Object.fromEntries(TOPICS.map((t) => [t, [t, t.replace(/_/g, ' '), `${t.replace(/_/g, ' ')} question`]])),
      slang: { k8s: 'kubernetes', pls: 'please' },
    };
    writeFileSync(join(dir, 'lexicon.yaml'), stringify(minimal));
  }

  const intents = join(dir, 'intents');
  mkdirSync(intents);
  const realIntents = join(KNOWLEDGE_DIR, 'intents');
  const candidates = existsSync(realIntents) ? readdirSync(realIntents).filter((f) => f.endsWith('.yaml')) : [];
  for (const f of candidates) {
    const full = join(realIntents, f);
    if (validAgainst(full, IntentFileSchema) && (parse(readFileSync(full, 'utf8')) as { id?: unknown }).id === basename(f, '.yaml')) {
      copyFileSync(full, join(intents, f));
    }
  }
  if (readdirSync(intents).length === 0) {
    const help = { id: 'help', description: 'Explains what the bot can answer.', usage: ['help'], examples: phrasings(40) };
    writeFileSync(join(intents, 'help.yaml'), stringify(help));
  }
  return dir;
}

/** Edits one YAML file in place, keeping its layout (so line numbers stay meaningful). */
function edit(dir: string, file: string, change: (doc: Document) => void): void {
  const full = join(dir, file);
  const doc = parseDocument(readFileSync(full, 'utf8'));
  change(doc);
  writeFileSync(full, doc.toString());
}

/** The 1-based line of the nth line (0-based n) in a file that matches a pattern. */
function lineOf(dir: string, file: string, pattern: RegExp, n = 0): number {
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  const hits = lines.flatMap((l, i) => (pattern.test(l) ? [i + 1] : []));
  const hit = hits[n];
  if (hit === undefined) throw new Error(`fixture setup: ${file} has no ${n + 1}th line matching ${pattern}`);
  return hit;
}

function loadError(dir: string): KnowledgeError {
  try {
    loadKnowledge(dir);
  } catch (err) {
    if (err instanceof KnowledgeError) return err;
    throw err;
  }
  throw new Error('expected loadKnowledge to throw a KnowledgeError');
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('the real knowledge base', () => {
  it('loads and validates', () => {
    const k = loadKnowledge();
    expect([...k.topics.keys()]).toEqual([...TOPICS]);
    expect([...k.topics.keys()].slice(0, DIMENSIONS.length)).toEqual([...DIMENSIONS]);
    expect(k.platforms.vm.id).toBe('vm');
    expect(k.platforms.kubernetes.id).toBe('kubernetes');
    expect(k.guidance.when_vm.length).toBeGreaterThan(0);
    expect(k.article.sections.length).toBe(14);
    for (const t of k.topics.values()) expect(Array.isArray(t.beyond)).toBe(true);
  });

  it('loads from a fresh copy too (the fixture base used below is valid)', () => {
    const k = loadKnowledge(knowledgeCopy());
    expect(k.topics.size).toBe(TOPICS.length);
    expect(k.intents.length).toBeGreaterThan(0);
  });
});

describe('a broken knowledge file', () => {
  it('with a bad enum in favours names the file, line, path and allowed values', () => {
    const dir = knowledgeCopy();
    edit(dir, 'dimensions.yaml', (doc) => doc.setIn(['dimensions', 2, 'favours'], 'containers'));
    const err = loadError(dir);
    expect(err.code).toBe('VMK_KNOWLEDGE_INVALID');
    expect(err.problems).toHaveLength(1);
    const line = lineOf(dir, 'dimensions.yaml', /^\s+favours:/, 2);
    expect(err.problems[0]).toMatchObject({ path: 'dimensions[2].favours', line });
    expect(err.problems[0]?.file).toMatch(/dimensions\.yaml$/);
    expect(err.message).toMatch(
      new RegExp(`dimensions\\.yaml:${line} at dimensions\\[2\\]\\.favours: Invalid option: expected one of "vm"\\|"kubernetes"\\|"depends"`),
    );
    expect(err.message).toMatch(/^The knowledge base has 1 problem; fix the file\(s\) below and start again:/);
  });

  it('with a missing field names the path of the field', () => {
    const dir = knowledgeCopy();
    edit(dir, 'dimensions.yaml', (doc) => doc.deleteIn(['dimensions', 0, 'reasoning']));
    const err = loadError(dir);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ path: 'dimensions[0].reasoning' });
    expect(err.message).toMatch(/dimensions\.yaml at dimensions\[0\]\.reasoning: Invalid input: expected string, received undefined/);
  });

  it('with a wrong type names the path and both types', () => {
    const dir = knowledgeCopy();
    edit(dir, 'platforms.yaml', (doc) => doc.setIn(['vm', 'points', 1, 'dimensions'], 'isolation'));
    const err = loadError(dir);
    const line = lineOf(dir, 'platforms.yaml', /^\s+dimensions:/, 1);
    expect(err.problems).toHaveLength(1);
    expect(err.message).toMatch(
      new RegExp(`platforms\\.yaml:${line} at vm\\.points\\[1\\]\\.dimensions: Invalid input: expected array, received string`),
    );
  });

  it('with an unknown section id lists the ones that exist', () => {
    const dir = knowledgeCopy();
    edit(dir, 'topics.yaml', (doc) => doc.setIn(['topics', 1, 'section'], 'benefits'));
    const err = loadError(dir);
    expect(err.message).toMatch(/topics\.yaml:\d+ at topics\[1\]\.section: Invalid option: expected one of "introduction"\|"rise-of-vms"\|/);
  });

  it('with an unexpected key names the key', () => {
    const dir = knowledgeCopy();
    edit(dir, 'article.yaml', (doc) => doc.set('colour', 'blue'));
    const err = loadError(dir);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]?.path).toBe('');
    expect(err.message).toMatch(/article\.yaml:\d+: Unrecognized key: "colour"/);
  });

  it('with a YAML syntax error gives the line and says it is a syntax problem', () => {
    const dir = knowledgeCopy();
    copyFileSync(join(BAD, 'guidance.yaml'), join(dir, 'guidance.yaml'));
    const err = loadError(dir);
    expect(err.problems.length).toBeGreaterThanOrEqual(1);
    for (const p of err.problems) {
      expect(p.file).toMatch(/guidance\.yaml$/);
      expect(p.message).toMatch(/^YAML syntax: /);
    }
    // The unclosed [ on line 5 is detected where the next key starts, on line 6.
    const open = lineOf(dir, 'guidance.yaml', /\[isolation, security$/);
    expect(err.problems.map((p) => p.line)).toContain(open + 1);
    expect(err.message).toMatch(
      new RegExp(`guidance\\.yaml:${open + 1}: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a \\]`),
    );
  });

  it('that is missing says which file was not found', () => {
    const dir = knowledgeCopy();
    unlinkSync(join(dir, 'platforms.yaml'));
    const err = loadError(dir);
    expect(err.problems).toEqual([{ file: expect.stringMatching(/platforms\.yaml$/), path: '', message: 'file not found' }]);
    expect(err.message).toMatch(new RegExp(`${esc(join(dir, 'platforms.yaml').split('/').slice(-2).join('/'))}: file not found`));
  });

  it('with an intent of fewer than 40 examples asks for more phrasings', () => {
    const dir = knowledgeCopy();
    const help = { id: 'help', description: 'Explains what the bot can answer.', usage: ['help'], examples: phrasings(39) };
    writeFileSync(join(dir, 'intents', 'help.yaml'), stringify(help));
    const err = loadError(dir);
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]?.file).toMatch(/intents[/\\]help\.yaml$/);
    const line = lineOf(dir, 'intents/help.yaml', /^ {2}- /, 1);
    expect(err.message).toMatch(
      new RegExp(`intents/help\\.yaml:${line} at examples: write at least 40 varied phrasings per intent`),
    );
  });

  it('with the dimensions out of the article order says which id belongs where', () => {
    const dir = knowledgeCopy();
    edit(dir, 'dimensions.yaml', (doc) => {
      const first = doc.getIn(['dimensions', 0]);
      doc.setIn(['dimensions', 0], doc.getIn(['dimensions', 1]));
      doc.setIn(['dimensions', 1], first);
    });
    const err = loadError(dir);
    expect(err.problems.map((p) => p.path)).toEqual(['dimensions[0].id', 'dimensions[1].id']);
    expect(err.message).toMatch(/dimensions\.yaml at dimensions\[0\]\.id: expected "resource_efficiency" here \(the article's order\)/);
  });

  it('with a topic defined twice points at the duplicate', () => {
    const dir = knowledgeCopy();
    edit(dir, 'topics.yaml', (doc) => doc.setIn(['topics', 2, 'id'], 'scaling'));
    const err = loadError(dir);
    expect(err.message).toMatch(/topics\.yaml at topics\[2\]\.id: "scaling" is already defined/);
    expect(err.message).toMatch(/topics\.yaml at topics: topic "developer_experience" is missing/);
  });

  it('reports every problem in every file at once', () => {
    const dir = knowledgeCopy();
    edit(dir, 'dimensions.yaml', (doc) => doc.setIn(['dimensions', 5, 'favours'], 'both'));
    edit(dir, 'guidance.yaml', (doc) => doc.setIn(['when_vm', 0, 'section'], 42));
    unlinkSync(join(dir, 'article.yaml'));
    const err = loadError(dir);
    expect(err.problems.map((p) => p.path)).toEqual(['', 'dimensions[5].favours', 'when_vm[0].section']);
    expect(err.message).toMatch(/^The knowledge base has 3 problems;/);
  });
});
