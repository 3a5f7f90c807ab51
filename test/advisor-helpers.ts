import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ArticleSchema, DimensionsFileSchema, TopicsFileSchema, type TopicEntry } from '../src/knowledge/schema.js';
import { KNOWLEDGE_DIR } from '../src/paths.js';
import { createAdvisor, type AdvisorKnowledge, type VmkAdvisor } from '../src/advisor/index.js';
import type { Topic } from '../src/types.js';

/** The article and topics from knowledge/ (the only parts the advisor reads), validated by their schemas. */
export function advisorKnowledge(): AdvisorKnowledge {
  const read = (f: string): unknown => parse(readFileSync(join(KNOWLEDGE_DIR, f), 'utf8'));
  const article = ArticleSchema.parse(read('article.yaml'));
  const topics = new Map<Topic, TopicEntry>();
  for (const t of DimensionsFileSchema.parse(read('dimensions.yaml')).dimensions) topics.set(t.id, t);
  for (const t of TopicsFileSchema.parse(read('topics.yaml')).topics) topics.set(t.id, t);
  return { article, topics };
}

let shared: VmkAdvisor | undefined;
export function testAdvisor(): VmkAdvisor {
  shared ??= createAdvisor(advisorKnowledge());
  return shared;
}

export interface Labelled {
  text: string;
  verdict: string;
}

/** Labelled workload descriptions from test/data (workloads.jsonl unless another file is named). */
export function workloads(file = 'workloads.jsonl'): Labelled[] {
  return readFileSync(new URL(`./data/${file}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Labelled);
}
