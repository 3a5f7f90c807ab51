import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLARIFY_BELOW, POLICY, THRESHOLDS, createNlu } from '../src/understanding/index.js';
import { decideAfter } from '../src/understanding/policy.js';
import { evaluate, formatEvalReport, readJsonl } from '../src/understanding/eval.js';
import { createGazetteer } from '../src/understanding/gazetteer.js';
import { createNormalizer, stripEmoji, stripMarkup } from '../src/understanding/normalize.js';
import { createTypoCorrector } from '../src/understanding/typo.js';
import { CORPUS_DIR } from '../src/understanding/corpus.js';
import { KNOWLEDGE_DIR } from '../src/paths.js';
import { INTENTS, TOPICS, type IntentId } from '../src/types.js';
import { DEV_FILE, loadNluKnowledge } from './nlu-knowledge.js';

const knowledge = loadNluKnowledge();
const nlu = createNlu(knowledge);
const normalizer = createNormalizer(knowledge.lexicon.slang);

/** Training sentences as the classifier sees them, to tell whether a held-out line was trained on. */
const trainingKey = (t: string): string => normalizer.tokens(t).join(' ');
const trainingSentences = new Set(knowledge.intents.flatMap((f) => f.examples).map(trainingKey));
/** The texts of `lines` that are, once normalised, training sentences. */
const inTraining = (lines: { text: string }[]): string[] => lines.map((l) => l.text).filter((t) => trainingSentences.has(trainingKey(t)));
const sentence = (t: string): boolean => t.split(/\s+/).length > 2;
const dev = readJsonl(readFileSync(DEV_FILE, 'utf8'));
/**
 * Hand-written behaviour probes. The models are learned, so one phrasing may flip when they are retrained on new data;
 * the probes are judged as a whole (see 'behaviour probes' at the end), each miss listed.
 */
const PROBES: [string, IntentId][] = [];

