import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/paths.js';
import { DIMENSIONS, INTENTS, TOPICS } from '../src/types.js';

/** The CLI contract, run against the built `vmk` bin (npm test builds dist/ first). */
const BIN = join(PROJECT_ROOT, 'dist', 'src', 'cli.js');

function vmk(args: string[], input = '') {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', cwd: PROJECT_ROOT, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('vmk CLI', () => {
  beforeAll(() => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build first (npm test does)`);
  });

  it('classify: one JSON object per input line, nothing else on stdout', () => {
    const lines = ['how do vms and k8s compare on isolation?', 'and for VMs?', 'what is the price of an m5.large?', 'thx 🙏'];
    const r = vmk(['classify'], `${lines.join('\n')}\n\n`);
    expect(r.code).toBe(0);
    const out = r.stdout.trimEnd().split('\n');
    expect(out).toHaveLength(lines.length);
    const rows = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    rows.forEach((row, i) => {
      expect(Object.keys(row)).toEqual(['text', 'intent', 'topic', 'platform', 'confidence']);
      expect(row.text).toBe(lines[i]);
      expect(INTENTS).toContain(row.intent);
      expect(row.topic === null || (TOPICS as readonly unknown[]).includes(row.topic)).toBe(true);
      expect(row.platform === null || row.platform === 'vm' || row.platform === 'kubernetes').toBe(true);
      expect(typeof row.confidence).toBe('number');
    });
    expect(rows[0]).toMatchObject({ intent: 'ask_topic', topic: 'isolation' });
    expect(rows[2]).toMatchObject({ intent: 'out_of_scope', topic: null });
    expect(rows[3]).toMatchObject({ intent: 'thanks' });
  });

  it('ask: one turn, the reply as plain text', () => {
    const r = vmk(['ask', 'is kubernetes faster to deploy than VMs?']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Deployment speed/i);
    expect(r.stdout).toMatch(/Source: /);
    expect(r.stdout).not.toMatch(/[{}]"/);
  });

  it('ask without a question explains how to use it', () => {
    const r = vmk(['ask']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vmk ask needs a question/);
  });

  it('eval prints per-intent precision and recall, topic accuracy, OOS recall, rejection and confusions', () => {
    const r = vmk(['eval']);
    expect(r.code).toBe(0);
    for (const label of ['intent accuracy', 'topic accuracy', 'out-of-scope recall', 'in-scope rejected', 'precision', 'recall', 'confusions']) {
      expect(r.stdout).toContain(label);
    }
    for (const intent of INTENTS) expect(r.stdout).toContain(intent);
  });

  it('eval names the bad line of a malformed file', () => {
    const r = vmk(['eval', join(PROJECT_ROOT, 'package.json')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 1/i);
  });

  it('review --json prints the documented object', () => {
    const r = vmk(['review', '--json'], 'We run 25 microservices on EKS with spiky traffic and deploy many times a day.');
    expect(r.code).toBe(0);
    const review = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(review).sort()).toEqual(['confidence', 'missing', 'reasons', 'scores', 'traits', 'verdict']);
    expect(['vm', 'kubernetes', 'hybrid']).toContain(review.verdict);
    expect(review.verdict).toBe('kubernetes');
    expect(Object.keys(review.scores as object).sort()).toEqual([...DIMENSIONS].sort());
    const traits = review.traits as { id: string; evidence: string }[];
    expect(traits.length).toBeGreaterThan(0);
    for (const t of traits) expect('We run 25 microservices on EKS with spiky traffic and deploy many times a day.').toContain(t.evidence);
  });

  it('review --jsonl answers one object per line, in order', () => {
    const input = ['A 20 year old COBOL batch job on Windows Server 2008 that the vendor only supports on VMware.', 'Forty stateless Go microservices with bursty traffic, container-savvy team.'];
    const r = vmk(['review', '--jsonl'], `${input.join('\n')}\n`);
    expect(r.code).toBe(0);
    const rows = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { verdict: string });
    expect(rows.map((x) => x.verdict)).toEqual(['vm', 'kubernetes']);
  });

  it('review prints a readable review', () => {
    const r = vmk(['review'], 'Our customers upload Python scripts that we run for them; everything else is microservices on Kubernetes.');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/hybrid/i);
  });

  it('unknown commands print usage and fail', () => {
    const r = vmk(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage:/);
  });
});
