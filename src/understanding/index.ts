/**
 * Language understanding for vmk: text in, intent + topic + platform out.
 *
 *  1. The pipeline (pipeline.ts) normalises the message once, fixes typos,
 *     finds platform and topic names, marks negation and computes the named
 *     signals.
 *  2. Two learned models (multinomial logistic regression over words, word
 *     pairs, character n-grams, entities and signals; linear.ts) give the
 *     intent and the topic. They are trained on every labelled line the
 *     project owns: the phrasings in knowledge/intents and the labelled
 *     corpus in knowledge/corpus.
 *  3. A short declared policy table (policy.ts) settles what must not be left
 *     to statistics: an empty message, a follow-up made only of names, a tool
 *     error, an answer that needs a topic or a platform the message lacks, a
 *     low score, two close readings.
 *
 * The decision rule the engine applies to a Classification:
 *  - `intent === 'out_of_scope'`: the fallback answer.
 *  - `alternative` present: ask "Did you mean <intent> or <alternative.intent>?".
 *  - otherwise answer `intent` with `topic`/`topics`/`platform`.
 */
import type { Knowledge } from '../knowledge/schema.js';
import type { ConversationState } from '../store/types.js';
import { INTENTS, TOPICS, type Classification, type IntentId, type Side, type Topic } from '../types.js';
import type { Nlu } from './types.js';
import { features } from './features.js';
import { gazetteerFromPatterns, gazetteerPatterns, stem, type GazetteerPattern } from './gazetteer.js';
import { linearScorer, trainLinear, type Feature, type LinearModel } from './linear.js';
import { createNormalizer } from './normalize.js';
import { createPipeline, type Analyse, type Analysis } from './pipeline.js';
import { decideAfter, decideBefore, POLICY, type PolicyOutcome } from './policy.js';
import { FUNCTION_WORDS, RULE_WORDS } from './signals.js';
import { createTypoCorrector } from './typo.js';

export { POLICY } from './policy.js';
export type { Analysis } from './pipeline.js';

export const THRESHOLDS = {
  /** Below this probability the best in-scope intent is rejected as out_of_scope, unless the message names a platform or topic. */
  accept: 0.4,
  /** Top two in-scope intents closer than this are ambiguous. */
  clarifyMargin: 0.15,
} as const;

/** The topic model's label for a question that names no subject. */
const NO_TOPIC = 'none';
const NO_TOPIC_INTENTS = new Set<IntentId>(['ask_platform', 'compare_overview', 'ask_guidance', 'start_advice']);

/** The topic model's least probability for a topic no word of the message names; above the conversation's last topic. */
const TOPIC_UNNAMED = 0.45;
const TOPIC_OVER_CONTEXT = 0.7;

/** The engine asks a clarifying question when `alternative` is present and confidence is below this. */
export const CLARIFY_BELOW = 0.55;

type Context = ConversationState['context'];

/** One labelled line of the corpus (knowledge/corpus/*.jsonl). */
export interface CorpusLine {
  text: string;
  intent: IntentId;
  topic?: Topic;
  platform?: Side;
}

export interface NluKnowledge {
  lexicon: Knowledge['lexicon'];
  intents: Knowledge['intents'];
  /** Labelled messages beyond the intents' own phrasings. */
  corpus: CorpusLine[];
  /** Subjects next to the comparison (recognised, answered by the engine). */
  nearby?: Knowledge['nearby'];
}

/** Why a message was classified the way it was (for `vmk classify --explain` and tests). */
export interface Explanation {
  tokens: string[];
  slotted: string[];
  signals: string[];
  /** The policy row that decided, or "model". */
  decidedBy: string;
  /** The intent model's top readings. */
  ranking?: { intent: IntentId; score: number }[];
  /** The features that pushed the chosen intent up most. */
  topFeatures?: { feature: string; weight: number }[];
  /** The topic model's top readings ("none": no subject named). */
  topicRanking?: { topic: string; score: number }[];
}

export interface NluEngine extends Nlu {
  explain(text: string, context?: Context): { classification: Classification; explanation: Explanation };
  /** The shared pipeline, for the advisor's reading of workload descriptions. */
  analyse: Analyse;
}

/** Everything training derives from the knowledge base, as plain data (JSON-safe). */
export interface NluModel {
  gazetteer: GazetteerPattern[];
  /** How often each known word occurs (vocabulary of the typo fixer). */
  frequency: [string, number][];
  knownStems: string[];
  /** Stems of the words the in-scope intent phrasings and the lexicon talk about. */
  content: string[];
  intent: LinearModel;
  topic: LinearModel;
}

/** Options for training (cross-validation uses smaller models). */
export interface TrainSettings {
  bits?: number;
  epochs?: number;
}