describe('training data', () => {
  it('has one file per intent, each with at least 40 examples', () => {
    expect(knowledge.intents.map((i) => i.id).sort()).toEqual([...INTENTS].sort());
    for (const f of knowledge.intents) expect(f.examples.length, f.id).toBeGreaterThanOrEqual(40);
    expect(knowledge.intents.find((i) => i.id === 'out_of_scope')?.examples.length).toBeGreaterThanOrEqual(120);
  });

  it('covers every topic with at least 10 ask_topic phrasings', () => {
    const gazetteer = createGazetteer(knowledge.lexicon, (t) => normalizer.tokens(t));
    const counts = new Map<string, number>();
    for (const ex of knowledge.intents.find((i) => i.id === 'ask_topic')?.examples ?? []) {
      for (const t of gazetteer.annotate(normalizer.tokens(ex)).topics) counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    for (const t of TOPICS) expect(counts.get(t) ?? 0, t).toBeGreaterThanOrEqual(10);
  });

  // The dev set is a regression set, not an estimate: the independent sets in the corpus (training data now) share
  // some of its stock phrasings, so only the intents' own phrasings are kept apart from it. First-run figures of
  // new independent sets are the estimate (README).
  it('never copies a dev-set sentence into the intents\' phrasings', () => {
    // Single words and stock phrases ("k8s", "thanks") may legitimately coincide; sentences may not.
    expect(inTraining(dev).filter(sentence)).toEqual([]);
  });
});

describe('dev set', () => {
  const report = evaluate(nlu, dev);

  it('has at least 250 labelled lines', () => {
    expect(dev.length).toBeGreaterThanOrEqual(250);
  });

  it('stays above the accuracy floors', () => {
    expect(report.intentAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(report.topicAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(report.platformAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(report.oosRecall).toBeGreaterThanOrEqual(0.92);
    expect(report.inScopeRejected).toBeLessThanOrEqual(0.02);
  });

  it('formats a report with per-intent figures and confusions', () => {
    const text = formatEvalReport(report);
    expect(text).toMatch(/intent accuracy: +\d+\.\d%/);
    expect(text).toMatch(/out-of-scope recall/);
    expect(text).toMatch(/in-scope rejected/);
    for (const s of report.perIntent) expect(text).toContain(s.intent);
  });
});


describe('labelled corpus (knowledge/corpus: every line is training data)', () => {
  const files = readdirSync(join(KNOWLEDGE_DIR, CORPUS_DIR)).filter((f) => f.endsWith('.jsonl'));
  const record = JSON.parse(readFileSync(new URL('./data/holdout-sets.json', import.meta.url), 'utf8')) as {
    sets: { file: string; lines: number; firstRun: { intent: number; topic: number; oos: number; rejected: number } }[];
  };

  it('holds every independently written set, each recorded with its first-run figures', () => {
    const recorded = new Map(record.sets.map((s) => [s.file, s]));
    for (const f of files.filter((n) => /^holdout\d+\.jsonl$/.test(n) && n !== 'holdout3.jsonl')) {
      const s = recorded.get(f);
      expect(s, f).toBeDefined();
      expect(readJsonl(readFileSync(join(KNOWLEDGE_DIR, CORPUS_DIR, f), 'utf8')).length, f).toBe(s?.lines);
      for (const v of Object.values(s?.firstRun ?? {})) expect(typeof v, f).toBe('number');
    }
  });

  it('is learned: the models reproduce their training labels', () => {
    const report = evaluate(nlu, knowledge.corpus);
    expect(report.total).toBeGreaterThan(5000);
    expect(report.intentAccuracy).toBeGreaterThanOrEqual(0.97);
    expect(report.topicAccuracy).toBeGreaterThanOrEqual(0.97);
  });
});

describe('policy table', () => {
  it('is short: fewer than 20 rows, each with an id, a condition, an outcome and an example', () => {
    expect(POLICY.length).toBeLessThan(20);
    expect(new Set(POLICY.map((r) => r.id)).size).toBe(POLICY.length);
    for (const r of POLICY) for (const field of [r.when, r.outcome, r.example]) expect(field.length, r.id).toBeGreaterThan(2);
  });

  it.each(POLICY.filter((r) => r.stage === 'before').map((r) => [r.id, r.example, r.expect] as const))('row %s decides its own example: %s', (id, example, expected) => {
    const { classification, explanation } = nlu.explain(example);
    expect(explanation.decidedBy).toBe(id);
    expect(classification.intent).toBe(expected);
  });

  // Rows after the model act on its reading, which retraining may change: each is checked on the reading it declares.
  it.each(POLICY.filter((r) => r.stage === 'after').map((r) => [r.id, r.example, r] as const))('row %s decides its example on the reading it declares: %s', (id, example, row) => {
    expect(row.model, id).toBeDefined();
    const a = nlu.analyse(example);
    const topicOf = () => ({ topic: a.g.topics[0] ?? null, topics: a.g.topics });
    const outcome = decideAfter(a, {}, row.model!, topicOf, THRESHOLDS, CLARIFY_BELOW);
    expect(outcome.row).toBe(id);
    expect(outcome.intent).toBe(row.expect);
  });

  it('names the model and its top features when no row decided', () => {
    const { explanation } = nlu.explain('is kubernetes more secure than virtual machines');
    expect(explanation.decidedBy).toBe('model');
    expect(explanation.topFeatures?.length).toBeGreaterThan(0);
    expect(explanation.ranking?.[0]?.intent).toBe('ask_topic');
  });
});

describe('normaliser', () => {
  const tokens = (t: string): string => normalizer.tokens(t).join(' ');

  it('removes Slack and Teams markup but keeps link labels', () => {
    expect(tokens('<@U024BE7LH> what is k8s?')).toBe('what is kubernetes ?');
    expect(tokens('<at>vmk</at> compare vms')).toBe('compare vms');
    expect(tokens('<!channel> <!subteam^S1|@ops> hi')).toBe('hi');
    expect(tokens('see <https://example.com/a|the article> pls')).toBe('see the article please');
    expect(tokens('&lt;b&gt;scaling&lt;/b&gt; &amp; security')).toBe('scaling security');
    expect(tokens('*bold* _it_ ~gone~ `code`')).toBe('bold it gone code');
    expect(stripMarkup('<p>hello<br/>there</p>').trim().split(/\s+/)).toEqual(['hello', 'there']);
  });

  it('removes emoji, keeping the few that mean something', () => {
    expect(tokens('is k8s secure 🤔🔒')).toBe('is kubernetes secure');
    expect(tokens('👋')).toBe('hello');
    expect(tokens('ty 🙏🏽')).toBe('thank you thanks');
    expect(tokens('scaling :rocket: :+1:')).toBe('scaling');
    expect(stripEmoji('👨‍👩‍👧 ok').trim()).toBe('ok');
  });

  it('removes zero-width and right-to-left control characters', () => {
    expect(tokens('ku\u200Bber\u200Cnetes')).toBe('kubernetes');
    expect(tokens('\u202Ewhat is a vm\u202C\u200F')).toBe('what is a vm');
    expect(tokens('\uFEFFisolation\u2066?\u2069')).toBe('isolation ?');
  });

  it('applies NFKC, lower case, slang and splits / and -', () => {
    expect(tokens('ＫＵＢＥ vs VMs')).toBe('kubernetes versus vms');
    expect(tokens('diff btwn k8s/vms pls')).toBe('difference between kubernetes vms please');
    expect(tokens('Hyper-V w/o snapshots')).toBe('hyper v without snapshots');
    expect(tokens("what's a VM's job")).toBe('what is a vms job');
  });

  it('never throws on odd input', () => {
    for (const t of ['', '   ', '<<<>>>', '&#99999999;', '\u0000', '🙂'.repeat(500), '<@U1', 'a'.repeat(10_000)]) {
      expect(() => nlu.classify(t)).not.toThrow();
    }
    expect(nlu.classify('').intent).toBe('out_of_scope');
  });
});

describe('typo correction', () => {
  it('fixes one-edit typos in long words only', () => {
    const freq = new Map([
      ['kubernetes', 5],
      ['security', 5],
      ['isolation', 5],
      ['pods', 5],
    ]);
    const t = createTypoCorrector(freq);
    expect(t.correct('kuberntes')).toBe('kubernetes');
    expect(t.correct('secuirty')).toBe('security');
    expect(t.correct('isolatoin')).toBe('isolation');
    expect(t.correct('isolationn')).toBe('isolation');
    expect(t.correct('pdos')).toBe('pdos');
    expect(t.correct('banana')).toBe('banana');
  });

  it('treats a shared delete at two different places as two edits, not one', () => {
    const t = createTypoCorrector(new Map([['stuck', 3], ['change', 3]]));
    // "sucks" and "stuck" both lose a letter to "suck", but they are two edits apart.
    expect(t.correct('sucks')).toBe('sucks');
    expect(t.correct('stcuk')).toBe('stuck');
    expect(t.correct('chnage')).toBe('change');
  });

  it('never turns a word the rules look for into another word', () => {
    expect(nlu.classify('what does aws charge per month for an eks cluster').intent).toBe('out_of_scope');
    expect(nlu.classify('dev experience on vms kinda sucks?')).toMatchObject({ intent: 'ask_topic', topic: 'developer_experience' });
  });

  it('fixes two edits in long entity words only', () => {
    const t = createTypoCorrector(new Map([['orchestration', 1], ['banana', 1]]), () => false, ['orchestration']);
    expect(t.correct('orkestration')).toBe('orchestration');
    // Two edits only for words of 8+ letters, and only towards entity words.
    expect(t.correct('bnanaxx')).toBe('bnanaxx');
    expect(t.correct('orkestra')).toBe('orkestra');
    expect(t.correct('xrkestration')).toBe('xrkestration');
  });

  it.each([
    ['orkestration: vm vs k8s', 'ask_topic', 'orchestration', null],
    ['waht about secuirty on kuberntes?', 'ask_topic', 'security', 'kubernetes'],
    ['how does scalabilty compare', 'ask_topic', 'scaling', null],
    ['isolaton in virtaul machines', 'ask_topic', 'isolation', 'vm'],
    ['heyyy', 'greeting', null, null],
    ['thnks!!', 'thanks', null, null],
  ])('%s', (text, intent, topic, platform) => {
    const c = nlu.classify(text);
    expect(c.intent).toBe(intent);
    if (topic) expect(c.topic).toBe(topic);
    if (platform) expect(c.platform).toBe(platform);
  });
});

describe('follow-ups use the conversation context', () => {
  it('switches topic after a topic answer', () => {
    const c = nlu.classify('what about security?', { lastIntent: 'ask_topic', lastTopic: 'isolation' });
    expect(c).toMatchObject({ intent: 'ask_topic', topic: 'security' });
  });

  it.each([
    ['and for VMs?', 'vm'],
    ['what about on kubernetes', 'kubernetes'],
    ['how about k8s then', 'kubernetes'],
  ] as const)('keeps the last topic: %s', (text, platform) => {
    const c = nlu.classify(text, { lastIntent: 'ask_topic', lastTopic: 'isolation' });
    expect(c).toMatchObject({ intent: 'ask_topic', topic: 'isolation', platform });
  });

  it('switches platform after a platform answer', () => {
    const c = nlu.classify('and kubernetes?', { lastIntent: 'ask_platform', lastPlatform: 'vm' });
    expect(c).toMatchObject({ intent: 'ask_platform', platform: 'kubernetes' });
  });

  it('reads a bare platform follow-up as a platform question without context', () => {
    expect(nlu.classify('and for VMs?')).toMatchObject({ intent: 'ask_platform', platform: 'vm' });
  });

  it('fills the platform of "what are the downsides?" from context', () => {
    const c = nlu.classify('what are the downsides?', { lastIntent: 'ask_platform', lastPlatform: 'kubernetes' });
    expect(c).toMatchObject({ intent: 'ask_platform', platform: 'kubernetes' });
  });
});

describe('entities', () => {
  it('returns two topics in the order they were mentioned', () => {
    const c = nlu.classify('how do they compare on security and scaling?');
    expect(c.intent).toBe('ask_topic');
    expect(c.topics).toEqual(['security', 'scaling']);
    expect(c.topic).toBe('security');
  });

  it.each([
    ['why pick kubernetes rather than VMs', 'kubernetes'],
    ['when would you choose VMs over k8s', 'vm'],
    ['is kubernetes more secure than vms', 'kubernetes'],
  ] as const)('negation and polarity do not flip the platform: %s', (text, platform) => {
    expect(nlu.classify(text).platform).toBe(platform);
  });

  it('reads "not interested in X, tell me about Y" as Y, and "X vs Y" as both', () => {
    expect(nlu.classify('not interested in vms, tell me about k8s')).toMatchObject({ intent: 'ask_platform', platform: 'kubernetes' });
    expect(nlu.classify('vms vs kubernetes for isolation')).toMatchObject({ intent: 'ask_topic', topic: 'isolation', platform: null });
  });

  it('keeps the intent when polarity words appear', () => {
    expect(nlu.classify('when should we use containers rather than virtual machines').intent).toBe('ask_guidance');
    expect(nlu.classify('when should we use virtual machines rather than containers').intent).toBe('ask_guidance');
    expect(nlu.classify('is isolation better on vms than on kubernetes').intent).toBe('ask_topic');
    expect(nlu.classify('is isolation better on kubernetes than on vms').intent).toBe('ask_topic');
  });

  it('does not read "contains" as containers', () => {
    expect(nlu.classify('the doc contains a comparison of VMs').platform).toBe('vm');
  });
});

describe('out of scope', () => {
  PROBES.push(...([
    'how do I install kubectl on windows',
    'kubectl get pods says error: the server doesn\'t have a resource type',
    'helm chart syntax for an ingress',
    'how much does a c5.xlarge cost per hour',
    'pricing of GKE autopilot',
    'docker desktop install fails on mac',
    'write a Dockerfile for a python app',
    'what is the weather tomorrow',
    'tell me a joke',
    'fix my CrashLoopBackOff pod',
    'zzzz qqqq',
    'how can I configure shared folders on a virtualbox vm',
    'how to attach a second disk to my kvm guest',
    'how many vcpus does an m6i large have',
    'is gvisor a kind of vm',
    'which monitoring dashboards do people use for kubernetes',
    'what should I put on my resume to land a kubernetes job',
    'what is docker swarm',
    'a pod of dolphins swam past the boat',
    'how can we move a guest between hosts in proxmox',
  ] as string[]).map((t): [string, IntentId] => [t, 'out_of_scope']));

  it('lets a comparison through even with a tool word in it', () => {
    expect(nlu.classify('is it cheaper to run vms or kubernetes').intent).not.toBe('out_of_scope');
  });
});

describe('intents', () => {
  PROBES.push(...([
    ['hi there 👋', 'greeting'],
    ['<@U123> what can you do?', 'help'],
    ['cheers, that helped', 'thanks'],
    ['what is kubernetes', 'ask_platform'],
    ['compare vms and k8s', 'compare_overview'],
    ['when should I pick VMs', 'ask_guidance'],
    ['help me decide what to use', 'start_advice'],
    ['we run a 15 year old java monolith on windows server, should we move it to k8s?', 'review_workload'],
    ['hi! what is the difference between a vm and a container?', 'compare_overview'],
    ['thanks! and what about scaling?', 'ask_topic'],
    ['ok cool. when should I use vms?', 'ask_guidance'],
    ['how do I choose between vms and kubernetes in general', 'ask_guidance'],
    ['how do the two compare overall', 'compare_overview'],
    ['i have a service and no idea where it should run', 'start_advice'],
    ['i am curious whether pods can break out into the host', 'ask_topic'],
    ['analytics api in python, 12 users, mysql, rarely changes - thoughts?', 'review_workload'],
    ["it's a booking platform with a mysql backend and bursty weekends, vms or k8s?", 'review_workload'],
    ['what would kubernetes give us that we do not get from vms for scaling', 'ask_topic'],
    ['is onboarding new devs smoother with k8s than with rdp into vms', 'ask_topic'],
    ['how can we cope with load peaks on plain vms', 'ask_topic'],
    ['how do I choose between openshift and vmware for a new app', 'ask_guidance'],
  ] as [string, IntentId][]));

  it('keeps confidence in [0, 1] and only offers in-scope alternatives below CLARIFY_BELOW', () => {
    for (const line of dev) {
      const c = nlu.classify(line.text);
      expect(c.confidence).toBeGreaterThanOrEqual(0);
      expect(c.confidence).toBeLessThanOrEqual(1);
      if (c.alternative) {
        expect(c.intent).not.toBe('out_of_scope');
        expect(c.alternative.intent).not.toBe('out_of_scope');
        expect(c.confidence).toBeLessThan(CLARIFY_BELOW);
        const close = c.confidence - c.alternative.confidence < THRESHOLDS.clarifyMargin + 1e-9;
        expect(close || c.confidence < THRESHOLDS.accept).toBe(true);
      }
    }
  });

  it('explains its decisions', () => {
    const { classification, explanation } = nlu.explain('how do I install helm');
    expect(classification.intent).toBe('out_of_scope');
    expect(explanation.decidedBy === 'model' ? explanation.topFeatures?.length : POLICY.some((r) => r.id === explanation.decidedBy)).toBeTruthy();
    expect(nlu.explain('is k8s secure').explanation.slotted).toEqual(['is', 'zzplatform', 'zztopic']);
  });
});

describe('generic wording and framing', () => {
  it('lets a specific topic name win over generic wording, whatever the order', () => {
    expect(nlu.classify('how quickly can a vm be restored from a snapshot').topic).toBe('snapshots');
    expect(nlu.classify('after an upgrade, can I roll back to a snapshot').topic).toBe('snapshots');
    expect(nlu.classify('is it slow to autoscale vms').topic).toBe('scaling');
    // Alone, generic wording still names its topic.
    expect(nlu.classify('how fast are containers')).toMatchObject({ intent: 'ask_topic', topic: 'deployment_speed' });
  });

  it('marks generic matches in the gazetteer, and lists topics named specifically first', () => {
    const g = createGazetteer(knowledge.lexicon, (t) => normalizer.tokens(t)).annotate(normalizer.tokens('how fast can kubernetes autoscale'));
    expect(g.topics).toEqual(['scaling', 'deployment_speed']);
    expect(g.matches.find((m) => m.entity.kind === 'topic' && m.entity.value === 'deployment_speed')?.generic).toBe(true);
  });

  PROBES.push(...([
    ['our auditors want to know if one vm can read the memory of another', 'ask_topic'],
    ['we need to understand how much effort patching kubernetes nodes takes', 'ask_topic'],
    ['our payroll app runs on two windows vms with a sql database, should it move to k8s?', 'review_workload'],
    ['we host a multi-tenant saas on vms and need stronger isolation, what do you recommend?', 'review_workload'],
  ] as [string, IntentId][]));

  PROBES.push(...([
    ['Thank you kindly for the clear write-up', 'thanks'],
    ['Good evening from the Oslo office', 'greeting'],
    ['thanks, but what can you do?', 'help'],
  ] as [string, IntentId][]));

  PROBES.push(...['bitbucket or gitea for our repos', 'azure or gcp for a data warehouse', 'is nomad better than kubernetes'].map((t): [string, IntentId] => [t, 'out_of_scope']));
});

describe('readJsonl', () => {
  it('names the bad line', () => {
    expect(() => readJsonl('{"text":"hi","intent":"greeting"}\n{oops')).toThrow(/line 2: not valid JSON/);
    expect(() => readJsonl('{"text":"hi","intent":"nope"}')).toThrow(/line 1: "intent" must be one of/);
    expect(() => readJsonl('{"text":"x","intent":"ask_topic","topic":"speed"}')).toThrow(/line 1: "topic"/);
    expect(() => readJsonl('{"text":"x","intent":"ask_platform","platform":"cloud"}')).toThrow(/line 1: "platform"/);
    expect(() => readJsonl('[1,2]')).toThrow(/line 1: expected an object/);
    expect(() => readJsonl('{"text":"x","intent":"help","extra":1}')).toThrow(/unknown field "extra"/);
  });

  it('skips blank and comment lines', () => {
    expect(readJsonl('\n// note\n{"text":"hi","intent":"greeting"}\n\n')).toEqual([{ text: 'hi', intent: 'greeting' }]);
  });
});

describe('imports', () => {
  it('src/understanding loads natural by subpath only, never the package root', () => {
    const dir = new URL('../src/understanding/', import.meta.url);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(join(dir.pathname, f), 'utf8');
      for (const m of src.matchAll(/(?:from|import\()\s*['"](natural[^'"]*)['"]/g)) {
        expect(m[1], f).toMatch(/^natural\/lib\/natural\/[a-z_]+\/[a-z_]+\.js$/);
      }
    }
  });
});


describe('behaviour probes (judged as a whole: the models are learned)', () => {
  it('at least 90 % of the hand-written probes hold; the misses are listed', () => {
    const misses = PROBES.map(([text, intent]) => ({ text, intent, got: nlu.classify(text).intent })).filter((m) => m.got !== m.intent);
    if (misses.length > 0) console.info(`probe misses (${misses.length}/${PROBES.length}):\n${misses.map((m) => `  ${m.intent} -> ${m.got}: ${m.text}`).join('\n')}`);
    expect(PROBES.length).toBeGreaterThan(40);
    expect(1 - misses.length / PROBES.length).toBeGreaterThanOrEqual(0.9);
  });
});
