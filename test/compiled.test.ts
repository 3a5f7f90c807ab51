import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWorkloadsJsonl } from '../src/advisor/index.js';
import { readCompiledKnowledge, sourceHash, writeCompiledKnowledge } from '../src/compiled.js';
import { buildEngineCore, type Core } from '../src/core.js';
import { readJsonl } from '../src/understanding/eval.js';
import { KNOWLEDGE_DIR } from '../src/paths.js';
import { createStore } from '../src/store/index.js';
import type { InboundMessage } from '../src/types.js';
import { DEV_FILE } from './nlu-knowledge.js';

const dev = readJsonl(readFileSync(DEV_FILE, 'utf8'));
const workloads = parseWorkloadsJsonl(readFileSync(new URL('./data/workloads.jsonl', import.meta.url), 'utf8'));
const NOW = Date.UTC(2026, 0, 15, 12);

let tmp: string;
let dir: string;
let file: string;

async function core(compiled: string | false, knowledgeDir = dir): Promise<Core> {
  const store = await createStore({ kind: 'memory', dataDir: '', now: () => NOW });
  return buildEngineCore({ store, knowledgeDir, compiled, now: () => NOW });
}

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'vmk-compiled-'));
  dir = join(tmp, 'knowledge');
  cpSync(KNOWLEDGE_DIR, dir, { recursive: true });
  file = join(tmp, 'knowledge.compiled.json');
  writeCompiledKnowledge(file, dir);
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('compiled knowledge', () => {
  it('is used when built from the current sources, and gives the same knowledge and classifications as training', async () => {
    const compiled = await core(file);
    const fresh = await core(false);
    expect(compiled.knowledgeSource).toBe('compiled');
    expect(fresh.knowledgeSource).toBe('fresh');
    expect(compiled.knowledge).toEqual(fresh.knowledge);

    expect(dev.length).toBeGreaterThan(200);
    const contexts = [{}, { lastIntent: 'ask_topic' as const, lastTopic: 'security' as const, lastPlatform: 'vm' as const }];
    for (const line of dev) {
      for (const context of contexts) {
        expect(compiled.nlu.classify(line.text, context), line.text).toEqual(fresh.nlu.classify(line.text, context));
      }
    }
  });

  it('gives the same workload reviews and the same turns as training', async () => {
    const compiled = await core(file);
    const fresh = await core(false);
    for (const w of workloads) {
      expect(compiled.advisor.review(w.text, 'U1', NOW), w.text).toEqual(fresh.advisor.review(w.text, 'U1', NOW));
    }
    const script = ['hi', 'how do VMs and Kubernetes compare on isolation?', 'and for VMs?', 'help me choose', '1', '2', 'back', '1', 'thanks'];
    for (const text of script) {
      const msg: InboundMessage = { platform: 'console', workspace: 'w', conversation: 'c', user: 'U1', text, receivedAt: NOW };
      const a = await compiled.engine.handle(msg);
      const b = await fresh.engine.handle(msg);
      expect(a.replies, text).toEqual(b.replies);
    }
  });

  it('is ignored once a knowledge file changes, and the edit is picked up', async () => {
    const word = 'zorblequark';
    const before = await core(file);
    expect(before.knowledgeSource).toBe('compiled');
    expect(before.nlu.classify(`what is ${word}?`).platform).toBeNull();

    const lexicon = join(dir, 'lexicon.yaml');
    const original = readFileSync(lexicon, 'utf8');
    const oldHash = sourceHash(dir);
    try {
      writeFileSync(lexicon, original.replace(/^slang:\n/m, `slang:\n  ${word}: kubernetes\n`));
      expect(sourceHash(dir)).not.toBe(oldHash);
      expect(readCompiledKnowledge(file, dir)).toEqual({ ok: false, reason: 'stale' });

      const after = await core(file);
      expect(after.knowledgeSource).toBe('fresh');
      expect(after.knowledge.lexicon.slang[word]).toBe('kubernetes');
      expect(after.nlu.classify(`what is ${word}?`).platform).toBe('kubernetes');
    } finally {
      writeFileSync(lexicon, original);
    }
    // The original sources match the file again.
    expect((await core(file)).knowledgeSource).toBe('compiled');
  });

  it('falls back to loading and training when the file is missing or corrupt', async () => {
    expect(readCompiledKnowledge(join(tmp, 'nope.json'), dir)).toEqual({ ok: false, reason: 'missing' });
    expect((await core(join(tmp, 'nope.json'))).knowledgeSource).toBe('fresh');

    const corrupt = join(tmp, 'corrupt.json');
    writeFileSync(corrupt, readFileSync(file, 'utf8').slice(0, 5000));
    expect(readCompiledKnowledge(corrupt, dir)).toEqual({ ok: false, reason: 'unreadable' });
    const c = await core(corrupt);
    expect(c.knowledgeSource).toBe('fresh');
    expect(c.nlu.classify('how do VMs and Kubernetes compare on isolation?').topic).toBe('isolation');
  });

  it('belongs to the folder it was built from', async () => {
    // The same file read for the project's own knowledge folder: equal contents, so the hash matches...
    expect(sourceHash(KNOWLEDGE_DIR)).toBe(sourceHash(dir));
    // ...while a folder with one extra file does not.
    writeFileSync(join(dir, 'intents', 'extra.yml'), 'x: 1\n');
    try {
      expect(readCompiledKnowledge(file, dir)).toEqual({ ok: false, reason: 'stale' });
    } finally {
      rmSync(join(dir, 'intents', 'extra.yml'));
    }
  });
});
