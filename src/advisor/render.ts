import type { Knowledge, SectionId } from '../knowledge/schema.js';

/** The part of the knowledge base the advisor reads: the article's sections and the topics. */
export type AdvisorKnowledge = Pick<Knowledge, 'article' | 'topics'>;
import { DIMENSIONS, type Action, type Choice, type Dimension, type Fact, type Reply, type TextBlock } from '../types.js';
import type { Catalog, Question, Trait } from './catalog.js';
import { criticalTraits, evaluate, openQuestions, type Evaluation, type Verdict } from './engine.js';
import { knownTraits, type DialogState } from './state.js';

/** Everything rendering needs: the catalogue and the article's knowledge base. */
export interface RenderContext {
  catalog: Catalog;
  knowledge: AdvisorKnowledge;
}

export const MAX_BLOCK_CHARS = 2400;
export const MAX_BLOCKS = 12;
export const BEYOND = 'Beyond the article';

export const VERDICT_NAMES: Record<Verdict, string> = { vm: 'Virtual machines', kubernetes: 'Kubernetes', hybrid: 'Hybrid' };

export function cite(ctx: RenderContext, section: SectionId): string {
  const title = ctx.knowledge.article.sections.find((s) => s.id === section)?.title;
  return `Article, section "${title ?? section.replace(/-/g, ' ')}"`;
}

