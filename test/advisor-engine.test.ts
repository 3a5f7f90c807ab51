import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { KnowledgeError } from '../src/errors.js';
import { KNOWLEDGE_DIR } from '../src/paths.js';
import { buildCatalog, evaluate, loadCatalog, openQuestions } from '../src/advisor/index.js';
import { DIMENSIONS } from '../src/types.js';
import { testAdvisor } from './advisor-helpers.js';

const advisor = testAdvisor();
const catalog = advisor.catalog;
const traitsOf = (text: string): string[] => advisor.analyse(text).found.map((f) => f.trait);

describe('hard constraints', () => {
  it.each([
    { name: 'Windows-only OS', traits: ['windows_only', 'steady_traffic'], verdict: 'vm', gate: 'os' },
    { name: 'custom kernel', traits: ['custom_kernel'], verdict: 'vm', gate: 'os' },
    { name: 'vendor supports only VMs', traits: ['vendor_vm_only', 'spiky_traffic'], verdict: 'vm', gate: 'vendor' },
    { name: 'attached hardware', traits: ['passthrough_hardware', 'cost_pressure'], verdict: 'vm', gate: 'hardware' },
    { name: 'live migration', traits: ['live_migration', 'spiky_traffic'], verdict: 'vm', gate: 'live_migration' },
    { name: 'real-time even with a Kubernetes team', traits: ['realtime', 'k8s_skills'], verdict: 'vm', gate: 'realtime' },
    { name: 'untrusted code, nothing pulling to Kubernetes', traits: ['untrusted_code', 'no_k8s_skills'], verdict: 'vm', gate: 'isolation' },
  ])('$name forces $verdict', ({ traits, verdict, gate }) => {
    const e = evaluate(catalog, traits);
    expect(e.verdict).toBe(verdict);
    expect(e.decidingGate?.gate).toBe(gate);
  });

  it('gates win even when every score points the other way', () => {
    const e = evaluate(catalog, ['windows_only', 'spiky_traffic', 'many_services', 'frequent_releases', 'low_utilisation', 'multi_cloud']);
    expect(e.total).toBeGreaterThan(0.2);
    expect(e.verdict).toBe('hybrid');
    expect(e.pattern).toBe('split_estate');
    expect(evaluate(catalog, ['windows_only', 'spiky_traffic', 'low_utilisation', 'multi_cloud']).verdict).toBe('vm');
  });

  it('untrusted code plus a Kubernetes team gives VM-grade isolation inside Kubernetes', () => {
    const e = evaluate(catalog, ['untrusted_code', 'k8s_skills']);
    expect(e).toMatchObject({ verdict: 'hybrid', pattern: 'sandboxed_runtime', decidedBy: 'isolation_sandbox' });
    const strongPull = evaluate(catalog, ['untrusted_code', 'spiky_traffic', 'batch_jobs']);
    expect(strongPull.pattern).toBe('sandboxed_runtime');
  });

  it('a VM-bound workload and a team that wants Kubernetes gives VMs managed by Kubernetes', () => {
    expect(evaluate(catalog, ['live_migration', 'k8s_preference'])).toMatchObject({ verdict: 'hybrid', pattern: 'kubevirt' });
    expect(evaluate(catalog, ['windows_only', 'k8s_skills'])).toMatchObject({ verdict: 'hybrid', pattern: 'kubevirt' });
  });

  it('a part held on VMs by any hard constraint, next to new services, makes a split estate', () => {
    for (const held of ['live_migration', 'passthrough_hardware', 'windows_only', 'stays_on_vms', 'realtime']) {
      expect(evaluate(catalog, [held, 'many_services']), held).toMatchObject({ verdict: 'hybrid', pattern: 'split_estate', decidedBy: 'split_components' });
      expect(evaluate(catalog, [held, 'cloud_native']), held).toMatchObject({ verdict: 'hybrid', pattern: 'split_estate' });
    }
    // Hard real-time is no VM strength in the article either: a timed part next to new services is one more split estate,
    // and the timed part is what holds it on VMs.
    const timed = evaluate(catalog, ['realtime', 'many_services']);
    expect(timed).toMatchObject({ verdict: 'hybrid', pattern: 'split_estate', decidedBy: 'split_components' });
    expect(timed.decidingGate?.gate).toBe('realtime');
    // An explicit mix of old and new parts says there are new parts: the timed part is set apart.
    expect(evaluate(catalog, ['realtime', 'mixed_estate', 'cloud_native'])).toMatchObject({ verdict: 'hybrid', pattern: 'split_estate' });
    expect(evaluate(catalog, ['realtime', 'mixed_estate'])).toMatchObject({ verdict: 'hybrid', pattern: 'split_estate' });
    // On its own, or with a team that knows Kubernetes, the timed workload stays on reserved VMs.
    expect(evaluate(catalog, ['realtime', 'k8s_skills', 'steady_traffic']).verdict).toBe('vm');
  });

  it('legacy parts next to new services make a split estate', () => {
    expect(evaluate(catalog, ['legacy_monolith', 'cloud_native'])).toMatchObject({ verdict: 'hybrid', pattern: 'split_estate', decidedBy: 'split_components' });
    expect(evaluate(catalog, ['mixed_estate'])).toMatchObject({ verdict: 'hybrid', pattern: 'split_estate', decidedBy: 'split_signal' });
    expect(evaluate(catalog, ['mixed_os', 'steady_traffic'])).toMatchObject({ verdict: 'hybrid', decidedBy: 'split_signal' });
  });

  it('strict isolation demands against a Kubernetes-leaning total give a hybrid', () => {
    const e = evaluate(catalog, ['strict_compliance', 'hard_multitenancy', 'many_services', 'cloud_native', 'k8s_skills']);
    expect(e).toMatchObject({ verdict: 'hybrid', decidedBy: 'isolation_conflict', pattern: 'sandboxed_runtime' });
  });
});

