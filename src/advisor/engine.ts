import { DIMENSIONS, type Dimension } from '../types.js';
import type { Catalog, Gate, HybridPatternId, Question, Trait } from './catalog.js';

/**
 * The recommendation engine: pure and deterministic. Hard constraints (gates)
 * are checked first; then every known trait adds signed scores to the
 * dimensions it touches (negative leans VM, positive leans Kubernetes), the
 * dimension scores are averaged with equal weights, and the total falls into
 * `vm`, a neutral band that means `hybrid`, or `kubernetes`.
 */

export type Verdict = 'vm' | 'kubernetes' | 'hybrid';
export const VERDICTS: readonly Verdict[] = ['vm', 'kubernetes', 'hybrid'];

/** Total score at or above which Kubernetes wins; at or below its negative, VMs win. */
export const THRESHOLD = 0.06;
/** Each side's pull above which, with a small total, the verdict is a hybrid of both. */
const CONFLICT_PULL = 0.3;
/** Isolation and security scores at or below minus this, against a Kubernetes total, ask for VM-grade isolation. */
const ISOLATION_DEMAND = 0.5;
/** Kubernetes pull above which an isolation gate becomes a sandboxed-runtime hybrid. */
const STRONG_PULL = 0.2;

export const WEIGHTS: Record<Dimension, number> = Object.fromEntries(DIMENSIONS.map((d) => [d, 1 / DIMENSIONS.length])) as Record<Dimension, number>;

export interface FiredGate {
  trait: string;
  gate: Gate;
}

export type DecidedBy =
  | 'realtime'
  | 'split_signal'
  | 'kubevirt_signal'
  | 'split_components'
  | 'isolation_sandbox'
  | 'isolation_vm'
  | 'gate_kubevirt'
  | 'gate_vm'
  | 'score'
  | 'conflict'
  | 'isolation_conflict'
  | 'no_evidence';

export interface Evaluation {
  verdict: Verdict;
  /** The named hybrid pattern (null unless verdict is hybrid). */
  pattern: HybridPatternId | null;
  decidedBy: DecidedBy;
  /** The gate that decided, when one did. */
  decidingGate: FiredGate | null;
  gates: FiredGate[];
  /** Per-dimension signed score in [-1, 1]. */
  scores: Record<Dimension, number>;
  /** Weighted total in [-1, 1]. */
  total: number;
  /** Sum of positive (Kubernetes) and negative (VM) weighted contributions. */
  kubernetesPull: number;
  vmPull: number;
  confidence: number;
  coverage: number;
  margin: number;
  consistency: number;
  traits: string[];
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

function traitsOf(catalog: Catalog, ids: Iterable<string>): Trait[] {
  const seen = new Set<string>();
  const out: Trait[] = [];
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    const t = catalog.trait.get(id);
    if (t) out.push(t);
  }
  return out;
}

/** Questions whose Kubernetes-bound traits describe a new, container-ready part of the estate. */
const ESTATE_NEW_QUESTIONS = new Set(['architecture', 'services']);