export function dimensionName(ctx: RenderContext, d: Dimension): string {
  return ctx.knowledge.topics.get(d)?.name ?? d.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

/** "+0.6" / "−0.6" (a real minus sign) / "0". */
export function signed(n: number): string {
  if (n === 0) return '0';
  return `${n > 0 ? '+' : '−'}${Math.abs(n).toFixed(n * 10 === Math.round(n * 10) ? 1 : 2)}`;
}

export function leaning(n: number, evidence: boolean): string {
  if (!evidence) return 'no evidence';
  if (Math.abs(n) < 0.05) return `balanced (${signed(n)})`;
  return `leans ${n < 0 ? 'VM' : 'Kubernetes'} (${signed(n)})`;
}

function clip(text: string, max = MAX_BLOCK_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

/** Keeps a block under the size limit, dropping bullets that do not fit. */
function block(b: TextBlock): TextBlock {
  const out: TextBlock = {};
  if (b.heading) out.heading = clip(b.heading, 150);
  let used = (out.heading?.length ?? 0) + 10;
  if (b.text) {
    out.text = clip(b.text, MAX_BLOCK_CHARS - used);
    used += out.text.length;
  }
  if (b.bullets) {
    const kept: string[] = [];
    for (const bullet of b.bullets) {
      const text = clip(bullet, 600);
      if (used + text.length + 4 > MAX_BLOCK_CHARS) break;
      kept.push(text);
      used += text.length + 4;
    }
    if (kept.length > 0) out.bullets = kept;
  }
  return out;
}

export function verdictTitle(ctx: RenderContext, e: Evaluation): string {
  if (e.verdict !== 'hybrid' || !e.pattern) return VERDICT_NAMES[e.verdict];
  const p = ctx.catalog.pattern.get(e.pattern);
  return `Hybrid: ${p?.name ?? e.pattern}${p?.beyond_article ? ` (${BEYOND.toLowerCase()})` : ''}`;
}

function traitLine(ctx: RenderContext, t: Trait): string {
  return `${t.name}: ${t.reason} (${cite(ctx, t.section)}${t.beyond_article ? `; ${BEYOND.toLowerCase()}` : ''})`;
}

function verdictPhrase(ctx: RenderContext, verdict: Verdict, pattern: Evaluation['pattern']): string {
  if (verdict !== 'hybrid' || !pattern) return VERDICT_NAMES[verdict];
  return `Hybrid (${ctx.catalog.pattern.get(pattern)?.name ?? pattern})`;
}

/** Why the engine decided as it did, in one paragraph. */
export function decisionText(ctx: RenderContext, e: Evaluation): string {
  const gateName = e.decidingGate ? ctx.catalog.trait.get(e.decidingGate.trait)?.name ?? e.decidingGate.trait : '';
  const score = `The weighted score over the eight dimensions is ${signed(e.total)} (Kubernetes at ${signed(0.06)} or more, VMs at ${signed(-0.06)} or less, hybrid in between).`;
  switch (e.decidedBy) {
    case 'realtime':
      return `Hard real-time timing decided this before any scoring: the article credits neither platform with it, and dense packing on a shared kernel works against it, so it stays on reserved, unshared capacity (beyond the article: real-time kernels, CPU pinning or dedicated hosts). ${score}`;
    case 'gate_vm':
    case 'isolation_vm':
      return `A hard constraint decided this before any scoring: ${gateName}. ${score}`;
    case 'isolation_sandbox':
      return `A hard constraint (${gateName}) rules out plain shared-kernel containers, yet the rest of the workload pulls towards Kubernetes, so the answer combines both. ${score}`;
    case 'gate_kubevirt':
      return `A hard constraint (${gateName}) keeps this workload in a virtual machine, while the team leans towards Kubernetes, so the VM can be run under Kubernetes. ${score}`;
    case 'kubevirt_signal':
      return `The aim is to run virtual machines under Kubernetes (${gateName}), one control plane for VMs and containers. ${score}`;
    case 'split_signal':
      return `Parts of the estate belong on different platforms (${gateName}), so each part goes where it fits. ${score}`;
    case 'split_components':
      return `The description has a VM-bound part and a modern, container-ready part, so each goes where it fits. ${score}`;
    case 'conflict':
      return `Strong signals pull both ways (Kubernetes ${signed(e.kubernetesPull)}, VMs ${signed(-e.vmPull)}) and neither wins clearly. ${score}`;
    case 'isolation_conflict':
      return `The scores favour Kubernetes, but isolation (${signed(e.scores.isolation)}) and security (${signed(e.scores.security)}) both demand VM-grade separation, so the sensitive part needs it while the rest runs on Kubernetes. ${score}`;
    case 'no_evidence':
      return 'Nothing is known about the workload yet, so no side is favoured; the article expects both to have a role.';
    case 'score':
      return score;
  }
}

/** The reasons behind the verdict: gates first, then the dimensions that weigh most. */
export function reasons(ctx: RenderContext, e: Evaluation): string[] {
  const out: string[] = [];
  for (const g of e.gates) {
    const t = ctx.catalog.trait.get(g.trait);
    if (t) out.push(`Constraint — ${traitLine(ctx, t)}`);
  }
  const dims = [...DIMENSIONS].filter((d) => Math.abs(e.scores[d]) >= 0.05).sort((a, b) => Math.abs(e.scores[b]) - Math.abs(e.scores[a]));
  for (const d of dims.slice(0, 4)) {
    const s = e.scores[d];
    const topic = ctx.knowledge.topics.get(d);
    const side = s < 0 ? 'vm' : 'kubernetes';
    const drivers = e.traits
      .map((id) => ctx.catalog.trait.get(id))
      .filter((t): t is Trait => t !== undefined && (t.effects[d] ?? 0) * s > 0)
      .sort((a, b) => Math.abs(b.effects[d] ?? 0) - Math.abs(a.effects[d] ?? 0));
    const top = drivers[0];
    const why = topic && topic.favours === side ? `${topic.reasoning} (${cite(ctx, topic.section)})` : top ? `${top.reason} (${cite(ctx, top.section)})` : '';
    out.push(`${dimensionName(ctx, d)} ${leaning(s, true)}, from ${drivers.map((t) => t.name.toLowerCase()).join(', ') || 'your answers'}. ${why}`.trim());
  }
  return out;
}

export function flipLines(ctx: RenderContext, known: string[], settled: Set<string>, e: Evaluation): string[] {
  const out: string[] = [];
  for (const c of criticalTraits(ctx.catalog, known, e)) {
    out.push(`Without "${c.trait.name}", the answer would be ${verdictPhrase(ctx, c.verdict, c.pattern)}.`);
  }
  for (const open of openQuestions(ctx.catalog, known, settled)) {
    const f = open.flips[0];
    if (f) out.push(`If the answer to "${open.question.short}" were "${f.option.label}", it would be ${verdictPhrase(ctx, f.verdict, f.pattern)}.`);
  }
  if (out.length === 0) out.push('No single answer or trait would change this verdict; it would take several of them moving the same way.');
  return out.slice(0, 5);
}

export function nextSteps(ctx: RenderContext, e: Evaluation): string[] {
  if (e.verdict === 'hybrid' && e.pattern) return ctx.catalog.pattern.get(e.pattern)?.next_steps ?? [];
  return e.verdict === 'vm' ? ctx.catalog.file.next_steps.vm : ctx.catalog.file.next_steps.kubernetes;
}

export function risks(ctx: RenderContext, e: Evaluation): string[] {
  const base = ctx.catalog.file.risks[e.verdict];
  const extra: string[] = [];
  if (e.verdict === 'kubernetes' && e.traits.includes('no_k8s_skills')) extra.push('The team has no Kubernetes experience yet; budget for training or a managed service.');
  if (e.verdict === 'kubernetes' && (e.scores.isolation < 0 || e.scores.security < 0)) extra.push('Isolation or security needs pull the other way; harden the cluster and consider separate node pools.');
  if (e.verdict === 'vm' && e.scores.scaling > 0.3) extra.push('Traffic needs elastic scaling; plan VM autoscaling groups or keep headroom.');
  return [...extra, ...base].slice(0, 5);
}

export function scorecard(ctx: RenderContext, e: Evaluation): Fact[] {
  const touched = new Set<Dimension>();
  for (const id of e.traits) {
    const t = ctx.catalog.trait.get(id);
    for (const d of DIMENSIONS) if (t && t.effects[d] !== undefined) touched.add(d);
  }
  const facts: Fact[] = DIMENSIONS.map((d) => ({ label: dimensionName(ctx, d), value: leaning(e.scores[d], touched.has(d)) }));
  facts.push({ label: 'Verdict', value: verdictTitle(ctx, e) });
  facts.push({ label: 'Confidence', value: `${Math.round(e.confidence * 100)}%` });
  return facts;
}

export function sources(ctx: RenderContext, e: Evaluation): string {
  const ids = new Set<SectionId>();
  for (const id of e.traits) {
    const t = ctx.catalog.trait.get(id);
    if (t) ids.add(t.section);
  }
  if (e.pattern) {
    const p = ctx.catalog.pattern.get(e.pattern);
    if (p) ids.add(p.section);
  }
  ids.add('conclusion');
  const titles = [...ids].map((s) => ctx.knowledge.article.sections.find((x) => x.id === s)?.title ?? s);
  return `Article "${ctx.knowledge.article.title}", sections: ${titles.join('; ')}`;
}

function dialogRef(s: DialogState): NonNullable<Reply['dialog']> {
  return { id: s.id, owner: s.owner, step: s.answers.length, done: s.done };
}

function nav(s: DialogState, type: 'skip' | 'back' | 'restart' | 'cancel'): Action {
  return { type, dialog: s.id, owner: s.owner, step: s.answers.length };
}

/** One question of the dialog, with its options as buttons and navigation. */
export function questionReply(ctx: RenderContext, s: DialogState, q: Question, opts: { replace: boolean; intro?: TextBlock[] }): Reply {
  const n = s.answers.length + 1;
  const choices: Choice[] = q.options.map((o, i) => ({
    label: `${i + 1}. ${o.label}`,
    action: { type: 'answer', dialog: s.id, owner: s.owner, step: s.answers.length, value: o.id },
  }));
  const actions: Choice[] = [{ label: 'Skip', action: nav(s, 'skip') }];
  if (s.answers.length > 0) actions.push({ label: 'Back', action: nav(s, 'back') });
  actions.push({ label: 'Start over', action: nav(s, 'restart') }, { label: 'Cancel', action: nav(s, 'cancel'), style: 'danger' });
  const blocks: TextBlock[] = [
    ...(opts.intro ?? []),
    { text: q.text },
    { text: `Why it matters: ${q.why} (${cite(ctx, q.section)})` },
    { text: `Pick a button, or type a number (1-${q.options.length}), "yes", "no", "not sure", "skip", "back" or "cancel".` },
  ];
  return {
    title: `Question ${n}`,
    summary: `Question ${n}: ${q.text}`,
    blocks: blocks.slice(-MAX_BLOCKS).map(block),
    choices,
    actions,
    source: cite(ctx, q.section),
    visibility: 'private',
    replaceOriginal: opts.replace,
    dialog: dialogRef(s),
    kind: 'question',
  };
}

/** What the user's description told the advisor, quoting their words. */
export function foundBlock(ctx: RenderContext, found: DialogState['found']): TextBlock {
  if (found.length === 0) return { heading: 'Traits found in your description', text: 'I could not pick out any deciding trait from the description.' };
  return {
    heading: 'Traits found in your description',
    bullets: found.map((f) => `${ctx.catalog.trait.get(f.trait)?.name ?? f.trait}: "${f.evidence}"`),
  };
}

function answersBlock(ctx: RenderContext, s: DialogState): TextBlock | null {
  if (s.answers.length === 0) return null;
  return {
    heading: 'Your answers',
    bullets: s.answers.map((a) => {
      const q = ctx.catalog.question.get(a.question);
      const label = a.option === null ? 'skipped' : (q?.options.find((o) => o.id === a.option)?.label ?? a.option);
      return `${q?.short ?? a.question}: ${label}`;
    }),
  };
}

/** Follow-up questions offered when confidence is low. */
export function followUps(ctx: RenderContext, e: Evaluation): Choice[] {
  if (e.confidence >= 0.6) return [];
  const ordered = [...DIMENSIONS].sort((a, b) => Math.abs(e.scores[b]) - Math.abs(e.scores[a]));
  return ordered.slice(0, 3).map((d) => {
    const name = dimensionName(ctx, d).toLowerCase();
    return { label: `Tell me more about ${name}`, action: { type: 'ask', text: `Tell me more about ${name}` } };
  });
}

/** The finished recommendation or workload review. */
export function finalReply(ctx: RenderContext, s: DialogState, opts: { replace: boolean; visibility: 'private' | 'public' }): Reply {
  const known = knownTraits(ctx.catalog, s);
  const e = evaluate(ctx.catalog, known);
  const settled = new Set(s.answers.map((a) => a.question));
  const blocks: TextBlock[] = [];
  blocks.push({ heading: 'How this was decided', text: decisionText(ctx, e) });
  const gateTraits = e.gates.map((g) => ctx.catalog.trait.get(g.trait)).filter((t): t is Trait => t !== undefined);
  blocks.push({
    heading: 'Constraints fired',
    ...(gateTraits.length > 0 ? { bullets: gateTraits.map((t) => traitLine(ctx, t)) } : { text: 'None: no hard constraint applies, so the scores decide.' }),
  });
  if (e.verdict === 'hybrid' && e.pattern) {
    const p = ctx.catalog.pattern.get(e.pattern);
    if (p) blocks.push({ heading: `Pattern: ${p.name}${p.beyond_article ? ` (${BEYOND})` : ''}`, text: `${p.text} (${cite(ctx, p.section)})` });
  }
  if (s.mode === 'review' || s.found.length > 0) blocks.push(foundBlock(ctx, s.found));
  const answered = answersBlock(ctx, s);
  if (answered) blocks.push(answered);
  const why = reasons(ctx, e).filter((r) => !r.startsWith('Constraint — '));
  blocks.push({ heading: 'Top reasons', ...(why.length > 0 ? { bullets: why } : { text: 'No dimension has evidence yet.' }) });
  blocks.push({ heading: 'Risks', bullets: risks(ctx, e) });
  blocks.push({ heading: 'What would flip it', bullets: flipLines(ctx, known, settled, e) });
  blocks.push({ heading: 'Next steps', bullets: nextSteps(ctx, e) });
  const beyond = [...gateTraits, ...known.map((id) => ctx.catalog.trait.get(id)).filter((t): t is Trait => t !== undefined)].filter((t) => t.beyond_article);
  if (beyond.length > 0 || (e.pattern && ctx.catalog.pattern.get(e.pattern)?.beyond_article)) {
    blocks.push({
      heading: BEYOND,
      text: `Some reasoning here goes further than the article: ${[...new Set(beyond.map((t) => t.name.toLowerCase()))].join(', ') || 'the hybrid pattern'}${e.pattern && ctx.catalog.pattern.get(e.pattern)?.beyond_article ? `; the ${ctx.catalog.pattern.get(e.pattern)?.name.toLowerCase()} pattern and the tools it names` : ''}. Treat it as general practice, not as the article's claim.`,
    });
  }
  const actions: Choice[] = [];
  if (opts.visibility === 'private') {
    actions.push({ label: 'Share in channel', action: { type: 'share', dialog: s.id, owner: s.owner }, style: 'primary' });
    actions.push({ label: 'Start over', action: { type: 'start' } });
    actions.push(...followUps(ctx, e));
  } else {
    actions.push({ label: 'Get my own recommendation', action: { type: 'start' } });
  }
  const kind = s.mode === 'review' ? 'review' : 'recommendation';
  return {
    title: `${kind === 'review' ? 'Workload review' : 'Recommendation'}: ${verdictTitle(ctx, e)}`,
    summary: `${verdictTitle(ctx, e)}, confidence ${Math.round(e.confidence * 100)}%. ${decisionText(ctx, e).split('. ')[0]?.replace(/\.$/, '')}.`,
    blocks: blocks.slice(0, MAX_BLOCKS).map(block),
    facts: scorecard(ctx, e),
    actions,
    source: sources(ctx, e),
    visibility: opts.visibility,
    replaceOriginal: opts.replace,
    dialog: dialogRef(s),
    kind,
  };
}

export function notice(text: string, actions: Choice[] = [], dialog?: DialogState): Reply {
  return {
    summary: text,
    blocks: [{ text }],
    actions,
    visibility: 'private',
    kind: 'notice',
    ...(dialog ? { dialog: dialogRef(dialog) } : {}),
  };
}

export const START_CHOICE: Choice = { label: 'Start a recommendation', action: { type: 'start' }, style: 'primary' };