function parts(knowledge: Pick<NluKnowledge, 'lexicon' | 'nearby'>, model: Pick<NluModel, 'gazetteer' | 'frequency' | 'knownStems' | 'content'>) {
  const normalizer = createNormalizer(knowledge.lexicon.slang);
  const gazetteer = gazetteerFromPatterns(model.gazetteer);
  const knownStems = new Set(model.knownStems);
  const typos = createTypoCorrector(new Map(model.frequency), (w) => knownStems.has(stem(w)), gazetteer.words);
  const tokenize = (t: string): string[] => normalizer.tokens(t);
  return createPipeline({
    normalizer,
    typos,
    gazetteer,
    content: new Set(model.content),
    foreign: knowledge.lexicon.foreign.map(tokenize),
    nearby: (knowledge.nearby ?? []).map((n) => ({ id: n.id, standalone: n.standalone, triggers: n.triggers.map((set) => set.flatMap(tokenize).map(stem)) })),
  });
}

/** Trains once from the knowledge base: the lexicon, the intents' phrasings and the labelled corpus. */
export function trainNluModel(knowledge: NluKnowledge, settings: TrainSettings = {}): NluModel {
  const normalizer = createNormalizer(knowledge.lexicon.slang);
  const tokenize = (t: string): string[] => normalizer.tokens(t);
  const patterns = gazetteerPatterns(knowledge.lexicon, tokenize);
  const gazetteerWords = new Set(patterns.flatMap((p) => p.raw));

  const lines: CorpusLine[] = [...knowledge.intents.flatMap((f) => f.examples.map((text) => ({ text, intent: f.id }))), ...knowledge.corpus];
  // The typo fixer's vocabulary: the intents' own phrasings and the lexicon, never the corpus, whose writers'
  // misspellings ("secuirty", "kuberntes") would otherwise count as words.
  const frequency = new Map<string, number>();
  for (const f of knowledge.intents) for (const ex of f.examples) for (const w of tokenize(ex)) frequency.set(w, (frequency.get(w) ?? 0) + 1);
  for (const w of gazetteerWords) frequency.set(w, (frequency.get(w) ?? 0) + 3);
  // The words the signals look for are vocabulary too, so a typo fix never turns one into another ("charge" is not "change").
  for (const w of [...RULE_WORDS, ...knowledge.lexicon.foreign.flatMap(tokenize)]) if (!frequency.has(w)) frequency.set(w, 1);
  const knownStems = [...new Set([...frequency.keys()].map(stem))];

  // Content words come from the intents' own phrasings and the lexicon only, so that whether a word is
  // "known" means the same for a corpus line in training as for a message nobody labelled.
  const content = new Set<string>();
  for (const w of gazetteerWords) if (!FUNCTION_WORDS.has(w)) content.add(stem(w));
  for (const f of knowledge.intents) {
    if (f.id === 'out_of_scope') continue;
    for (const ex of f.examples) for (const w of tokenize(ex)) if (!FUNCTION_WORDS.has(w) && !/^\d+$/.test(w)) content.add(stem(w));
  }

  const base = { gazetteer: patterns, frequency: [...frequency], knownStems, content: [...content] };
  const analyse = parts(knowledge, base);
  const analysed = lines.map((l) => {
    const a = analyse(l.text);
    return { line: l, a, fs: features(a) };
  });
  const train = { bits: settings.bits ?? 16, epochs: settings.epochs ?? 15 };

  const intent = trainLinear(
    analysed.map(({ line, fs }) => ({ features: fs, label: line.intent })),
    { ...train, rate: 0.15, l2: 2e-6 },
  );
  // Topics: every topic-labelled line, plus each surface form of the lexicon as a short example of its topic.
  const topicExamples: { features: Feature[]; label: string }[] = [];
  const topicWeights: number[] = [];
  for (const { line, a, fs } of analysed) {
    if (line.intent === 'ask_topic' && line.topic) {
      topicExamples.push({ features: topicFeatures(a, fs), label: line.topic });
      topicWeights.push(1);
    } else if (NO_TOPIC_INTENTS.has(line.intent) && a.g.topics.length === 0) {
      // Questions about the platforms that name no subject teach the model what "no topic" looks like.
      topicExamples.push({ features: topicFeatures(a, fs), label: NO_TOPIC });
      topicWeights.push(0.5);
    }
  }
  for (const topic of TOPICS) {
    // Generic wording ("how fast", "upgrade") names a topic only when nothing more specific does: it is no example on its own.
    for (const form of knowledge.lexicon.topics[topic] ?? []) {
      topicExamples.push({ features: topicFeatures(analyse(form)), label: topic });
      topicWeights.push(0.3);
    }
  }
  const topic = trainLinear(topicExamples, { ...train, rate: 0.25, l2: 2e-6, weights: topicWeights });
  return { ...base, intent, topic };
}

/**
 * The topic model sees the intent model's features (`base`, computed once per message) and, since the words inside
 * topic names matter, those words unslotted.
 */