describe('scores', () => {
  it('signs follow the article: VM negative, Kubernetes positive', () => {
    const e = evaluate(catalog, ['spiky_traffic', 'many_services', 'frequent_releases']);
    expect(e.scores.scaling).toBeGreaterThan(0);
    expect(e.scores.orchestration).toBeGreaterThan(0);
    expect(e.verdict).toBe('kubernetes');
    const v = evaluate(catalog, ['single_app', 'small_team', 'steady_traffic']);
    expect(v.scores.maintenance).toBeLessThan(0);
    expect(v.verdict).toBe('vm');
  });

  it('clamps every dimension to [-1, 1] and weighs the eight equally', () => {
    const e = evaluate(catalog, catalog.file.traits.filter((t) => !t.gate).map((t) => t.id));
    for (const d of DIMENSIONS) expect(Math.abs(e.scores[d])).toBeLessThanOrEqual(1);
    const mean = DIMENSIONS.reduce((a, d) => a + e.scores[d], 0) / DIMENSIONS.length;
    expect(Math.abs(e.total - mean)).toBeLessThan(0.006);
  });

  it('with nothing known the verdict is a low-confidence hybrid', () => {
    const e = evaluate(catalog, []);
    expect(e).toMatchObject({ verdict: 'hybrid', decidedBy: 'no_evidence' });
    expect(e.confidence).toBeLessThan(0.3);
  });

  it('confidence grows with coverage and agreement', () => {
    const thin = evaluate(catalog, ['spiky_traffic']);
    const rich = evaluate(catalog, ['spiky_traffic', 'many_services', 'frequent_releases', 'k8s_skills', 'multi_cloud', 'low_utilisation']);
    expect(thin.verdict).toBe('kubernetes');
    expect(rich.confidence).toBeGreaterThan(thin.confidence);
    expect(rich.confidence).toBeLessThanOrEqual(0.95);
  });

  it('is deterministic and ignores order and duplicates', () => {
    const a = evaluate(catalog, ['legacy_monolith', 'steady_traffic', 'steady_traffic']);
    const b = evaluate(catalog, ['steady_traffic', 'legacy_monolith']);
    expect({ ...a, traits: [] }).toEqual({ ...b, traits: [] });
  });

  it('open questions are those whose answer could flip the verdict; once a gate decides, only a split of the estate can', () => {
    expect(openQuestions(catalog, [], new Set()).length).toBeGreaterThan(5);
    const decided = ['realtime'];
    const open = openQuestions(catalog, decided, new Set());
    expect(open.length).toBeGreaterThan(0);
    for (const o of open) for (const f of o.flips) expect(evaluate(catalog, [...decided, ...f.option.traits]).verdict).toBe('hybrid');
  });
});

