import { DIMENSIONS, type Dimension } from '../types.js';
import { createAdvisor, type Analysis, type VmkAdvisor } from './advisor.js';
import { VERDICTS, type Verdict } from './engine.js';
import { dimensionName, flipLines, nextSteps, reasons, risks, signed, verdictTitle, decisionText, cite, BEYOND, type RenderContext, type AdvisorKnowledge } from './render.js';

/** The machine-readable review (`vmk review --json`). */
export interface ReviewJson {
  verdict: Verdict;
  confidence: number;
  traits: { id: string; evidence: string }[];
  scores: Record<Dimension, number>;
  reasons: string[];
  /** Question ids whose answer could still change the verdict. */
  missing: string[];
}

function asAdvisor(source: VmkAdvisor | AdvisorKnowledge): VmkAdvisor {
  return 'analyse' in source ? source : createAdvisor(source);
}

function ctxOf(advisor: VmkAdvisor): RenderContext {
  return { catalog: advisor.catalog, knowledge: advisor.knowledge };
}

export function reviewJson(source: VmkAdvisor | AdvisorKnowledge, text: string): ReviewJson {
  const advisor = asAdvisor(source);
  const a = advisor.analyse(text);
  return {
    verdict: a.evaluation.verdict,
    confidence: a.evaluation.confidence,
    traits: a.found.map((f) => ({ id: f.trait, evidence: f.evidence })),
    scores: a.evaluation.scores,
    reasons: reasons(ctxOf(advisor), a.evaluation),
    missing: a.missing.map((q) => q.id),
  };
}

/** The review as plain text for a terminal. */
export function formatReviewText(source: VmkAdvisor | AdvisorKnowledge, text: string): string {
  const advisor = asAdvisor(source);
  const ctx = ctxOf(advisor);
  const a: Analysis = advisor.analyse(text);
  const e = a.evaluation;
  const lines: string[] = [];
  lines.push(`Verdict: ${verdictTitle(ctx, e)}   (confidence ${Math.round(e.confidence * 100)}%)`);
  lines.push('', decisionText(ctx, e));
  if (e.verdict === 'hybrid' && e.pattern) {
    const p = ctx.catalog.pattern.get(e.pattern);
    if (p) lines.push('', `Pattern: ${p.name}${p.beyond_article ? ` [${BEYOND}]` : ''}`, `  ${p.text} (${cite(ctx, p.section)})`);
  }
  lines.push('', 'Scorecard (negative leans VM, positive leans Kubernetes):');
  for (const d of DIMENSIONS) lines.push(`  ${dimensionName(ctx, d).padEnd(22)} ${signed(e.scores[d]).padStart(5)}`);
  lines.push('', 'Traits found:');
  if (a.found.length === 0) lines.push('  (none)');
  for (const f of a.found) lines.push(`  - ${ctx.catalog.trait.get(f.trait)?.name ?? f.trait}: "${f.evidence}"`);
  const section = (title: string, items: string[]): void => {
    lines.push('', `${title}:`);
    for (const item of items) lines.push(`  - ${item}`);
  };
  section('Reasons', reasons(ctx, e));
  section('Risks', risks(ctx, e));
  section('What would flip it', flipLines(ctx, e.traits, new Set(), e));
  section('Next steps', nextSteps(ctx, e));
  if (a.missing.length > 0) section('Still open (answers that could change the verdict)', a.missing.map((q) => q.text));
  return `${lines.join('\n')}\n`;
}

export interface WorkloadLine {
  text: string;
  verdict: string;
}

export interface WorkloadEvalReport {
  total: number;
  agreed: number;
  agreement: number;
  /** confusion[expected][got] = count */
  confusion: Record<Verdict, Record<Verdict, number>>;
  misses: { index: number; text: string; expected: Verdict; got: Verdict; confidence: number; traits: string[] }[];
  /** Reviews that named no trait at all, or quoted evidence not found in the text. */
  withoutEvidence: number[];
  invalid: { index: number; problem: string }[];
}

