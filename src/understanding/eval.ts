/**
 * Scores an Nlu against labelled lines (JSON Lines: one
 * `{"text","intent","topic"?,"platform"?}` object per line).
 */
import { INTENTS, SIDES, TOPICS, type IntentId, type Side, type Topic } from '../types.js';
import type { Nlu } from './types.js';

export interface EvalLine {
  text: string;
  intent: IntentId;
  topic?: Topic;
  platform?: Side;
}

export interface IntentStats {
  intent: IntentId;
  /** Lines labelled with this intent. */
  support: number;
  /** Lines classified as this intent. */
  predicted: number;
  correct: number;
  precision: number;
  recall: number;
}

export interface EvalReport {
  total: number;
  intentAccuracy: number;
  perIntent: IntentStats[];
  /** Among ask_topic lines that carry a topic: share whose first topic is right (a wrong intent counts as wrong). */
  topicAccuracy: number;
  topicLines: number;
  /** Among lines that carry a platform: share whose platform is right. */
  platformAccuracy: number;
  platformLines: number;
  /** Share of out_of_scope lines classified out_of_scope. */
  oosRecall: number;
  oosLines: number;
  /** Share of in-scope lines classified out_of_scope. */
  inScopeRejected: number;
  inScopeLines: number;
  /** Most frequent intent confusions, most common first (at most ten). */
  confusions: { expected: IntentId; got: IntentId; count: number }[];
  /** Every misclassified line, for inspection. */
  errors: { line: EvalLine; got: { intent: IntentId; topic: Topic | null; platform: Side | null; confidence: number } }[];
}

const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b);