/** Evaluates a set of known traits. Unknown trait ids are ignored. */
export function evaluate(catalog: Catalog, traitIds: Iterable<string>): Evaluation {
  const traits = traitsOf(catalog, traitIds);
  // Plain loops, not Object.fromEntries: evaluate runs hundreds of times per dialog turn, and this is its hot path.
  const sums = {} as Record<Dimension, number>;
  for (const d of DIMENSIONS) sums[d] = 0;
  let kubernetesPull = 0;
  let vmPull = 0;
  for (const t of traits) {
    for (const d of DIMENSIONS) {
      const v = t.effects[d];
      if (v === undefined) continue;
      sums[d] += v;
      if (v > 0) kubernetesPull += v * WEIGHTS[d];
      else vmPull += -v * WEIGHTS[d];
    }
  }
  const scores = {} as Record<Dimension, number>;
  for (const d of DIMENSIONS) scores[d] = round2(clamp(sums[d], -1, 1));
  const total = DIMENSIONS.reduce((acc, d) => acc + scores[d] * WEIGHTS[d], 0);

  const gates: FiredGate[] = traits.filter((t) => t.gate).map((t) => ({ trait: t.id, gate: t.gate as Gate }));
  const gate = (...kinds: Gate[]): FiredGate | undefined => gates.find((g) => kinds.includes(g.gate));
  // Every trait marked component: vm is a part that has to stay on VMs (old OS, vendor, device, live migration, timing).
  const vmPart = traits.some((t) => t.component === 'vm');
  const newPart = traits.some((t) => t.component === 'kubernetes' && t.question !== undefined && ESTATE_NEW_QUESTIONS.has(t.question));
  const leansKubernetes = traits.some((t) => t.component === 'kubernetes' && (t.question === 'team' || t.question === undefined));

  let verdict: Verdict;
  let pattern: HybridPatternId | null = null;
  let decidedBy: DecidedBy;
  let decidingGate: FiredGate | null = null;
  let g: FiredGate | undefined;
  if ((g = gate('realtime')) && !newPart && !gate('split')) {
    // Hard timing needs reserved, unshared capacity. Neither platform is sold on it in the article, so a real-time
    // part next to new services is a split estate like any other VM-bound part; on its own it stays on reserved VMs.
    verdict = 'vm';
    decidedBy = 'realtime';
    decidingGate = g;
  } else if ((g = gate('kubevirt'))) {
    verdict = 'hybrid';
    pattern = 'kubevirt';
    decidedBy = 'kubevirt_signal';
    decidingGate = g;
  } else if ((g = gate('split'))) {
    verdict = 'hybrid';
    pattern = 'split_estate';
    decidedBy = 'split_signal';
    decidingGate = g;
  } else if (vmPart && newPart) {
    verdict = 'hybrid';
    pattern = 'split_estate';
    decidedBy = 'split_components';
    decidingGate = gate('os', 'vendor', 'realtime', 'hardware', 'live_migration') ?? null;
  } else if ((g = gate('isolation'))) {
    decidingGate = g;
    if (leansKubernetes || kubernetesPull >= STRONG_PULL) {
      verdict = 'hybrid';
      pattern = 'sandboxed_runtime';
      decidedBy = 'isolation_sandbox';
    } else {
      verdict = 'vm';
      decidedBy = 'isolation_vm';
    }
  } else if ((g = gate('os', 'vendor', 'hardware', 'live_migration'))) {
    decidingGate = g;
    if (leansKubernetes) {
      verdict = 'hybrid';
      pattern = 'kubevirt';
      decidedBy = 'gate_kubevirt';
    } else {
      verdict = 'vm';
      decidedBy = 'gate_vm';
    }
  } else if (traits.length === 0) {
    verdict = 'hybrid';
    pattern = 'split_estate';
    decidedBy = 'no_evidence';
  } else if (kubernetesPull >= CONFLICT_PULL && vmPull >= CONFLICT_PULL && Math.abs(total) < 2 * THRESHOLD) {
    verdict = 'hybrid';
    pattern = 'split_estate';
    decidedBy = 'conflict';
  } else if (total >= THRESHOLD && scores.isolation <= -ISOLATION_DEMAND && scores.security <= -ISOLATION_DEMAND) {
    verdict = 'hybrid';
    pattern = leansKubernetes ? 'sandboxed_runtime' : 'split_estate';
    decidedBy = 'isolation_conflict';
  } else if (total >= THRESHOLD) {
    verdict = 'kubernetes';
    decidedBy = 'score';
  } else if (total <= -THRESHOLD) {
    verdict = 'vm';
    decidedBy = 'score';
  } else {
    verdict = 'hybrid';
    pattern = 'split_estate';
    decidedBy = 'score';
  }

  const coverage = DIMENSIONS.filter((d) => Math.abs(scores[d]) >= 0.05).length / DIMENSIONS.length;
  let margin: number;
  if (decidedBy === 'no_evidence') margin = 0;
  else if (decidedBy !== 'score' && decidedBy !== 'conflict' && decidedBy !== 'isolation_conflict') margin = 0.8;
  else if (verdict === 'kubernetes') margin = clamp((total - THRESHOLD) / 0.2, 0, 1);
  else if (verdict === 'vm') margin = clamp((-THRESHOLD - total) / 0.2, 0, 1);
  else margin = clamp((THRESHOLD - Math.abs(total)) / THRESHOLD, 0, 1) * 0.6;
  const pulls = kubernetesPull + vmPull;
  const consistency = pulls === 0 ? 0 : verdict === 'hybrid' ? 1 - Math.abs(kubernetesPull - vmPull) / pulls : Math.max(kubernetesPull, vmPull) / pulls * 2 - 1;
  const confidence = round2(clamp(0.15 + 0.3 * coverage + 0.3 * margin + 0.15 * consistency + (decidingGate ? 0.1 : 0), 0.05, 0.95));

  return {
    verdict,
    pattern,
    decidedBy,
    decidingGate,
    gates,
    scores,
    total: round2(total),
    kubernetesPull: round2(kubernetesPull),
    vmPull: round2(vmPull),
    confidence,
    coverage: round2(coverage),
    margin: round2(margin),
    consistency: round2(consistency),
    traits: traits.map((t) => t.id),
  };
}

