/**
 * The labelled corpus: messages people wrote, each with the intent (and, for
 * topic questions, the topic) it should get. Every file in knowledge/corpus
 * is training data for the intent and topic models.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KnowledgeError } from '../errors.js';
import { KNOWLEDGE_DIR } from '../paths.js';
import { shownPath } from '../knowledge/yaml.js';
import type { Knowledge } from '../knowledge/schema.js';
import { readJsonl } from './eval.js';
import type { CorpusLine, NluKnowledge } from './index.js';

export const CORPUS_DIR = 'corpus';

/** Reads every `.jsonl` file in knowledge/corpus; a bad line throws a KnowledgeError naming the file and line. */
export function loadCorpus(dir: string = KNOWLEDGE_DIR): CorpusLine[] {
  let files: string[];
  try {
    files = readdirSync(join(dir, CORPUS_DIR)).filter((f) => f.endsWith('.jsonl')).sort();
  } catch {
    return [];
  }
  const out: CorpusLine[] = [];
  for (const f of files) {
    const shown = shownPath(dir, join(CORPUS_DIR, f));
    try {
      for (const l of readJsonl(readFileSync(join(dir, CORPUS_DIR, f), 'utf8'))) out.push(l);
    } catch (err) {
      const m = /^line (\d+): (.*)$/s.exec((err as Error).message);
      throw new KnowledgeError([{ file: shown, path: '', line: m ? Number(m[1]) : undefined, message: m ? (m[2] as string) : (err as Error).message }]);
    }
  }
  return out;
}

/** What the language models train on: the knowledge base's lexicon and intents, and the corpus beside them. */
export function nluKnowledge(knowledge: Pick<Knowledge, 'lexicon' | 'intents' | 'nearby'>, dir: string = KNOWLEDGE_DIR): NluKnowledge {
  return { lexicon: knowledge.lexicon, intents: knowledge.intents, nearby: knowledge.nearby, corpus: loadCorpus(dir) };
}
