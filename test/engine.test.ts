import { beforeAll, describe, expect, it } from 'vitest';
import { buildEngineCore, type Core } from '../src/core.js';
import { createStore } from '../src/store/index.js';
import { StoreUnavailableError, type StateStore } from '../src/store/types.js';
import type { Action, InboundMessage, Reply, ReplyKind } from '../src/types.js';
import { TOPICS } from '../src/types.js';

/** One step of a conversation table: what the user sends, what the reply must show. */
type Step = [send: string | Action, expect: { kind: ReplyKind; title?: RegExp; text?: RegExp; facts?: RegExp }];

interface Table {
  name: string;
  steps: Step[];
}

let core: Core;

beforeAll(async () => {
  core = buildEngineCore({ store: await createStore({ kind: 'memory', dataDir: '' }) });
});

let seq = 0;
function msg(send: string | Action, conversation: string, user = 'U1'): InboundMessage {
  return typeof send === 'string'
    ? { platform: 'console', workspace: 'T1', conversation, user, text: send }
    : { platform: 'console', workspace: 'T1', conversation, user, text: '', action: send };
}

function allText(r: Reply): string {
  return [r.title, r.summary, ...r.blocks.flatMap((b) => [b.heading, b.text, ...(b.bullets ?? [])]), r.source]
    .filter(Boolean)
    .join('\n');
}

const tables: Table[] = [
  {
    name: 'a topic question, then a follow-up on another topic, then narrowing to one side',
    steps: [
      ['How do VMs and Kubernetes compare on isolation?', { kind: 'topic', title: /isolation/i, text: /section/i }],
      ['what about security?', { kind: 'topic', title: /security/i }],
      ['and for VMs?', { kind: 'topic', title: /security on virtual machines/i }],
    ],
  },
  {
    name: 'platform overviews and the overall comparison',
    steps: [
      ['what are the benefits of virtual machines?', { kind: 'platform', title: /virtual machines/i, text: /snapshot/i }],
      ['give me the big picture: k8s vs vms', { kind: 'overview', facts: /Isolation: VMs/ }],
      ['when should I go for VMs and when for kubernetes in general?', { kind: 'guidance', text: /legacy/i }],
    ],
  },
  {
    name: 'small talk and help',
    steps: [
      ['hey there', { kind: 'greeting' }],
      ['what can you do?', { kind: 'help', text: /Things you can ask/ }],
      ['thanks!', { kind: 'thanks' }],
    ],
  },
  {
    name: 'out of scope and empty input get the fallback with examples',
    steps: [
      ['what is the weather in Paris tomorrow?', { kind: 'fallback', text: /outside what I know/ }],
      ['   ', { kind: 'fallback', title: /did not catch/i }],
    ],
  },
  {
    name: 'Slack and Teams markup around a question',
    steps: [['<@U0VMK> <at>vmk</at> how do vms vs k8s compare on portability? <!channel>', { kind: 'topic', title: /portability/i }]],
  },
];