function topicFeatures(a: Analysis, base: Feature[] = features(a)): Feature[] {
  const out = [...base];
  const named = new Set<string>();
  for (const m of a.g.matches) if (m.entity.kind === 'topic') for (const t of a.tokens.slice(m.start, m.end)) named.add(`tw:${stem(t)}`);
  const v = named.size ? 1.5 / Math.sqrt(named.size) : 0;
  for (const n of named) out.push([n, v]);
  return out;
}

/** Trains the classifier from the knowledge base and returns it. */
export function createNlu(knowledge: NluKnowledge, settings: TrainSettings = {}): NluEngine {
  return createNluFromModel(knowledge, trainNluModel(knowledge, settings));
}

function round(x: number): number {
  return Math.max(0, Math.min(1, Math.round(x * 1000) / 1000));
}

/** The classifier over a trained model; `knowledge` must be the one the model was trained on (its slang table is used). */
export function createNluFromModel(knowledge: Pick<NluKnowledge, 'lexicon' | 'nearby'>, model: NluModel): NluEngine {
  const analyse = parts(knowledge, model);
  const intentModel = linearScorer(model.intent);
  const topicModel = linearScorer(model.topic);


  function decide(text: string, context: Context, trace: Explanation): Classification {
    const a = analyse(typeof text === 'string' ? text : '');
    trace.tokens = a.tokens;
    trace.slotted = a.slotted;
    trace.signals = a.signals;
    const fs = features(a);

    // Topic: the model over the lexicon's matches and the words around them; named topics in order of mention follow.
    let topicRanking: { topic: string; score: number }[] = [];
    const topicOf = (): { topic: Topic | null; topics: Topic[] } => {
      if (topicRanking.length === 0) {
        const p = topicModel.probabilities(topicFeatures(a, fs));
        topicRanking = topicModel.labels.map((t, i) => ({ topic: t, score: p[i] ?? 0 })).sort((x, y) => y.score - x.score);
        trace.topicRanking = topicRanking.slice(0, 3).map((r) => ({ topic: r.topic, score: round(r.score) }));
      }
      const best = topicRanking.find((r) => r.topic !== NO_TOPIC);
      const none = topicRanking.find((r) => r.topic === NO_TOPIC)?.score ?? 0;
      // With nothing in the message naming a topic, the model's guess must be clear, and clearer still to
      // override the topic the conversation is on ("and on that point, which one wins?").
      if (!best || (a.g.topics.length === 0 && (best.score < none || best.score < (context.lastTopic ? TOPIC_OVER_CONTEXT : TOPIC_UNNAMED)))) {
        return { topic: a.g.topics[0] ?? null, topics: a.g.topics };
      }
      const topic = best.topic as Topic;
      // Several subjects named: answered in the order they were named, when the model's choice is one of them.
      if (a.g.topics.length > 1 && a.g.topics.includes(topic)) return { topic: a.g.topics[0] as Topic, topics: a.g.topics };
      return { topic, topics: [topic, ...a.g.topics.filter((t) => t !== topic)] };
    };

    const finish = (o: PolicyOutcome): Classification => {
      const out = o.intent === 'out_of_scope';
      const c: Classification = {
        text: a.text,
        intent: o.intent,
        topic: out ? null : (o.topic ?? null),
        topics: out ? a.g.topics : (o.topics ?? (o.topic ? [o.topic] : a.g.topics)),
        platform: out ? null : o.platform !== undefined ? o.platform : a.platform,
        confidence: round(o.confidence),
      };
      if (o.alternative) c.alternative = { intent: o.alternative.intent, confidence: round(o.alternative.confidence) };
      if (o.nearby) c.nearby = o.nearby;
      return c;
    };

    const early = decideBefore(a, context, topicOf);
    if (early) {
      trace.decidedBy = early.row;
      return finish(early);
    }

    const p = intentModel.probabilities(fs);
    const ranking = intentModel.labels.map((l, i) => ({ intent: l as IntentId, score: p[i] ?? 0 })).sort((x, y) => y.score - x.score);
    trace.ranking = ranking.slice(0, 4).map((r) => ({ intent: r.intent, score: round(r.score) }));
    const outcome = decideAfter(a, context, ranking, topicOf, THRESHOLDS, CLARIFY_BELOW);
    trace.decidedBy = outcome.row;
    trace.topFeatures = intentModel
      .contributions(fs, ranking[0]?.intent ?? 'out_of_scope')
      .slice(0, 6)
      .map((f) => ({ feature: f.feature, weight: Math.round(f.weight * 100) / 100 }));
    return finish(outcome);
  }

  const blank = (): Explanation => ({ tokens: [], slotted: [], signals: [], decidedBy: 'model' });
  return {
    analyse,
    classify(text: string, context: Context = {}): Classification {
      return decide(text, context ?? {}, blank());
    },
    explain(text: string, context: Context = {}) {
      const explanation = blank();
      const classification = decide(text, context ?? {}, explanation);
      return { classification, explanation };
    },
  };
}

/** Every intent id, for callers that list them. */
export const INTENT_IDS: readonly IntentId[] = INTENTS;
export const POLICY_ROWS = POLICY.length;