/**
 * Reads labelled workloads, one JSON object `{"text", "verdict"}` per line.
 * Blank lines are skipped; a line that is not JSON throws an error naming it.
 * Field problems (empty text, unknown verdict) are left for evaluateWorkloads to report.
 */
export function parseWorkloadsJsonl(source: string): WorkloadLine[] {
  const out: WorkloadLine[] = [];
  source.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new Error(`line ${i + 1}: not valid JSON (${(err as Error).message})`);
    }
    const obj = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    out.push({ text: typeof obj['text'] === 'string' ? obj['text'] : '', verdict: typeof obj['verdict'] === 'string' ? obj['verdict'] : String(obj['verdict']) });
  });
  return out;
}

const isVerdict = (v: string): v is Verdict => (VERDICTS as readonly string[]).includes(v);

/** Scores the advisor against labelled workload descriptions. */
export function evaluateWorkloads(source: VmkAdvisor | AdvisorKnowledge, lines: WorkloadLine[]): WorkloadEvalReport {
  const advisor = asAdvisor(source);
  const confusion = Object.fromEntries(VERDICTS.map((v) => [v, Object.fromEntries(VERDICTS.map((w) => [w, 0]))])) as WorkloadEvalReport['confusion'];
  const report: WorkloadEvalReport = { total: 0, agreed: 0, agreement: 0, confusion, misses: [], withoutEvidence: [], invalid: [] };
  lines.forEach((line, index) => {
    if (typeof line.text !== 'string' || line.text.trim() === '') {
      report.invalid.push({ index, problem: 'empty text' });
      return;
    }
    if (!isVerdict(line.verdict)) {
      report.invalid.push({ index, problem: `verdict "${String(line.verdict)}" is not one of ${VERDICTS.join(', ')}` });
      return;
    }
    const a = advisor.analyse(line.text);
    const got = a.evaluation.verdict;
    report.total += 1;
    confusion[line.verdict][got] += 1;
    if (got === line.verdict) report.agreed += 1;
    else report.misses.push({ index, text: line.text, expected: line.verdict, got, confidence: a.evaluation.confidence, traits: a.found.map((f) => f.trait) });
    if (a.found.length === 0 || a.found.some((f) => !line.text.includes(f.evidence))) report.withoutEvidence.push(index);
  });
  report.agreement = report.total === 0 ? 0 : Math.round((report.agreed / report.total) * 1000) / 1000;
  return report;
}

export function formatWorkloadEval(report: WorkloadEvalReport): string {
  const lines: string[] = [];
  lines.push(`Verdict agreement: ${report.agreed}/${report.total} = ${(report.agreement * 100).toFixed(1)}%`);
  lines.push('', 'Confusion (rows: expected, columns: advisor):');
  lines.push(`  ${''.padEnd(12)}${VERDICTS.map((v) => v.padStart(12)).join('')}`);
  for (const v of VERDICTS) lines.push(`  ${v.padEnd(12)}${VERDICTS.map((w) => String(report.confusion[v][w]).padStart(12)).join('')}`);
  if (report.misses.length > 0) {
    lines.push('', 'Disagreements:');
    for (const m of report.misses) {
      lines.push(`  #${m.index + 1} expected ${m.expected}, got ${m.got} (${Math.round(m.confidence * 100)}%) traits: ${m.traits.join(', ') || '(none)'}`);
      lines.push(`     ${m.text.length > 140 ? `${m.text.slice(0, 139)}…` : m.text}`);
    }
  }
  if (report.withoutEvidence.length > 0) lines.push('', `Reviews without traits or with evidence not in the text: ${report.withoutEvidence.map((i) => `#${i + 1}`).join(', ')}`);
  if (report.invalid.length > 0) {
    lines.push('', 'Invalid lines:');
    for (const i of report.invalid) lines.push(`  #${i.index + 1}: ${i.problem}`);
  }
  return `${lines.join('\n')}\n`;
}
