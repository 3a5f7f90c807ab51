import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { IntentFileSchema, LexiconFileSchema, NearbyFileSchema } from '../src/knowledge/schema.js';
import type { NluKnowledge } from '../src/understanding/index.js';
import { KNOWLEDGE_DIR } from '../src/paths.js';
import { loadCorpus } from '../src/understanding/corpus.js';

/** Just the knowledge the language models train on (lexicon, intents, nearby subjects, corpus), validated with the real schemas. */
export function loadNluKnowledge(): NluKnowledge {
  const lexicon = LexiconFileSchema.parse(parse(readFileSync(join(KNOWLEDGE_DIR, 'lexicon.yaml'), 'utf8')));
  const dir = join(KNOWLEDGE_DIR, 'intents');
  const intents = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => IntentFileSchema.parse(parse(readFileSync(join(dir, f), 'utf8'))));
  const nearby = NearbyFileSchema.parse(parse(readFileSync(join(KNOWLEDGE_DIR, 'nearby.yaml'), 'utf8'))).subjects;
  return { lexicon, intents, nearby, corpus: loadCorpus() };
}

export const DEV_FILE = new URL('./data/dev.jsonl', import.meta.url);
