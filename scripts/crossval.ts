/**
 * Cross-validation by writer: the corpus files are dealt into folds, and each
 * fold is scored by models trained without it. Each corpus file was written by
 * someone else, so a fold measures how the models fare on a writer they never
 * saw. Usage: node dist/scripts/crossval.js [folds] [--bits N] [--errors] [--test a.jsonl,b.jsonl]
 * (--test: one fold made of the named files, trained on all the others)
 */
import { loadKnowledge } from '../src/knowledge/load.js';
import { KNOWLEDGE_DIR } from '../src/paths.js';
import { loadCorpus } from '../src/understanding/corpus.js';
import { evaluate, formatEvalReport } from '../src/understanding/eval.js';
import { createNlu } from '../src/understanding/index.js';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '../src/understanding/eval.js';

const args = process.argv.slice(2);
const folds = Number(args.find((a) => /^\d+$/.test(a)) ?? 5);
const bitsAt = args.indexOf('--bits');
const bits = bitsAt >= 0 ? Number(args[bitsAt + 1]) : 16;
const knowledge = loadKnowledge();
const files = readdirSync(join(KNOWLEDGE_DIR, 'corpus')).filter((f) => f.endsWith('.jsonl')).sort();
const byFile = files.map((f) => ({ file: f, lines: readJsonl(readFileSync(join(KNOWLEDGE_DIR, 'corpus', f), 'utf8')) }));
const all = loadCorpus();
if (all.length !== byFile.reduce((n, f) => n + f.lines.length, 0)) throw new Error('corpus mismatch');
const byText = new Map<string, ReturnType<typeof createNlu>>();
const lines: ReturnType<typeof readJsonl> = [];
const testAt = args.indexOf('--test');
const named = testAt >= 0 ? (args[testAt + 1] ?? '').split(',') : null;
for (let k = 0; k < (named ? 1 : folds); k++) {
  const inFold = (f: { file: string }, i: number): boolean => (named ? named.includes(f.file) : i % folds === k);
  const test = byFile.filter(inFold);
  const train = byFile.filter((f, i) => !inFold(f, i)).flatMap((f) => f.lines);
  const nlu = createNlu({ lexicon: knowledge.lexicon, intents: knowledge.intents, corpus: train }, { bits });
  for (const l of test.flatMap((f) => f.lines)) {
    byText.set(l.text, nlu);
    lines.push(l);
  }
  process.stderr.write(`fold ${k + 1}/${folds}: ${test.map((f) => f.file).join(' ')}\n`);
}
// Score each line with the model that did not see it.
const report = evaluate({ classify: (t: string) => (byText.get(t) as ReturnType<typeof createNlu>).classify(t) }, lines);
process.stdout.write(`${formatEvalReport(report)}\n`);
if (args.includes('--errors')) for (const e of report.errors) process.stdout.write(`${e.line.intent}/${e.line.topic ?? '-'} -> ${e.got.intent}/${e.got.topic ?? '-'}  ${e.line.text.slice(0, 140)}\n`);
