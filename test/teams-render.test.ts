/** The Adaptive Card renderer: snapshots of representative replies, size limits, plain text, button data. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseClick, submitDataSchema } from '../adapters/teams/inbound.js';
import { cardBytes, MAX_CARD_BYTES, plain, renderCard, renderNotice, type AdaptiveCard, type CardElement } from '../adapters/teams/render.js';
import { welcomeReply } from '../adapters/teams/welcome.js';
import type { Action, Reply } from '../src/types.js';

const question: Reply = {
  kind: 'question',
  title: 'Question 2 of about 7',
  summary: 'Does the workload need its own operating system or kernel?',
  blocks: [{ text: 'Does the workload need its own operating system or kernel (Windows, a custom kernel module)?' }],
  choices: [
    { label: 'Yes', action: { type: 'answer', dialog: 'dlg-1', owner: 'aad-ana', step: 2, value: 'yes' }, style: 'primary' },
    { label: 'No', action: { type: 'answer', dialog: 'dlg-1', owner: 'aad-ana', step: 2, value: 'no' } },
    { label: 'Not sure', action: { type: 'answer', dialog: 'dlg-1', owner: 'aad-ana', step: 2, value: 'unsure' } },
  ],
  actions: [
    { label: 'Back', action: { type: 'back', dialog: 'dlg-1', owner: 'aad-ana', step: 2 } },
    { label: 'Skip', action: { type: 'skip', dialog: 'dlg-1', owner: 'aad-ana', step: 2 } },
    { label: 'Cancel', action: { type: 'cancel', dialog: 'dlg-1', owner: 'aad-ana', step: 2 }, style: 'danger' },
  ],
  replaceOriginal: true,
  dialog: { id: 'dlg-1', owner: 'aad-ana', step: 2, done: false },
};

const recommendation: Reply = {
  kind: 'recommendation',
  title: 'Recommendation: Kubernetes',
  summary: 'Kubernetes fits this workload (confidence 0.78).',
  blocks: [
    { text: 'Many small services released often by a team that already runs containers.' },
    { heading: 'Why', bullets: ['Containers share the host kernel, so they start fast and pack densely.', 'Orchestration handles scaling and restarts.'] },
    { heading: 'What would change this', bullets: ['Untrusted tenant code that needs VM-grade isolation.'] },
  ],
  facts: [
    { label: 'Resource efficiency', value: 'Kubernetes +2' },
    { label: 'Isolation', value: 'VMs +1' },
    { label: 'Deployment speed', value: 'Kubernetes +2' },
  ],
  actions: [
    { label: 'Share in channel', action: { type: 'share', dialog: 'dlg-1', owner: 'aad-ana' } },
    { label: 'Tell me more about isolation', action: { type: 'ask', text: 'How do VMs and Kubernetes compare on isolation?' } },
  ],
  source: 'the article, sections "Isolation" and "Deployment speed"',
  replaceOriginal: true,
  dialog: { id: 'dlg-1', owner: 'aad-ana', step: 7, done: true },
};

function textsOf(card: AdaptiveCard): string[] {
  return card.body.flatMap((e: CardElement) =>
    e.type === 'TextBlock' ? [e.text] : e.type === 'FactSet' ? e.facts.flatMap((f) => [f.title, f.value]) : e.actions.map((a) => a.title),
  );
}

function submitsOf(card: AdaptiveCard) {
  return card.body.flatMap((e) => (e.type === 'ActionSet' ? e.actions : []));
}

describe('renderCard', () => {
  it('renders a dialog question', () => {
    expect(renderCard(question)).toMatchSnapshot();
  });

  it('renders a recommendation with a FactSet scorecard', () => {
    const card = renderCard(recommendation).content;
    expect(card.body.find((e) => e.type === 'FactSet')).toEqual({
      type: 'FactSet',
      facts: [
        { title: 'Resource efficiency', value: 'Kubernetes +2' },
        { title: 'Isolation', value: 'VMs +1' },
        { title: 'Deployment speed', value: 'Kubernetes +2' },
      ],
    });
    expect(renderCard(recommendation)).toMatchSnapshot();
  });

  it('renders the welcome card with example questions and a start button', () => {
    const card = renderCard(welcomeReply(false)).content;
    expect(card).toMatchSnapshot();
    const data = submitsOf(card).map((a) => a.data.vmk);
    expect(data[0]).toEqual({ type: 'start' });
    expect(data.slice(1).every((a) => a.type === 'ask')).toBe(true);
    expect(submitsOf(card)[0]?.title).toBe('Start a recommendation');
  });

  it('uses Adaptive Cards 1.5, full width, and the summary as fallback text', () => {
    const card = renderCard(recommendation).content;
    expect(card.version).toBe('1.5');
    expect(card.msteams).toEqual({ width: 'Full' });
    expect(card.fallbackText).toBe(recommendation.summary);
    const title = card.body[0];
    expect(title).toMatchObject({ type: 'TextBlock', size: 'Large', weight: 'Bolder', wrap: true });
    const source = card.body.at(-1);
    expect(source).toMatchObject({ type: 'TextBlock', size: 'Small', isSubtle: true });
  });

  it('falls back to the summary when a reply has no blocks', () => {
    const card = renderCard({ kind: 'notice', summary: 'Dialog cancelled.', blocks: [] }).content;
    expect(textsOf(card)).toEqual(['Dialog cancelled.']);
  });

  it('puts every action into Action.Submit data that parses back to the same action', () => {
    for (const reply of [question, recommendation, welcomeReply(true)]) {
      const all = [...(reply.choices ?? []), ...(reply.actions ?? [])].map((c) => c.action);
      const data = submitsOf(renderCard(reply).content).map((a) => a.data);
      expect(data.map((d) => parseClick(JSON.parse(JSON.stringify(d))))).toEqual(all.map((action) => ({ kind: 'action', action })));
    }
  });

  it('keeps user text from forming links or mentions', () => {
    const card = renderCard({
      kind: 'review',
      summary: 'Review',
      blocks: [{ text: 'We run [our portal](https://evil.example/login) and ping <at>Everyone</at> a lot.' }],
    }).content;
    const text = textsOf(card).join('\n');
    expect(text).not.toMatch(/\]\(/);
    expect(text).not.toMatch(/<at>/i);
    expect(text).toContain('our portal');
    expect(JSON.stringify(card)).not.toContain('"entities"');
  });

  it('drops control characters but keeps line breaks and tabs', () => {
    expect(plain('a\u0000b\u0007c\r\nd\te')).toBe('abc\nd\te');
  });

  it('keeps a huge reply under the Teams size limit with its buttons, title and source', () => {
    const huge: Reply = {
      ...recommendation,
      blocks: [
        { text: 'x'.repeat(40_000) },
        { heading: 'Why', bullets: Array.from({ length: 400 }, (_, i) => `reason ${i} `.repeat(20)) },
      ],
    };
    const card = renderCard(huge).content;
    expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(submitsOf(card)).toHaveLength(2);
    expect(textsOf(card)[0]).toBe(recommendation.title);
    expect(textsOf(card)).toContain(`Source: ${recommendation.source}`);
    expect(card.body.some((e) => e.type === 'FactSet')).toBe(true);
  });
});

describe('renderNotice', () => {
  it('addresses the note by name as plain text', () => {
    const card = renderNotice({ kind: 'notice', summary: 'Only Ana can answer this.', blocks: [{ text: 'Only Ana can answer this.' }], visibility: 'private' }, 'Bob');
    expect(textsOf(card.content)).toEqual(['Bob: Only Ana can answer this.']);
  });
});

const idArb = fc.string({ minLength: 1, maxLength: 40 });
const actionArb: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ type: fc.constant('answer' as const), dialog: idArb, owner: idArb, step: fc.nat(50), value: idArb }),
  fc.record({ type: fc.constantFrom('skip' as const, 'back' as const, 'restart' as const, 'cancel' as const), dialog: idArb, owner: idArb, step: fc.nat(50) }),
  fc.constant({ type: 'start' as const }),
  fc.record({ type: fc.constant('ask' as const), text: fc.string({ minLength: 1, maxLength: 300 }) }),
  fc.record({ type: fc.constant('share' as const), dialog: idArb, owner: idArb }),
);
const choiceArb = fc.record({ label: fc.string({ maxLength: 60 }), action: actionArb });
const replyArb: fc.Arbitrary<Reply> = fc.record(
  {
    kind: fc.constantFrom('topic' as const, 'question' as const, 'recommendation' as const, 'review' as const, 'notice' as const),
    title: fc.string({ maxLength: 200 }),
    summary: fc.string({ maxLength: 300 }),
    blocks: fc.array(
      fc.record({ heading: fc.string({ maxLength: 100 }), text: fc.string({ maxLength: 3000 }), bullets: fc.array(fc.string({ maxLength: 300 }), { maxLength: 20 }) }, { requiredKeys: [] }),
      { maxLength: 12 },
    ),
    facts: fc.array(fc.record({ label: fc.string({ maxLength: 40 }), value: fc.string({ maxLength: 80 }) }), { maxLength: 12 }),
    choices: fc.array(choiceArb, { maxLength: 8 }),
    actions: fc.array(choiceArb, { maxLength: 6 }),
    source: fc.string({ maxLength: 200 }),
  },
  { requiredKeys: ['kind', 'summary', 'blocks'] },
);

describe('renderCard on any reply', () => {
  it('produces a card under the size limit whose every button parses back to its action', () => {
    fc.assert(
      fc.property(replyArb, (reply) => {
        const card = renderCard(reply).content;
        expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
        expect(card.body.length).toBeGreaterThan(0);
        for (const submit of submitsOf(card)) expect(submitDataSchema.safeParse(JSON.parse(JSON.stringify(submit.data))).success).toBe(true);
        expect(submitsOf(card)).toHaveLength((reply.choices?.length ?? 0) + (reply.actions?.length ?? 0));
      }),
      { numRuns: 300 },
    );
  });
});