describe('trait extraction', () => {
  it.each([
    ['we deploy 20 times a day', 'frequent_releases'],
    ['we ship several times a week', 'frequent_releases'],
    ['12 microservices in Go', 'many_services'],
    ['a dozen services', 'many_services'],
    ['3 services and a queue', 'few_services'],
    ['servers sit at 10% CPU', 'low_utilisation'],
    ['Black Friday brings 10x traffic', 'spiky_traffic'],
    ['a dashboard stack that scales with sensor data', 'spiky_traffic'],
    ['workers that scale out with request volume', 'spiky_traffic'],
    ['a control loop on VMs, plus a new analytics and dashboard stack', 'mixed_estate'],
    ['the old ERP, alongside a new customer API', 'mixed_estate'],
    ['a 2-person team', 'small_team'],
    ['it relies on vMotion', 'live_migration'],
    ['customers upload their own scripts', 'untrusted_code'],
    ['PCI-DSS scope', 'strict_compliance'],
    ['we are on-prem and AWS', 'multi_cloud'],
    ['the vendor only supports it on VMware', 'vendor_vm_only'],
    ['needs a USB licence dongle', 'passthrough_hardware'],
    ['it needs a PCIe capture card', 'passthrough_hardware'],
    ['a PCI HSM card signs the payments', 'passthrough_hardware'],
    ['the app is a lift-and-shift candidate', 'legacy_monolith'],
    ['Vendor: VMware/Hyper-V supported only.', 'vendor_vm_only'],
    ['the PACS system is vendor-certified on Hyper-V only', 'vendor_vm_only'],
    ['some network functions only ship as VM images', 'vendor_vm_only'],
    ['3rd-party plugin code executes server-side', 'untrusted_code'],
    ['extensions that run on our servers', 'untrusted_code'],
    ['Keep SQL Server cluster on VMs.', 'stays_on_vms'],
    ['keep the oracle db on vms', 'stays_on_vms'],
    ['it is certified there and has to stay there', 'stays_on_vms'],
    ['we are retiring the old CRM next year', 'retiring_soon'],
    ['5G core CNFs', 'cloud_native'],
    ['new web shop: containers on AKS', 'cloud_native'],
    ['the control plane is k8s', 'k8s_skills'],
    ['traffic doubles at lunchtime', 'spiky_traffic'],
    ['a CI platform that builds external contributors\' pull requests', 'untrusted_code'],
    ['we run tests on PRs from unknown contributors', 'untrusted_code'],
    ['the matchmaking and lobby services are containers', 'cloud_native'],
    ['training jobs on dedicated VMs with passthrough', 'passthrough_hardware'],
    ['HIPAA, and we already pass audits on our EKS cluster', 'compliance_on_k8s'],
    ['our core system is from a vendor and they not support kubernetes', 'vendor_vm_only'],
    ['the supplier does not support it on OpenShift', 'vendor_vm_only'],
    ['traffic go 10 times up during campaigns', 'spiky_traffic'],
    ['load goes up by 5x at noon', 'spiky_traffic'],
    ['70% of VMs are idle', 'low_utilisation'],
    ['most of our servers sit idle', 'low_utilisation'],
    ['the apps are stateless containers', 'cloud_native'],
    ['3 apps, traffic flat', 'steady_traffic'],
    ['the plugins customers write run in our platform', 'untrusted_code'],
    ['macros that users upload', 'untrusted_code'],
    ['the legacy part we keep on vmware', 'stays_on_vms'],
    ['new parts go to openshift', 'cloud_native'],
    ['200 tenants, each one want own isolated environment', 'hard_multitenancy'],
    ['customer data must be separated per customer by contract', 'hard_multitenancy'],
    ['traffic same all year', 'steady_traffic'],
    ['we have few apps', 'few_services'],
    ['the ops team is VMware experts', 'no_k8s_skills'],
    ['we have kubernetes already for web', 'k8s_skills'],
    ['we have kubernetes already for web', 'cloud_native'],
    ['the team runs AKS today', 'k8s_skills'],
    ['k8s for app tier (8 svcs)', 'many_services'],
    ['k8s for the app tier', 'cloud_native'],
    ['vm for db', 'stays_on_vms'],
    ['traffic grows 20% per month', 'growing_traffic'],
    ['each enterprise customer demands dedicated infrastructure', 'hard_multitenancy'],
    ['dedicated clusters per tenant', 'hard_multitenancy'],
    ['our OpenShift platform is PCI-DSS certified', 'compliance_on_k8s'],
    ['a HIPAA-compliant EKS cluster', 'compliance_on_k8s'],
  ])('%s -> %s', (text, trait) => {
    expect(traitsOf(text)).toContain(trait);
  });

  it.each([
    ['we don\'t need GPUs', 'gpu', 'standard_hardware'],
    ['no Windows anywhere', 'windows_only', 'linux_standard'],
    ['traffic is not spiky', 'spiky_traffic', 'steady_traffic'],
    ['it is not a monolith', 'legacy_monolith', null],
    ['GPUs are not needed', 'gpu', 'standard_hardware'],
    ['we haven\'t containerized anything yet', 'cloud_native', null],
    ['we haven\'t passed audits on EKS yet', 'compliance_on_k8s', null],
  ])('negation: "%s" drops %s', (text, dropped, opposite) => {
    const found = advisor.analyse(text).found;
    expect(found.map((f) => f.trait)).not.toContain(dropped);
    if (opposite) {
      const hit = found.find((f) => f.trait === opposite);
      expect(hit?.evidence).toBeDefined();
      expect(text).toContain(hit?.evidence);
    }
  });

  it.each([
    ['legacy sap on windows, move to k8s?', 'k8s_preference'],
    ['thoughts on moving it to AKS?', 'k8s_preference'],
    ['should we run it on k8s?', 'k8s_skills'],
    ['we are splitting our rails monolith into 15 services', 'legacy_monolith'],
    ['we used to have a monolith but it is now 20 Go services', 'legacy_monolith'],
    ['some VNFs only ship as VM images', 'snapshot_reliance'],
    ['can our .NET Framework app be containerized?', 'cloud_native'],
    ['we\'re thinking about moving our imaging server to Kubernetes', 'k8s_preference'],
    ['we are considering to move the billing app to k8s', 'k8s_preference'],
    ['exploring moving everything to AKS', 'k8s_preference'],
    ['our engineers are kubernetes certified', 'compliance_on_k8s'],
    ['are the services containers?', 'cloud_native'],
    ['is PCI-compliant kubernetes possible?', 'compliance_on_k8s'],
    ['traffic flattens out at night', 'steady_traffic'],
    ['we will not keep on vmware after the renewal', 'stays_on_vms'],
    ['our own teams run their own code', 'untrusted_code'],
    ['1 monolith rails app being split into 6 services', 'legacy_monolith'],
    ['our monolith is currently being broken up', 'legacy_monolith'],
    ['should the team run AKS?', 'k8s_skills'],
    ['is kubernetes for web apps a good idea?', 'cloud_native'],
    ['our .NET Framework 4.8 app in containers', 'many_services'],
    ['no VMs for the database', 'stays_on_vms'],
    ['PCI-DSS card data lives here', 'passthrough_hardware'],
    ['we store PCI card numbers', 'passthrough_hardware'],
  ])('"%s" does not read as %s', (text, trait) => {
    expect(traitsOf(text)).not.toContain(trait);
  });

  it('a stated plan still reads as a preference, a kept monolith still as legacy', () => {
    expect(traitsOf('we want to move everything to kubernetes')).toContain('k8s_preference');
    expect(traitsOf('we decided to move the shop to kubernetes')).toContain('k8s_preference');
    expect(traitsOf('the monolith stays as it is')).toContain('legacy_monolith');
    expect(traitsOf('a complex monolith on one server')).toContain('legacy_monolith');
    expect(traitsOf('the monolith will stay; splitting it is not planned')).toContain('legacy_monolith');
  });

  it.each([
    ['We are considering moving the lab system to AKS, but the supplier certifies it on VMware only.', 'vm'],
    ['The checkout APIs are containers that must autoscale; the fax server needs a telephony card.', 'hybrid'],
    ['Rendering runs on its own VMs with GPU passthrough, next to 15 stateless web services on GKE.', 'hybrid'],
    ['Build service for pull requests from outside contributors, beside our own services on EKS.', 'hybrid'],
    ['PCI-DSS card platform: 25 microservices, and our EKS cluster is PCI-DSS certified.', 'kubernetes'],
  ])('review of "%s" is %s', (text, verdict) => {
    expect(advisor.analyse(text).evaluation.verdict).toBe(verdict);
  });

  it('numbers respect their thresholds', () => {
    expect(traitsOf('we have 4 services')).not.toContain('many_services');
    expect(traitsOf('we have 40 services')).not.toContain('few_services');
    expect(traitsOf('a team of 25 engineers')).not.toContain('small_team');
    expect(traitsOf('servers run at 80% CPU')).not.toContain('low_utilisation');
  });

  it('evidence is always the exact text of the input', () => {
    const text = 'Our  Legacy   ERP (SAP) runs on Windows Server 2012; the new REST APIs are containerised and deploy 5 times a day.';
    for (const f of advisor.analyse(text).found) expect(text).toContain(f.evidence);
  });

  it('text with nothing to go on yields no traits and a clear review', () => {
    expect(advisor.analyse('hello there').found).toEqual([]);
    expect(advisor.analyse('').evaluation.decidedBy).toBe('no_evidence');
  });
});

