/**
 * The terminal chat (adapters/console) and what the core answers after a
 * finished recommendation: a prompt, no Slack wording ("Pick a button",
 * "Share in channel"), lines wrapped at word boundaries, and "not sure" after
 * the recommendation is not a new dialog.
 */
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROMPT, runChat } from '../adapters/console/chat.js';
import { renderText, wrap } from '../adapters/console/render.js';
import { buildEngineCore, type Core } from '../src/core.js';
import { createStore } from '../src/store/index.js';
import type { Action, InboundMessage, Reply } from '../src/types.js';

let core: Core;
beforeAll(async () => {
  core = buildEngineCore({ store: await createStore({ kind: 'memory', dataDir: '' }) });
});

/** Runs the chat over the given lines and returns everything it wrote. */
async function chat(lines: string[], columns = 80): Promise<string> {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (d: Buffer) => (out += d.toString()));
  const done = runChat(core.engine, { input, output, columns });
  input.end(`${lines.join('\n')}\n`);
  await done;
  return out;
}

/** Answers the guided dialog with option 1 until it finishes; returns the typed lines. */
async function linesToFinish(): Promise<string[]> {
  const conversation = `finish-${Math.random()}`;
  const msg = (text: string, action?: Action): InboundMessage => ({ platform: 'console', workspace: 'local', conversation, user: 'u', text, ...(action ? { action } : {}) });
  const lines = ['help me choose'];
  let replies = (await core.engine.handle(msg('help me choose'))).replies;
  for (let i = 0; i < 15 && !replies.some((r) => r.kind === 'recommendation'); i++) {
    lines.push('1');
    replies = (await core.engine.handle(msg('1'))).replies;
  }
  expect(replies.some((r) => r.kind === 'recommendation')).toBe(true);
  return lines;
}

describe('terminal chat', () => {
  it('shows a prompt before each message and after each answer', async () => {
    const out = await chat(['hello', 'how do VMs and Kubernetes compare on isolation?']);
    const prompts = out.split('\n').filter((l) => l.startsWith(PROMPT));
    expect(prompts.map((l) => l.slice(PROMPT.length))).toEqual(['hello', 'how do VMs and Kubernetes compare on isolation?', '']);
  });

  it('a whole dialog to the recommendation: no "Pick a button", no "Share in channel", nothing wider than the terminal', async () => {
    const lines = await linesToFinish();
    for (const columns of [80, 60]) {
      const out = await chat([...lines, 'how do VMs and Kubernetes compare on scaling?'], columns);
      expect(out).toMatch(/== Question 1 ==/);
      expect(out).toMatch(/== Recommendation: /);
      expect(out).not.toMatch(/pick a button|share in channel|button/i);
      expect(out).toMatch(/Type a number \(1-\d\)/);
      for (const line of out.split('\n')) {
        // A single word longer than the line (none here) would be the only exception.
        expect(line.length, line).toBeLessThanOrEqual(columns);
      }
    }
  });

  it('"not sure" after a finished recommendation says it is finished instead of starting a new dialog', async () => {
    const lines = await linesToFinish();
    const out = await chat([...lines, 'not sure', 'skip', '2']);
    const afterRecommendation = out.slice(out.lastIndexOf('== Recommendation: '));
    expect(afterRecommendation).not.toMatch(/== Question 1 ==/);
    expect(afterRecommendation.match(/already finished/g)).toHaveLength(3);
  });
});

describe('the core after a finished recommendation', () => {
  it.each(['not sure', 'Not sure.', 'skip', 'dunno', '2', 'yes'])('"%s" gets a note that it is finished; the stored dialog does not change', async (text) => {
    const conversation = `done-${text}`;
    const msg = (t: string, action?: Action): InboundMessage => ({ platform: 'web', workspace: 'local', conversation, user: 'u', text: t, ...(action ? { action } : {}) });
    let replies: Reply[] = (await core.engine.handle(msg('help me choose'))).replies;
    for (let i = 0; i < 15 && !replies.some((r) => r.kind === 'recommendation'); i++) replies = (await core.engine.handle(msg('1'))).replies;
    const key = { platform: 'web' as const, workspace: 'local', conversation, user: 'u' };
    const before = (await core.store.get(key))?.value;
    const after = (await core.engine.handle(msg(text))).replies;
    expect(after.map((r) => r.kind)).toEqual(['notice']);
    expect(after[0]?.summary).toMatch(/already finished/);
    expect(after[0]?.actions?.some((a) => a.action.type === 'start')).toBe(true);
    expect((await core.store.get(key))?.value).toEqual(before);
    // "help me choose" still starts a new one.
    expect((await core.engine.handle(msg('help me choose'))).replies.some((r) => r.kind === 'question')).toBe(true);
  });
});

describe('wrapping', () => {
  it('wraps at word boundaries: no word is cut, no line is wider than asked, the hanging indent holds', () => {
    const text = 'Kubernetes adds and removes replicas as traffic changes; scaling VMs is slower and needs spare capacity, according to the article.';
    for (const width of [20, 33, 50, 80]) {
      const lines = wrap(text, width, '  * ', '    ');
      expect(lines[0]!.startsWith('  * ')).toBe(true);
      for (const line of lines.slice(1)) expect(line.startsWith('    ') && line[4] !== ' ').toBe(true);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
      expect(lines.map((l) => l.trim().replace(/^\* /, '')).join(' ')).toBe(text);
    }
    // A word longer than the line stays whole.
    expect(wrap('see https://example.com/a/very/long/path/that/does/not/fit here', 20)).toEqual(['see', 'https://example.com/a/very/long/path/that/does/not/fit', 'here']);
  });

  it('renders facts and choices with aligned, wrapped lines', () => {
    const reply: Reply = {
      kind: 'recommendation',
      title: 'Recommendation',
      summary: 's',
      blocks: [{ text: 'one two three four five six seven eight nine ten eleven twelve' }],
      facts: [{ label: 'Verdict', value: 'Hybrid: VM-grade isolation inside Kubernetes (beyond the article)' }],
      source: 'Article, section "Conclusion"',
    };
    const out = renderText(reply, 40).split('\n');
    for (const line of out) expect(line.length).toBeLessThanOrEqual(40);
    const verdict = out.findIndex((l) => l.startsWith('  Verdict  Hybrid'));
    expect(out[verdict + 1]).toMatch(/^ {11}\S/);
    expect(out.filter((l) => l.includes('Source:'))).toEqual(['Source: Article, section "Conclusion"']);
  });
});
