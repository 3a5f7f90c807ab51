import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseActionValue } from '../adapters/slack/actions.js';
import { decodeSlackEntities, escapeSlackText, splitEscaped, truncateEscaped } from '../adapters/slack/escape.js';
import { homeReply } from '../adapters/slack/home.js';
import { LIMITS, renderHomeView, renderReply, type SlackBlock } from '../adapters/slack/render.js';
import type { Logger } from '../src/logger.js';
import type { Reply } from '../src/types.js';

/** Representative replies of every shape the core produces. */
const topic: Reply = {
  kind: 'topic',
  title: 'Isolation: virtual machines vs Kubernetes',
  summary: 'VMs isolate more strongly; containers share the host kernel.',
  blocks: [
    { text: 'Each VM runs its own operating system, so one workload cannot easily reach another.' },
    { heading: 'On Kubernetes', bullets: ['Containers share the host kernel.', 'Namespaces & cgroups separate them <but less strongly>.'] },
  ],
  facts: [
    { label: 'Favours', value: 'Virtual machines' },
    { label: 'Confidence', value: 'Stated directly by the article' },
  ],
  source: "Article, 'Kubernetes vs. Virtual Machines' section 2 (Isolation)",
  actions: [
    { label: 'What about security?', action: { type: 'ask', text: 'what about security?' } },
    { label: 'Help me choose', action: { type: 'start' } },
  ],
  visibility: 'public',
};

const question: Reply = {
  kind: 'question',
  title: 'Question 2 of 6',
  summary: 'Does the workload need an operating system other than the host one?',
  blocks: [{ text: 'Does the workload need an operating system other than the host one?' }],
  choices: [
    { label: 'Yes', action: { type: 'answer', dialog: 'd1', owner: 'U1', step: 2, value: 'yes' } },
    { label: 'No', action: { type: 'answer', dialog: 'd1', owner: 'U1', step: 2, value: 'no' } },
    { label: 'Not sure', action: { type: 'answer', dialog: 'd1', owner: 'U1', step: 2, value: 'unsure' } },
  ],
  actions: [
    { label: 'Back', action: { type: 'back', dialog: 'd1', owner: 'U1', step: 2 } },
    { label: 'Cancel', action: { type: 'cancel', dialog: 'd1', owner: 'U1', step: 2 }, style: 'danger' },
  ],
  replaceOriginal: true,
  visibility: 'private',
  dialog: { id: 'd1', owner: 'U1', step: 2, done: false },
};

const recommendation: Reply = {
  kind: 'recommendation',
  title: 'Recommendation: Kubernetes',
  summary: 'Kubernetes fits this workload best.',
  blocks: [{ heading: 'Why', bullets: ['It must scale with traffic.', 'It is stateless.'] }],
  facts: [
    { label: 'Scaling', value: 'Kubernetes +2' },
    { label: 'Isolation', value: 'VMs +1' },
  ],
  source: "Article, 'Kubernetes vs. Virtual Machines' sections 4 and 7",
  actions: [{ label: 'Share in channel', action: { type: 'share', dialog: 'd1', owner: 'U1' }, style: 'primary' }],
  replaceOriginal: true,
  dialog: { id: 'd1', owner: 'U1', step: 6, done: true },
};

const injectedReview: Reply = {
  kind: 'review',
  title: 'Review of: <!channel> our <@U999> payments API',
  summary: 'Review of "<!here> payments &lt;API&gt;"',
  blocks: [{ text: 'You wrote: "<!channel> please look <@U999> & <!subteam^S1> <https://evil.example|click>"' }],
  facts: [{ label: '<!everyone>', value: '<@U999>' }],
};

function texts(blocks: SlackBlock[]): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') out.push(x);
        else walk(x);
      }
    }
  };
  walk(blocks);
  return out;
}

function recorder(): Logger & { lines: { level: string; obj: unknown; msg?: string }[] } {
  const lines: { level: string; obj: unknown; msg?: string }[] = [];
  const log = (level: string) => (obj: object | string, msg?: string) => lines.push({ level, obj, msg });
  const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger, lines };
  return logger;
}