export function evaluate(nlu: Nlu, lines: EvalLine[]): EvalReport {
  const predicted = new Map<IntentId, number>();
  const support = new Map<IntentId, number>();
  const correct = new Map<IntentId, number>();
  const confusion = new Map<string, number>();
  const errors: EvalReport['errors'] = [];
  let right = 0;
  let topicLines = 0;
  let topicRight = 0;
  let platformLines = 0;
  let platformRight = 0;
  let oosLines = 0;
  let oosRight = 0;
  let inLines = 0;
  let inRejected = 0;

  for (const line of lines) {
    const c = nlu.classify(line.text);
    support.set(line.intent, (support.get(line.intent) ?? 0) + 1);
    predicted.set(c.intent, (predicted.get(c.intent) ?? 0) + 1);
    let wrong = false;
    if (c.intent === line.intent) {
      right++;
      correct.set(c.intent, (correct.get(c.intent) ?? 0) + 1);
    } else {
      wrong = true;
      const key = `${line.intent}\u0000${c.intent}`;
      confusion.set(key, (confusion.get(key) ?? 0) + 1);
    }
    if (line.intent === 'ask_topic' && line.topic) {
      topicLines++;
      if (c.intent === 'ask_topic' && c.topic === line.topic) topicRight++;
      else wrong = true;
    }
    if (line.platform) {
      platformLines++;
      if (c.platform === line.platform) platformRight++;
      else wrong = true;
    }
    if (line.intent === 'out_of_scope') {
      oosLines++;
      if (c.intent === 'out_of_scope') oosRight++;
    } else {
      inLines++;
      if (c.intent === 'out_of_scope') inRejected++;
    }
    if (wrong) errors.push({ line, got: { intent: c.intent, topic: c.topic, platform: c.platform, confidence: c.confidence } });
  }

  const perIntent: IntentStats[] = INTENTS.filter((i) => (support.get(i) ?? 0) > 0 || (predicted.get(i) ?? 0) > 0).map((intent) => {
    const s = support.get(intent) ?? 0;
    const p = predicted.get(intent) ?? 0;
    const k = correct.get(intent) ?? 0;
    return { intent, support: s, predicted: p, correct: k, precision: ratio(k, p), recall: ratio(k, s) };
  });
  const confusions = [...confusion.entries()]
    .map(([key, count]) => {
      const [expected, got] = key.split('\u0000') as [IntentId, IntentId];
      return { expected, got, count };
    })
    .sort((a, b) => b.count - a.count || a.expected.localeCompare(b.expected) || a.got.localeCompare(b.got))
    .slice(0, 10);

  return {
    total: lines.length,
    intentAccuracy: ratio(right, lines.length),
    perIntent,
    topicAccuracy: ratio(topicRight, topicLines),
    topicLines,
    platformAccuracy: ratio(platformRight, platformLines),
    platformLines,
    oosRecall: ratio(oosRight, oosLines),
    oosLines,
    inScopeRejected: inLines === 0 ? 0 : inRejected / inLines,
    inScopeLines: inLines,
    confusions,
    errors,
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

export function formatEvalReport(report: EvalReport): string {
  const out: string[] = [];
  out.push(`lines: ${report.total}`);
  out.push(`intent accuracy:     ${pct(report.intentAccuracy)}`);
  out.push(`topic accuracy:      ${pct(report.topicAccuracy)} (${report.topicLines} ask_topic lines with a topic)`);
  out.push(`platform accuracy:   ${pct(report.platformAccuracy)} (${report.platformLines} lines with a platform)`);
  out.push(`out-of-scope recall: ${pct(report.oosRecall)} (${report.oosLines} lines)`);
  out.push(`in-scope rejected:   ${pct(report.inScopeRejected)} (${report.inScopeLines} lines)`);
  out.push('');
  out.push(`${'intent'.padEnd(18)}${'support'.padStart(8)}${'precision'.padStart(11)}${'recall'.padStart(9)}`);
  for (const s of report.perIntent) {
    out.push(`${s.intent.padEnd(18)}${String(s.support).padStart(8)}${pct(s.precision).padStart(11)}${pct(s.recall).padStart(9)}`);
  }
  out.push('');
  if (report.confusions.length === 0) out.push('no confusions');
  else {
    out.push('most frequent confusions (expected -> got):');
    for (const c of report.confusions) out.push(`  ${c.expected} -> ${c.got} (${c.count})`);
  }
  return out.join('\n');
}

const INTENT_SET = new Set<string>(INTENTS);
const TOPIC_SET = new Set<string>(TOPICS);
const SIDE_SET = new Set<string>(SIDES);

/**
 * Parses JSON Lines of labelled utterances. Blank lines and lines starting
 * with `//` are skipped. A bad line throws an Error naming its line number.
 */
export function readJsonl(text: string): EvalLine[] {
  const out: EvalLine[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (!line || line.startsWith('//')) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new Error(`line ${n}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`line ${n}: expected an object like {"text": "...", "intent": "..."}`);
    const o = v as Record<string, unknown>;
    if (typeof o.text !== 'string' || o.text.length === 0) throw new Error(`line ${n}: "text" must be a non-empty string`);
    if (typeof o.intent !== 'string' || !INTENT_SET.has(o.intent)) {
      throw new Error(`line ${n}: "intent" must be one of ${INTENTS.join(', ')} (got ${JSON.stringify(o.intent)})`);
    }
    const entry: EvalLine = { text: o.text, intent: o.intent as IntentId };
    if (o.topic !== undefined && o.topic !== null) {
      if (typeof o.topic !== 'string' || !TOPIC_SET.has(o.topic)) throw new Error(`line ${n}: "topic" must be one of ${TOPICS.join(', ')} (got ${JSON.stringify(o.topic)})`);
      entry.topic = o.topic as Topic;
    }
    if (o.platform !== undefined && o.platform !== null) {
      if (typeof o.platform !== 'string' || !SIDE_SET.has(o.platform)) throw new Error(`line ${n}: "platform" must be vm or kubernetes (got ${JSON.stringify(o.platform)})`);
      entry.platform = o.platform as Side;
    }
    const extra = Object.keys(o).filter((k) => !['text', 'intent', 'topic', 'platform'].includes(k));
    if (extra.length > 0) throw new Error(`line ${n}: unknown field ${extra.map((k) => JSON.stringify(k)).join(', ')}`);
    out.push(entry);
  });
  return out;
}
