/**
 * The intent scorer: natural's naive Bayes over stemmed words (stop words
 * kept: "what", "when", "should" and "than" carry the intent) combined with a
 * nearest-neighbour vote over TF-IDF vectors of character trigrams and word
 * uni/bigrams. Bayes generalises over words; the neighbour vote rewards
 * sentences shaped like a training sentence and tolerates misspellings the
 * typo fixer left alone.
 */
// The lint pattern for natural also matches its subpaths; this is a subpath import (see natural.d.ts).
import BayesClassifier from 'natural/lib/natural/classifiers/bayes_classifier.js';
import type { IntentId } from '../types.js';
import { SLOT_NUMBER, SLOT_PLATFORM, SLOT_TOPIC, stem } from './gazetteer.js';

export interface Scored {
  intent: IntentId;
  /** Combined score; the scores of all intents sum to 1. */
  score: number;
}

export interface ScoreResult {
  ranking: Scored[];
  /** Cosine similarity to the closest training sentence (0..1): how familiar the message looks. */
  nearest: number;
  nearestIntent: IntentId | null;
}

export interface IntentScorer {
  score(slotted: string[]): ScoreResult;
}

/** Weight of naive Bayes in the combined score (the neighbour vote gets the rest). */
const BAYES_WEIGHT = 0.5;
/** Sharpness of the neighbour vote: softmax temperature over per-intent best similarities. */
const KNN_SHARPNESS = 12;
/** Feature weights inside a TF-IDF vector. */
const W_TRIGRAM = 1;
const W_WORD = 1.5;
const W_BIGRAM = 1.5;
/** Vector terms found in more than this share of training sentences are ignored. */
const COMMON_TERM_SHARE = 0.25;
/** Long messages are cut so the Bayes product never underflows. */
const MAX_WORDS = 60;

/**
 * TF-IDF weights of the known terms (log-scaled term frequency times idf),
 * pushed onto `into`; returns their sum of squares (the squared norm).
 * Training (documents) and scoring (the query) weigh terms the same way.
 */
function weighTerms(terms: Iterable<[string, number]>, idf: Map<string, number>, into: [string, number][]): number {
  let sumSquares = 0;
  for (const [k, tf] of terms) {
    const i = idf.get(k);
    if (i === undefined) continue;
    const w = (1 + Math.log(tf)) * i;
    into.push([k, w]);
    sumSquares += w * w;
  }
  return sumSquares;
}

const SLOT_CHARS: Record<string, string> = { [SLOT_PLATFORM]: 'P', [SLOT_TOPIC]: 'T', [SLOT_NUMBER]: 'N' };

export function wordFeatures(slotted: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const t of slotted.slice(0, MAX_WORDS)) {
    const s = stem(t);
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}

function vectorTerms(slotted: string[]): Map<string, number> {
  const terms = new Map<string, number>();
  const bump = (k: string, w: number): void => {
    terms.set(k, (terms.get(k) ?? 0) + w);
  };
  const words = slotted.slice(0, MAX_WORDS).map((t) => SLOT_CHARS[t] ?? stem(t));
  const text = ` ${words.join(' ')} `;
  for (let i = 0; i + 3 <= text.length; i++) bump(`c:${text.slice(i, i + 3)}`, W_TRIGRAM);
  for (let i = 0; i < words.length; i++) {
    bump(`w:${words[i]}`, W_WORD);
    bump(`b:${i === 0 ? '^' : words[i - 1]}_${words[i]}`, W_BIGRAM);
  }
  if (words.length > 0) bump(`b:${words[words.length - 1]}_$`, W_BIGRAM);
  return terms;
}

/** natural's sparse observation: a map whose values name the features present. */
function sparse(features: string[]): Record<string, string> {
  const o: Record<string, string> = {};
  features.forEach((f, i) => {
    o[i] = f;
  });
  return o;
}

export interface TrainingExample {
  slotted: string[];
  intent: IntentId;
}

/**
 * What training produces, as plain data (JSON-safe): the naive Bayes counts
 * and the TF-IDF inverted index. `scorerFromModel` turns it into a scorer, so
 * a model trained now and one read back from a file score identically.
 */
export interface ScorerModel {
  intents: IntentId[];
  bayes: {
    classFeatures: Record<string, Record<string, number>>;
    classTotals: Record<string, number>;
    totalExamples: number;
  };
  /** Every word feature seen in training. */
  vocabulary: string[];
  /** Inverse document frequency of each kept vector term. */
  idf: [string, number][];
  /** Terms seen in training but left out as too common (COMMON_TERM_SHARE). */
  common: string[];
  /** Term -> the training sentences holding it and its normalised weight in each. */
  postings: [string, number[], number[]][];
  /** The intent of each training sentence, by index. */
  docIntent: IntentId[];
}