describe('catalogue validation', () => {
  const raw = (): Record<string, unknown> => parse(readFileSync(join(KNOWLEDGE_DIR, 'advisor.yaml'), 'utf8')) as Record<string, unknown>;

  it('loads the shipped catalogue', () => {
    expect(loadCatalog().questions.length).toBeLessThanOrEqual(12);
  });

  it('names the file, path and problem for a schema error', () => {
    const data = raw();
    (data.questions as { options: { label: unknown }[] }[])[0]!.options[0]!.label = 42;
    expect(() => buildCatalog(data, 'advisor.yaml')).toThrowError(KnowledgeError);
    try {
      buildCatalog(data, 'advisor.yaml');
    } catch (err) {
      expect((err as KnowledgeError).problems[0]).toMatchObject({ file: 'advisor.yaml', path: 'questions[0].options[0].label' });
    }
  });

  it.each([
    ['an option naming an unknown trait', (d: Record<string, unknown>) => ((d.questions as { options: { traits: string[] }[] }[])[0]!.options[0]!.traits = ['nope']), /no trait "nope"/],
    ['a pattern that is not a regular expression', (d: Record<string, unknown>) => ((d.traits as { patterns: unknown[] }[])[0]!.patterns = ['(unclosed']), /not a valid regular expression/],
    ['a pattern that matches empty text', (d: Record<string, unknown>) => ((d.traits as { patterns: unknown[] }[])[0]!.patterns = ['x?']), /matches empty text/],
    ['more than 12 questions', (d: Record<string, unknown>) => (d.questions as unknown[]).push(...(d.questions as unknown[]).slice(0, 1)), /never asks more than 12/],
  ])('rejects %s', (_name, mutate, message) => {
    const data = raw();
    mutate(data);
    expect(() => buildCatalog(data, 'advisor.yaml')).toThrowError(message);
  });

  it('reports YAML syntax errors with the file name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmk-advisor-'));
    writeFileSync(join(dir, 'advisor.yaml'), 'questions: [\n  - id: x\n');
    expect(() => loadCatalog(dir)).toThrowError(/advisor\.yaml.*YAML syntax/s);
    writeFileSync(join(dir, 'advisor.yaml'), stringify({ questions: [] }));
    expect(() => loadCatalog(dir)).toThrowError(KnowledgeError);
  });

  it('reports a missing file', () => {
    expect(() => loadCatalog(mkdtempSync(join(tmpdir(), 'vmk-advisor-')))).toThrowError(/advisor\.yaml: file not found/);
  });
});