describe('Block Kit renderer snapshots', () => {
  it.each([
    ['topic answer with facts, source and follow-ups', topic, 'topic'],
    ['dialog question with choices and navigation', question, 'question'],
    ['recommendation with a share button', recommendation, 'recommendation'],
    ['review echoing hostile user text', injectedReview, 'review-injection'],
  ])('%s', async (_name, reply, file) => {
    await expect(JSON.stringify(renderReply(reply), null, 2) + '\n').toMatchFileSnapshot(`./fixtures/slack/snapshots/${file}.json`);
  });

  it('the Home tab', async () => {
    const view = renderHomeView(homeReply(), { privateMetadata: JSON.stringify({ channel: 'D1' }) });
    await expect(JSON.stringify(view, null, 2) + '\n').toMatchFileSnapshot('./fixtures/slack/snapshots/home.json');
  });
});

describe('Block Kit renderer rules', () => {
  it('always sends fallback text, and a reply with only a summary still has a body', () => {
    const out = renderReply({ kind: 'notice', summary: 'Only the person who started this can answer it.', blocks: [], visibility: 'private' });
    expect(out.text).toBe('Only the person who started this can answer it.');
    expect(out.blocks).toEqual([{ type: 'section', text: { type: 'mrkdwn', text: 'Only the person who started this can answer it.' } }]);
  });

  it('neutralises every mention and link control sequence in every text field', () => {
    const out = renderReply(injectedReview);
    const all = [out.text, ...texts(out.blocks)].join('\n');
    expect(all).not.toMatch(/<[!@#]/);
    expect(all).not.toContain('<https://');
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).toContain('&lt;@U999&gt;');
    // Text that arrived already escaped is not double-escaped.
    expect(out.text).toBe('Review of "&lt;!here&gt; payments &lt;API&gt;"');
  });

  it('keeps the header within 150 characters, button labels within 75, with an ellipsis', () => {
    const out = renderReply({
      kind: 'topic',
      title: 'T'.repeat(400),
      summary: 's',
      blocks: [{ text: 'x' }],
      choices: [{ label: 'L'.repeat(200), action: { type: 'start' } }],
    });
    const header = out.blocks[0] as { type: string; text: { text: string } };
    expect(header.type).toBe('header');
    expect(header.text.text.length).toBeLessThanOrEqual(150);
    expect(header.text.text.endsWith('…')).toBe(true);
    const actions = out.blocks.find((b) => b.type === 'actions') as { elements: { text: { text: string }; style?: string }[] };
    expect(actions.elements[0]?.text.text.length).toBeLessThanOrEqual(75);
    expect(actions.elements[0]?.text.text.endsWith('…')).toBe(true);
    // A lone choice is the primary action.
    expect(actions.elements[0]?.style).toBe('primary');
  });

  it('splits long text into sections of at most 3000 characters without losing words', () => {
    const words = Array.from({ length: 2000 }, (_, i) => `word${i}`);
    const out = renderReply({ kind: 'topic', summary: 's', blocks: [{ text: words.join(' ') }] });
    const sections = out.blocks.filter((b) => b.type === 'section') as { text: { text: string } }[];
    expect(sections.length).toBeGreaterThan(1);
    for (const s of sections) expect(s.text.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(sections.map((s) => s.text.text).join(' ').split(/\s+/)).toEqual(words);
  });

  it('puts at most 10 facts in a section, each within 2000 characters', () => {
    const facts = Array.from({ length: 23 }, (_, i) => ({ label: `Fact ${i}`, value: 'v'.repeat(i === 0 ? 5000 : 10) }));
    const out = renderReply({ kind: 'overview', summary: 's', blocks: [{ text: 'x' }], facts });
    const withFields = out.blocks.filter((b) => b.type === 'section' && 'fields' in b) as { fields: { text: string }[] }[];
    expect(withFields.map((s) => s.fields.length)).toEqual([10, 10, 3]);
    for (const s of withFields) for (const f of s.fields) expect(f.text.length).toBeLessThanOrEqual(LIMITS.fieldText);
  });

  it('caps a message at 50 blocks and keeps the buttons', () => {
    const blocks = Array.from({ length: 80 }, (_, i) => ({ heading: `Part ${i}`, text: 'x'.repeat(2900) }));
    const logger = recorder();
    const out = renderReply({ ...question, blocks }, { logger });
    expect(out.blocks.length).toBeLessThanOrEqual(50);
    expect(out.blocks.filter((b) => b.type === 'actions')).toHaveLength(2);
    expect(texts(out.blocks).some((t) => t.includes('shortened'))).toBe(true);
    expect(logger.lines.some((l) => l.level === 'warn')).toBe(true);
  });

  it('gives every button a unique action_id within its block, and values that parse back to the same action', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({ label: `Option ${i}`, action: { type: 'answer' as const, dialog: 'd', owner: 'U', step: 0, value: `o${i}` } }));
    const out = renderReply({ kind: 'question', summary: 's', blocks: [{ text: 'pick' }], choices: many, actions: question.actions ?? [] });
    const actionBlocks = out.blocks.filter((b) => b.type === 'actions') as { block_id: string; elements: { action_id: string; value: string }[] }[];
    expect(actionBlocks.map((b) => b.elements.length)).toEqual([25, 5, 2]);
    expect(new Set(actionBlocks.map((b) => b.block_id)).size).toBe(actionBlocks.length);
    for (const b of actionBlocks) expect(new Set(b.elements.map((e) => e.action_id)).size).toBe(b.elements.length);
    const parsed = actionBlocks.flatMap((b) => b.elements.map((e) => parseActionValue(e.value)));
    expect(parsed.slice(0, 30)).toEqual(many.map((c) => ({ ok: true, action: c.action })));
  });

  it('drops a button whose value would exceed 2000 characters, and logs it', () => {
    const logger = recorder();
    const out = renderReply(
      {
        kind: 'topic',
        summary: 's',
        blocks: [{ text: 'x' }],
        actions: [
          { label: 'Too long', action: { type: 'ask', text: 'q'.repeat(2100) } },
          { label: 'Fine', action: { type: 'ask', text: 'what about scaling?' } },
        ],
      },
      { logger },
    );
    const actions = out.blocks.filter((b) => b.type === 'actions') as { elements: { text: { text: string }; value: string }[] }[];
    expect(actions.flatMap((a) => a.elements.map((e) => e.text.text))).toEqual(['Fine']);
    for (const a of actions) for (const e of a.elements) expect(e.value.length).toBeLessThanOrEqual(2000);
    expect(logger.lines.find((l) => l.level === 'warn')?.msg).toMatch(/button value/);
  });

  it('never emits link_names or parse options', () => {
    const out = JSON.stringify([renderReply(topic), renderReply(injectedReview), renderHomeView(homeReply())]);
    expect(out).not.toMatch(/link_names|"parse"/);
  });
});