export function trainScorerModel(examples: TrainingExample[]): ScorerModel {
  const intents = [...new Set(examples.map((e) => e.intent))];

  // Naive Bayes (natural), fed our own features as sparse observations so
  // stop words and slots stay and training skips natural's dense vectors.
  const bayes = new BayesClassifier().classifier;
  const vocabulary = new Set<string>();
  for (const e of examples) {
    const f = wordFeatures(e.slotted);
    if (f.length === 0) continue;
    for (const w of f) vocabulary.add(w);
    bayes.addExample(sparse(f), e.intent);
    // natural (apparatus 0.0.x) counts examples only for dense observations;
    // count them here so class priors and P(word | class) are right.
    bayes.classTotals[e.intent] = (bayes.classTotals[e.intent] ?? 1) + 1;
    bayes.totalExamples += 1;
  }
  bayes.train();

  // TF-IDF vectors with an inverted index for the neighbour vote.
  const docTerms = examples.map((e) => vectorTerms(e.slotted));
  const df = new Map<string, number>();
  for (const terms of docTerms) for (const k of terms.keys()) df.set(k, (df.get(k) ?? 0) + 1);
  const n = examples.length;
  // Terms in more than a quarter of the sentences (" th", "the", "wha") say
  // little and cost the most to score: they are left out of every vector.
  const idf = new Map<string, number>();
  const common: string[] = [];
  for (const [k, d] of df) {
    if (d <= n * COMMON_TERM_SHARE) idf.set(k, Math.log((n + 1) / (d + 1)) + 1);
    else common.push(k);
  }
  const postings = new Map<string, [string, number[], number[]]>();
  docTerms.forEach((terms, doc) => {
    const weighted: [string, number][] = [];
    const norm = Math.sqrt(weighTerms(terms, idf, weighted)) || 1;
    for (const [k, w] of weighted) {
      let list = postings.get(k);
      if (!list) {
        list = [k, [], []];
        postings.set(k, list);
      }
      list[1].push(doc);
      list[2].push(w / norm);
    }
  });
  return {
    intents,
    bayes: {
      classFeatures: bayes.classFeatures as Record<string, Record<string, number>>,
      classTotals: bayes.classTotals,
      totalExamples: bayes.totalExamples,
    },
    vocabulary: [...vocabulary],
    idf: [...idf],
    common,
    postings: [...postings.values()],
    docIntent: examples.map((e) => e.intent),
  };
}

export function trainScorer(examples: TrainingExample[]): IntentScorer {
  return scorerFromModel(trainScorerModel(examples));
}

/** A scorer over a trained model (fresh from `trainScorerModel` or read back from JSON). */
export function scorerFromModel(model: ScorerModel): IntentScorer {
  const { intents, docIntent } = model;
  const bayes = new BayesClassifier().classifier;
  bayes.classFeatures = model.bayes.classFeatures;
  bayes.classTotals = model.bayes.classTotals;
  bayes.totalExamples = model.bayes.totalExamples;
  const vocabulary = new Set(model.vocabulary);
  const idf = new Map(model.idf);
  const common = new Set(model.common);
  const postings = new Map<string, { docs: number[]; weights: number[] }>();
  for (const [k, docs, weights] of model.postings) postings.set(k, { docs, weights });
  const n = docIntent.length;
  const intentIndex = new Map(intents.map((intent, i) => [intent, i]));
  const acc = new Float64Array(n);

  return {
    score(slotted: string[]): ScoreResult {
      // Bayes posteriors, normalised to sum to 1.
      const bayesScore = new Map<string, number>();
      // Words never seen in training are left out, as natural's dense vectors
      // would: in the sparse form they would penalise the larger classes.
      const feats = wordFeatures(slotted).filter((w) => vocabulary.has(w));
      let total = 0;
      if (feats.length > 0) {
        for (const c of bayes.getClassifications(sparse(feats))) {
          const v = Number.isFinite(c.value) ? c.value : 0;
          bayesScore.set(c.label, v);
          total += v;
        }
      }
      // Neighbour vote: best cosine per intent.
      acc.fill(0);
      const terms = vectorTerms(slotted);
      const q: [string, number][] = [];
      let qnorm = weighTerms(terms, idf, q);
      // Unknown terms still count in the query norm: an unfamiliar message is less similar.
      for (const [k, tf] of terms) if (!idf.has(k) && !common.has(k)) qnorm += ((1 + Math.log(tf)) * Math.log(n + 1)) ** 2;
      qnorm = Math.sqrt(qnorm) || 1;
      for (const [k, w] of q) {
        const list = postings.get(k);
        if (!list) continue;
        const wq = w / qnorm;
        const { docs, weights } = list;
        for (let j = 0; j < docs.length; j++) {
          const d = docs[j] as number;
          acc[d] = (acc[d] ?? 0) + wq * (weights[j] as number);
        }
      }
      const best = new Float64Array(intents.length);
      let nearest = 0;
      let nearestIntent: IntentId | null = null;
      for (let d = 0; d < n; d++) {
        const s = acc[d] ?? 0;
        const idx = intentIndex.get(docIntent[d] as IntentId) ?? 0;
        if (s > (best[idx] ?? 0)) best[idx] = s;
        if (s > nearest) {
          nearest = s;
          nearestIntent = docIntent[d] ?? null;
        }
      }
      let knnTotal = 0;
      const knn = intents.map((_, i) => {
        const v = Math.exp(KNN_SHARPNESS * (best[i] ?? 0));
        knnTotal += v;
        return v;
      });
      const ranking: Scored[] = intents.map((intent, i) => {
        const b = total > 0 ? (bayesScore.get(intent) ?? 0) / total : 1 / intents.length;
        const k = (knn[i] ?? 0) / knnTotal;
        return { intent, score: BAYES_WEIGHT * b + (1 - BAYES_WEIGHT) * k };
      });
      ranking.sort((a, b) => b.score - a.score);
      return { ranking, nearest, nearestIntent };
    },
  };
}