describe('turn engine conversation tables', () => {
  it.each(tables)('$name', async ({ steps }) => {
    const conversation = `conv-${++seq}`;
    for (const [send, want] of steps) {
      const { replies } = await core.engine.handle(msg(send, conversation));
      const reply = replies[0]!;
      expect(reply.kind, `reply to ${JSON.stringify(send)}`).toBe(want.kind);
      if (want.title) expect(reply.title ?? '').toMatch(want.title);
      if (want.text) expect(allText(reply)).toMatch(want.text);
      if (want.facts) expect((reply.facts ?? []).map((f) => `${f.label}: ${f.value}`).join('\n')).toMatch(want.facts);
    }
  });

  it('answers every topic with both sides, the verdict, a citation and two follow-ups', async () => {
    const { knowledge } = core;
    for (const topic of TOPICS) {
      const name = knowledge.topics.get(topic)!.name.toLowerCase();
      const { replies, classification } = await core.engine.handle(msg(`How do VMs and Kubernetes compare on ${name}?`, `topic-${topic}`));
      expect(classification?.topic, name).toBe(topic);
      const r = replies[0]!;
      expect(r.kind).toBe('topic');
      const headings = r.blocks.map((b) => b.heading);
      expect(headings).toEqual(expect.arrayContaining(['Kubernetes', 'Virtual machines', "The article's verdict"]));
      // The citation alone: renderers add the "Source:" label, once.
      expect(r.source).toMatch(/^"Kubernetes vs\. Virtual Machines/);
      expect((r.actions ?? []).filter((a) => a.action.type === 'ask').length).toBeGreaterThanOrEqual(2);
    }
  });

  it('the overall comparison lists all eight dimensions with the favoured side', async () => {
    const { replies } = await core.engine.handle(msg('summarise the key differences between VMs and Kubernetes', 'overview'));
    expect(replies[0]!.kind).toBe('overview');
    expect(replies[0]!.facts).toHaveLength(8);
  });

  it('help is generated from the intent registry', async () => {
    const { replies } = await core.engine.handle(msg('help', 'help'));
    const text = allText(replies[0]!);
    for (const intent of core.knowledge.intents.filter((i) => ['ask_topic', 'ask_platform', 'review_workload', 'start_advice'].includes(i.id))) {
      expect(text).toContain(intent.description);
    }
  });

  it('a follow-up button asks its question', async () => {
    const first = await core.engine.handle(msg('is kubernetes better at scaling than VMs?', 'follow'));
    const follow = first.replies[0]!.actions!.find((a) => a.action.type === 'ask')!;
    const second = await core.engine.handle(msg(follow.action, 'follow'));
    expect(second.replies[0]!.kind).toBe('topic');
  });

  it('"help me choose" starts the guided dialog and typed answers move it on', async () => {
    const start = await core.engine.handle(msg('help me choose where to run our app', 'dialog'));
    expect(start.replies[0]!.kind).toBe('question');
    const step0 = start.replies[0]!.dialog!.step;
    const next = await core.engine.handle(msg('1', 'dialog'));
    expect(next.replies[0]!.kind).toMatch(/question|recommendation/);
    expect(next.replies[0]!.dialog!.step).toBeGreaterThan(step0);
  });

  it('a workload description gets a review with traits and evidence', async () => {
    const text =
      'We run a 15 year old Java EE monolith on Windows Server 2012 with an Oracle database, the vendor only certifies it on VMware. Should we move it to Kubernetes?';
    const { replies, classification } = await core.engine.handle(msg(text, 'review'));
    expect(classification?.intent).toBe('review_workload');
    const r = replies[0]!;
    expect(['review', 'question']).toContain(r.kind);
  });

  it('a review request without any detail asks questions instead of guessing a verdict', async () => {
    const { replies } = await core.engine.handle(msg('review', 'bare-review'));
    const r = replies[0]!;
    expect(r.kind).toBe('question');
    expect(allText(r)).not.toMatch(/I would say/);
    expect(allText(r)).toMatch(/describe the workload/);
  });

  it('when the store is down, plain questions still get answers and dialogs get a clear temporary error', async () => {
    const down: StateStore = {
      kind: 'memory',
      get: () => Promise.reject(new StoreUnavailableError('down')),
      set: () => Promise.reject(new StoreUnavailableError('down')),
      delete: () => Promise.reject(new StoreUnavailableError('down')),
      claimEvent: () => Promise.reject(new StoreUnavailableError('down')),
      ping: () => Promise.reject(new StoreUnavailableError('down')),
      close: () => Promise.resolve(),
    };
    const broken = buildEngineCore({ store: down });
    const q = await broken.engine.handle(msg('how do vms and kubernetes compare on scaling?', 'x'));
    expect(q.replies[0]!.kind).toBe('topic');
    const d = await broken.engine.handle(msg('help me choose', 'x'));
    expect(d.replies[0]!.kind).toBe('error');
    expect(allText(d.replies[0]!)).toMatch(/try again/i);
  });

  it('an unexpected error becomes an apology with a reference id, never a throw', async () => {
    const throwing = buildEngineCore({ store: await createStore({ kind: 'memory', dataDir: '' }) });
    throwing.nlu.classify = () => {
      throw new Error('boom');
    };
    const { replies } = await throwing.engine.handle(msg('anything', 'err'));
    expect(replies[0]!.kind).toBe('error');
    expect(replies[0]!.summary).toMatch(/reference vmk-[0-9a-f]{8}/);
  });
});

describe('a new request while a recommendation waits', () => {
  it('keeps the dialog and its answers, says so, and shows the question again', async () => {
    const conversation = `inprogress-${++seq}`;
    const key = { platform: 'console' as const, workspace: 'T1', conversation, user: 'U1' };
    const started = await core.engine.handle(msg({ type: 'start' }, conversation));
    const q1 = started.replies.find((r) => r.kind === 'question');
    const first = q1?.choices?.[1]?.action;
    expect(first).toBeDefined();
    await core.engine.handle(msg(first!, conversation));
    const before = (await core.store.get(key))?.value.dialog as { id: string; answers: unknown[] };
    expect(before.answers).toHaveLength(1);
    for (const text of ['we run a 15 year old java monolith on windows server 2012, should it move to k8s?', 'help me decide between vms and kubernetes']) {
      const r = await core.engine.handle(msg(text, conversation));
      expect(r.replies.map((x) => x.kind)).toEqual(['notice', 'question']);
      expect(allText(r.replies[0]!)).toMatch(/middle of a recommendation/);
      const after = (await core.store.get(key))?.value.dialog as { id: string; answers: unknown[] };
      expect(after.id).toBe(before.id);
      expect(after.answers).toEqual(before.answers);
    }
  });
});