describe('escaping', () => {
  it('decodes Slack entities once, then escapes', () => {
    expect(escapeSlackText('<!channel> &lt;@U1&gt; &amp; &amp;lt;')).toBe('&lt;!channel&gt; &lt;@U1&gt; &amp; &amp;lt;');
    expect(decodeSlackEntities('&amp;lt;')).toBe('&lt;');
  });

  it('never lets a raw < or > through, whatever the input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('<', '>', '&', '!', '@', 'a', 'l', 't', 'g', ';', ' ', '\n', 'U') , maxLength: 200 }), (s) => {
        const e = escapeSlackText(s);
        expect(e).not.toMatch(/[<>]/);
        // Every & starts one of the three entities.
        expect(e.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
      }),
    );
  });

  it('truncates and splits without cutting an entity in half (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('<', '>', '&', 'a', ' ', '\n'), minLength: 1, maxLength: 400 }), fc.integer({ min: 8, max: 60 }), (s, max) => {
        const e = escapeSlackText(s);
        const t = truncateEscaped(e, max);
        expect(t.length).toBeLessThanOrEqual(max);
        expect(t.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
        for (const chunk of splitEscaped(e, max)) {
          expect(chunk.length).toBeLessThanOrEqual(max);
          expect(chunk.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
        }
      }),
    );
  });
});
