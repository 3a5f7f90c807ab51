/** The one cap on the text a turn reads, its note, and how each renderer shows notes. */
import { beforeAll, describe, expect, it } from 'vitest';
import { renderText } from '../adapters/console/render.js';
import { renderReply } from '../adapters/slack/render.js';
import { renderCard } from '../adapters/teams/render.js';
import { buildEngineCore, type Core } from '../src/core.js';
import { capTurnText, MAX_TURN_CHARS } from '../src/engine.js';
import { createStore } from '../src/store/index.js';
import type { InboundMessage, Reply } from '../src/types.js';

let core: Core;
beforeAll(async () => {
  core = buildEngineCore({ store: await createStore({ kind: 'memory', dataDir: '' }) });
});

const msg = (text: string, extra: Partial<InboundMessage> = {}): InboundMessage => ({ platform: 'console', workspace: 'T', conversation: `c-${Math.random()}`, user: 'U', text, ...extra });

describe('capTurnText', () => {
  it('leaves text up to the cap alone and cuts longer text to it', () => {
    expect(capTurnText('a'.repeat(MAX_TURN_CHARS))).toEqual({ text: 'a'.repeat(MAX_TURN_CHARS), originalLength: null });
    expect(capTurnText('a'.repeat(MAX_TURN_CHARS + 1))).toEqual({ text: 'a'.repeat(MAX_TURN_CHARS), originalLength: MAX_TURN_CHARS + 1 });
  });

  it('never splits a surrogate pair', () => {
    const text = `${'a'.repeat(MAX_TURN_CHARS - 1)}😀tail`;
    const cut = capTurnText(text);
    expect(cut.text).toBe('a'.repeat(MAX_TURN_CHARS - 1));
    expect(cut.originalLength).toBe(text.length);
  });
});

describe('the engine reads at most 4,000 characters and says so', () => {
  it('a long question: answered, the first reply carries the note, later ones do not', async () => {
    const text = `how do VMs and Kubernetes compare on isolation? ${'x '.repeat(5_000)}`;
    expect(text.length).toBe(10_048);
    const { replies } = await core.engine.handle(msg(text));
    expect(replies[0]?.kind).toBe('topic');
    expect(replies[0]?.notes).toEqual(['Your message was 10,048 characters long; I read only the first 4,000.']);
    for (const r of replies.slice(1)) expect(r.notes).toBeUndefined();
  });

  it('a short message has no note', async () => {
    const { replies } = await core.engine.handle(msg('help'));
    expect(replies.every((r) => r.notes === undefined)).toBe(true);
  });

  it('the text of an "ask" button is capped too', async () => {
    const long = `what about security? ${'y'.repeat(9_000)}`;
    const { replies } = await core.engine.handle(msg('', { action: { type: 'ask', text: long } }));
    expect(replies[0]?.notes?.[0]).toMatch(/^Your message was 9,021 characters long/);
  });
});

describe('renderers show notes', () => {
  const reply: Reply = { kind: 'topic', summary: 's', blocks: [{ text: 'body' }], notes: ['Your message was <5,000> characters long; I read only the first 4,000.'], source: 'Article' };

  it('Slack: a context block, escaped', () => {
    const { blocks } = renderReply(reply);
    const context = blocks.filter((b) => b.type === 'context').map((b) => JSON.stringify(b));
    expect(context[0]).toContain('Your message was &lt;5,000&gt; characters long');
  });

  it('Teams: a small subtle text block', () => {
    const body = renderCard(reply).content.body;
    expect(body).toContainEqual(expect.objectContaining({ type: 'TextBlock', text: reply.notes?.[0], size: 'Small', isSubtle: true }));
  });

  it('terminal: a line in parentheses', () => {
    expect(renderText(reply)).toContain(`(${reply.notes?.[0]})`);
  });
});
