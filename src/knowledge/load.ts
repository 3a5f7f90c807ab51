import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import { KNOWLEDGE_DIR } from '../paths.js';
import { KnowledgeError, type KnowledgeProblem } from '../errors.js';
import { DIMENSIONS, TOPICS, type Topic } from '../types.js';
import { formatPath, readYamlFile, shownPath } from './yaml.js';
import {
  ArticleSchema,
  DimensionsFileSchema,
  GuidanceFileSchema,
  IntentFileSchema,
  LexiconFileSchema,
  NearbyFileSchema,
  PlatformsFileSchema,
  TopicsFileSchema,
  type IntentFile,
  type Knowledge,
  type TopicEntry,
} from './schema.js';


/** Reads and validates one YAML file; problems are appended, never thrown. */
function readYaml<S extends z.ZodType>(
  dir: string,
  file: string,
  schema: S,
  problems: KnowledgeProblem[],
): z.infer<S> | undefined {
  const yaml = readYamlFile(dir, file, problems);
  if (!yaml) return undefined;
  const result = schema.safeParse(yaml.value);
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push({ file: yaml.shown, path: formatPath(issue.path), line: yaml.lineOf(issue.path), message: issue.message });
    }
    return undefined;
  }
  return result.data;
}

/**
 * Loads and validates every knowledge file. A bad file throws one
 * KnowledgeError that names each file, the path inside it and what is wrong.
 */
export function loadKnowledge(dir: string = KNOWLEDGE_DIR): Knowledge {
  const problems: KnowledgeProblem[] = [];
  const article = readYaml(dir, 'article.yaml', ArticleSchema, problems);
  const dims = readYaml(dir, 'dimensions.yaml', DimensionsFileSchema, problems);
  const extra = readYaml(dir, 'topics.yaml', TopicsFileSchema, problems);
  const platforms = readYaml(dir, 'platforms.yaml', PlatformsFileSchema, problems);
  const guidance = readYaml(dir, 'guidance.yaml', GuidanceFileSchema, problems);
  const lexicon = readYaml(dir, 'lexicon.yaml', LexiconFileSchema, problems);
  const nearby = readYaml(dir, 'nearby.yaml', NearbyFileSchema, problems);

  const intents: IntentFile[] = [];
  const intentDir = join(dir, 'intents');
  let intentFiles: string[] = [];
  try {
    intentFiles = readdirSync(intentDir).filter((f) => f.endsWith('.yaml')).sort();
  } catch {
    problems.push({ file: shownPath(dir, 'intents'), path: '', message: 'folder not found' });
  }
  for (const f of intentFiles) {
    const intent = readYaml(dir, join('intents', f), IntentFileSchema, problems);
    if (!intent) continue;
    if (intent.id !== basename(f, '.yaml')) {
      problems.push({ file: shownPath(dir, join('intents', f)), path: 'id', message: `id "${intent.id}" does not match the file name; rename one of them` });
    }
    intents.push(intent);
  }

  const topics = new Map<Topic, TopicEntry>();
  if (dims) {
    dims.dimensions.forEach((d, i) => {
      if (d.id !== DIMENSIONS[i]) {
        problems.push({ file: shownPath(dir, 'dimensions.yaml'), path: `dimensions[${i}].id`, message: `expected "${DIMENSIONS[i]}" here (the article's order)` });
      }
      topics.set(d.id, d);
    });
  }
  if (extra) {
    extra.topics.forEach((t, i) => {
      if (topics.has(t.id)) problems.push({ file: shownPath(dir, 'topics.yaml'), path: `topics[${i}].id`, message: `"${t.id}" is already defined` });
      topics.set(t.id, t);
    });
  }
  if (dims && extra) {
    for (const t of TOPICS) {
      if (!topics.has(t)) problems.push({ file: shownPath(dir, 'topics.yaml'), path: 'topics', message: `topic "${t}" is missing` });
    }
  }
  if (lexicon) {
    for (const t of TOPICS) {
      if (!lexicon.topics[t]) problems.push({ file: shownPath(dir, 'lexicon.yaml'), path: `topics.${t}`, message: 'no surface forms for this topic' });
    }
  }

  if (problems.length > 0 || !article || !platforms || !guidance || !lexicon || !nearby) throw new KnowledgeError(problems);
  return { article, topics, platforms, guidance, lexicon, intents, nearby: nearby.subjects };
}
