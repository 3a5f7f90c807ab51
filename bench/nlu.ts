/** Language understanding in process: the classifier alone, over the dev set. */
import { loadKnowledge } from '../src/knowledge/load.js';
import { createNlu } from '../src/understanding/index.js';
import { nluKnowledge } from '../src/understanding/corpus.js';
import { devSetTexts } from './inputs.js';
import { summariseNs, type LatencySummary } from './lib.js';

export interface NluResult extends LatencySummary {
  devLines: number;
  passes: number;
  throughputPerSec: number;
  throughputWindowMs: number;
}

/** Classify latency over the dev set (warm), and single-threaded throughput. */
export function benchNlu(opts: { warmPasses?: number; minSamples?: number; throughputMs?: number } = {}): NluResult {
  const { texts } = devSetTexts();
  const nlu = createNlu(nluKnowledge(loadKnowledge()));
  const warmPasses = opts.warmPasses ?? 5;
  for (let p = 0; p < warmPasses; p++) for (const t of texts) nlu.classify(t);

  const passes = Math.max(5, Math.ceil((opts.minSamples ?? 30_000) / texts.length));
  const ns: bigint[] = [];
  let sink = 0;
  for (let p = 0; p < passes; p++) {
    for (const t of texts) {
      const start = process.hrtime.bigint();
      const c = nlu.classify(t);
      ns.push(process.hrtime.bigint() - start);
      sink += c.confidence;
    }
  }

  // Throughput: back-to-back classifications on this one thread for a fixed window.
  const windowMs = opts.throughputMs ?? 3_000;
  let count = 0;
  const started = performance.now();
  let elapsed = 0;
  outer: for (;;) {
    for (const t of texts) {
      sink += nlu.classify(t).confidence;
      count++;
    }
    elapsed = performance.now() - started;
    if (elapsed >= windowMs) break outer;
  }
  if (Number.isNaN(sink)) throw new Error('classifier returned a NaN confidence');
  return {
    devLines: texts.length,
    passes,
    ...summariseNs(ns),
    throughputPerSec: Math.round((count / elapsed) * 1000),
    throughputWindowMs: Math.round(elapsed),
  };
}
