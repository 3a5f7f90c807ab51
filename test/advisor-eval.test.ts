import { describe, expect, it } from 'vitest';
import { evaluateWorkloads, formatReviewText, formatWorkloadEval, parseWorkloadsJsonl, reviewJson } from '../src/advisor/index.js';
import { DIMENSIONS } from '../src/types.js';
import { advisorKnowledge, testAdvisor, workloads } from './advisor-helpers.js';

const advisor = testAdvisor();
const lines = workloads();

describe('labelled workloads', () => {
  it('has at least 40 descriptions, balanced across the three verdicts', () => {
    expect(lines.length).toBeGreaterThanOrEqual(40);
    for (const v of ['vm', 'kubernetes', 'hybrid']) expect(lines.filter((l) => l.verdict === v).length).toBeGreaterThanOrEqual(10);
  });

  it('agrees with at least 90% of the labels, and every review names traits quoted from the text', () => {
    const report = evaluateWorkloads(advisor, lines);
    if (report.agreement < 0.9) console.error(formatWorkloadEval(report));
    expect(report.invalid).toEqual([]);
    expect(report.total).toBe(lines.length);
    expect(report.agreement).toBeGreaterThanOrEqual(0.9);
    expect(report.withoutEvidence).toEqual([]);
    console.info(`workload agreement: ${report.agreed}/${report.total} (${(report.agreement * 100).toFixed(1)}%)`);
  });

  it.each(lines.map((l, i) => ({ ...l, i: i + 1 })))('#$i lists its traits with evidence from the input', ({ text }) => {
    const json = reviewJson(advisor, text);
    expect(json.traits.length).toBeGreaterThan(0);
    for (const t of json.traits) expect(text).toContain(t.evidence);
  });
});

describe('independent workload sets (first runs in the README; floors keep what they showed)', () => {
  // Written from the article and the label definitions alone; scored once on the code of their day.
  it.each([
    ['workloads-holdout6.jsonl', 90, 0.84, 5],
    ['workloads-holdout7.jsonl', 50, 0.8, 2],
    ['workloads-holdout8.jsonl', 60, 0.83, 1],
  ] as const)('%s: %i descriptions, agreement floor %d, at most %i reviews without evidenced traits', (file, lines, floor, bare) => {
    const set = workloads(file);
    expect(set.length).toBe(lines);
    const report = evaluateWorkloads(advisor, set);
    if (report.agreement < floor) console.error(formatWorkloadEval(report));
    expect(report.invalid).toEqual([]);
    expect(report.agreement).toBeGreaterThanOrEqual(floor);
    expect(report.withoutEvidence.length).toBeLessThanOrEqual(bare);
  });
});

describe('held-out workloads', () => {
  // Written apart from the labelled set, in chat style (slang, typos, negations, mixed estates);
  // guards against regressions on descriptions the catalogue was not written from.
  const holdout = workloads('workloads-holdout.jsonl');

  it('has 80 descriptions, balanced across the three verdicts', () => {
    expect(holdout.length).toBe(80);
    for (const v of ['vm', 'kubernetes', 'hybrid']) expect(holdout.filter((l) => l.verdict === v).length).toBeGreaterThanOrEqual(25);
  });

  it('agrees with at least 85% of the labels, and every review quotes its evidence from the text', () => {
    const report = evaluateWorkloads(advisor, holdout);
    if (report.agreement < 0.85) console.error(formatWorkloadEval(report));
    expect(report.invalid).toEqual([]);
    expect(report.total).toBe(holdout.length);
    expect(report.agreement).toBeGreaterThanOrEqual(0.85);
    expect(report.withoutEvidence).toEqual([]);
    console.info(`held-out workload agreement: ${report.agreed}/${report.total} (${(report.agreement * 100).toFixed(1)}%)`);
  });
});