/** Traits that answer a question (any of its options' traits, or traits declaring that question). */
export function questionTraits(catalog: Catalog, q: Question): Set<string> {
  const ids = new Set<string>();
  for (const o of q.options) for (const t of o.traits) ids.add(t);
  for (const t of catalog.file.traits) if (t.question === q.id) ids.add(t.id);
  return ids;
}

export interface Flip {
  question: Question;
  option: Question['options'][number];
  verdict: Verdict;
  pattern: HybridPatternId | null;
}

/** The options of `q` that the known traits do not rule out. */
export function possibleOptions(q: Question, known: string[]): Question['options'] {
  return q.options.filter((o) => !o.unless.some((t) => known.includes(t)));
}

/** The options of `q` that would change the current verdict if chosen. */
export function flipsFor(catalog: Catalog, known: string[], q: Question, current: Evaluation): Flip[] {
  const out: Flip[] = [];
  for (const option of possibleOptions(q, known)) {
    const e = evaluate(catalog, [...known, ...option.traits]);
    if (e.verdict !== current.verdict) out.push({ question: q, option, verdict: e.verdict, pattern: e.pattern });
  }
  return out;
}

/** How much a question could still move the total score (largest change over its options). */
export function swing(catalog: Catalog, known: string[], q: Question, current: Evaluation): number {
  let best = 0;
  for (const option of q.options) {
    const e = evaluate(catalog, [...known, ...option.traits]);
    best = Math.max(best, Math.abs(e.total - current.total));
  }
  return best;
}

/** True when a question is moot: one of its moot_if traits is known. */
export function isMoot(q: Question, known: Set<string>): boolean {
  return q.moot_if.some((t) => known.has(t));
}

/**
 * Questions still worth asking, best first: not yet answered or covered by
 * known traits, not moot, and with at least one answer that would change the
 * verdict (depth 1), or that would change it together with one more answer
 * (depth 2). Ranked by the share of answers that flip it and the score swing,
 * with a small preference for catalogue order.
 */
export function openQuestions(
  catalog: Catalog,
  known: string[],
  settled: Set<string>,
  depth: 1 | 2 = 1,
): { question: Question; flips: Flip[]; swing: number }[] {
  const current = evaluate(catalog, known);
  const knownSet = new Set(known);
  const candidates = catalog.questions
    .map((q, order) => ({ q, order }))
    .filter(({ q }) => !settled.has(q.id) && !isMoot(q, knownSet) && ![...questionTraits(catalog, q)].some((t) => knownSet.has(t)));
  const ranked: { question: Question; flips: Flip[]; swing: number; order: number }[] = [];
  for (const { q, order } of candidates) {
    const flips = flipsFor(catalog, known, q, current);
    // With depth 2, a question also stays open when one of its answers plus one other answer would flip the verdict.
    const pairFlips =
      flips.length === 0 &&
      depth === 2 &&
      possibleOptions(q, known).some((o) =>
        candidates.some(({ q: q2 }) => q2.id !== q.id && possibleOptions(q2, known).some((o2) => evaluate(catalog, [...known, ...o.traits, ...o2.traits]).verdict !== current.verdict)),
      );
    if (flips.length === 0 && !pairFlips) continue;
    ranked.push({ question: q, flips, swing: swing(catalog, known, q, current), order });
  }
  // Share of answers that flip the verdict, plus how far the score could move,
  // plus a small preference for the catalogue's conversational order.
  const value = (r: (typeof ranked)[number]): number => r.flips.length / r.question.options.length + 2 * r.swing + (catalog.questions.length - r.order) * 0.02;
  ranked.sort((a, b) => value(b) - value(a) || a.order - b.order);
  return ranked.map(({ question, flips, swing: s }) => ({ question, flips, swing: s }));
}

/** Known traits whose absence would change the verdict ("what would flip it"). */
export function criticalTraits(catalog: Catalog, known: string[], current: Evaluation): { trait: Trait; verdict: Verdict; pattern: HybridPatternId | null }[] {
  const out: { trait: Trait; verdict: Verdict; pattern: HybridPatternId | null }[] = [];
  for (const id of new Set(known)) {
    const t = catalog.trait.get(id);
    if (!t) continue;
    const e = evaluate(catalog, known.filter((k) => k !== id));
    if (e.verdict !== current.verdict && e.decidedBy !== 'no_evidence') out.push({ trait: t, verdict: e.verdict, pattern: e.pattern });
  }
  return out;
}