describe('reviewJson', () => {
  it('has the documented shape', () => {
    const json = reviewJson(advisor, 'Legacy SAP ERP on-prem plus a bunch of new REST APIs.');
    expect(Object.keys(json).sort()).toEqual(['confidence', 'missing', 'reasons', 'scores', 'traits', 'verdict']);
    expect(json.verdict).toBe('hybrid');
    expect(Object.keys(json.scores)).toEqual([...DIMENSIONS]);
    expect(json.confidence).toBeGreaterThan(0);
    expect(json.confidence).toBeLessThanOrEqual(1);
    expect(json.reasons.every((r) => typeof r === 'string' && r.length > 0)).toBe(true);
    expect(json.traits).toContainEqual({ id: 'legacy_monolith', evidence: 'Legacy' });
    for (const id of json.missing) expect(advisor.catalog.question.has(id)).toBe(true);
  });

  it('works from the knowledge alone, and lists what is missing for thin input', () => {
    const json = reviewJson(advisorKnowledge(), 'We have spiky traffic.');
    expect(json.verdict).toBe('kubernetes');
    expect(json.missing.length).toBeGreaterThan(0);
  });

  it('reasons cite the article', () => {
    const json = reviewJson(advisor, 'E-commerce backend: 12 microservices, Black Friday brings 10x traffic.');
    expect(json.reasons.some((r) => /Article, section "Kubernetes vs\. Virtual Machines: \d\. /.test(r))).toBe(true);
  });
});

describe('formatReviewText', () => {
  it('prints verdict, scorecard, traits with quotes, reasons, flips and next steps', () => {
    const text = formatReviewText(advisor, 'Multi-tenant SaaS where each customer runs their own plugins (arbitrary code). We want to consolidate on k8s.');
    expect(text).toMatch(/^Verdict: Hybrid: VM-grade isolation inside Kubernetes \(beyond the article\)/);
    expect(text).toContain('[Beyond the article]');
    expect(text).toMatch(/Scorecard/);
    expect(text).toMatch(/Runs untrusted or customer-supplied code: "customer runs their own plugins"/);
    for (const heading of ['Reasons:', 'Risks:', 'What would flip it:', 'Next steps:']) expect(text).toContain(heading);
  });
});

describe('parseWorkloadsJsonl', () => {
  it('reads one object per line, skips blank lines and leaves field problems to the evaluation', () => {
    const lines = parseWorkloadsJsonl('{"text":"a","verdict":"vm"}\n\n{"text":"b"}\n{"verdict":"hybrid"}\n');
    expect(lines).toEqual([
      { text: 'a', verdict: 'vm' },
      { text: 'b', verdict: 'undefined' },
      { text: '', verdict: 'hybrid' },
    ]);
    expect(evaluateWorkloads(advisor, lines).invalid.map((i) => i.index)).toEqual([1, 2]);
  });

  it('names the line that is not JSON', () => {
    expect(() => parseWorkloadsJsonl('{"text":"a","verdict":"vm"}\n{oops')).toThrow(/^line 2: not valid JSON/);
  });
});

describe('evaluateWorkloads', () => {
  it('reports bad lines instead of failing', () => {
    const report = evaluateWorkloads(advisor, [
      { text: 'one small app, two devs', verdict: 'vm' },
      { text: '', verdict: 'vm' },
      { text: 'x', verdict: 'bare-metal' },
    ]);
    expect(report.total).toBe(1);
    expect(report.invalid.map((i) => i.index)).toEqual([1, 2]);
    expect(formatWorkloadEval(report)).toMatch(/Invalid lines/);
  });

  it('lists disagreements in the confusion table', () => {
    const report = evaluateWorkloads(advisor, [{ text: 'Two devs, one Django app and a Postgres database.', verdict: 'kubernetes' }]);
    expect(report.agreement).toBe(0);
    expect(report.confusion.kubernetes.vm).toBe(1);
    expect(formatWorkloadEval(report)).toMatch(/#1 expected kubernetes, got vm/);
  });
});
