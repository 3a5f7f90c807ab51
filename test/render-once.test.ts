/**
 * What every renderer shows exactly once: the source line of a topic answer
 * and of a recommendation ("Source: Source: ..." on Slack before), and the
 * fallback's example questions (a bulleted list and the same questions as
 * buttons before). Slack, Teams and the terminal here; the web page in
 * test/browser.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { forTerminal } from '../adapters/console/chat.js';
import { renderText } from '../adapters/console/render.js';
import { renderReply } from '../adapters/slack/render.js';
import { renderCard } from '../adapters/teams/render.js';
import { EXAMPLE_QUESTIONS } from '../src/answers.js';
import { buildEngineCore, type Core } from '../src/core.js';
import { createStore } from '../src/store/index.js';
import type { InboundMessage, Reply } from '../src/types.js';

let core: Core;
beforeAll(async () => {
  core = buildEngineCore({ store: await createStore({ kind: 'memory', dataDir: '' }) });
});

const count = (text: string, part: string): number => text.split(part).length - 1;

/** The strings a person sees in a payload: every string except button values and submit data. */
function visible(payload: unknown): string {
  if (typeof payload === 'string') return payload;
  if (Array.isArray(payload)) return payload.map(visible).join('\n');
  if (payload && typeof payload === 'object') {
    return Object.entries(payload)
      .filter(([k]) => !['value', 'data', 'action_id', 'block_id', 'type', 'style', 'url'].includes(k))
      .map(([, v]) => visible(v))
      .join('\n');
  }
  return '';
}

/** Every piece of text each renderer puts on screen for one reply. */
function rendered(reply: Reply): Record<'slack' | 'teams' | 'terminal', string> {
  return {
    slack: visible(renderReply(reply).blocks),
    teams: visible(renderCard(reply).content),
    terminal: renderText(forTerminal(reply), 100),
  };
}

async function reply(text: string, conversation = `c-${text}`): Promise<Reply> {
  const msg: InboundMessage = { platform: 'console', workspace: 'local', conversation, user: 'u', text };
  return (await core.engine.handle(msg)).replies[0]!;
}

async function recommendation(): Promise<Reply> {
  const conversation = 'rec';
  let r = await reply('help me choose', conversation);
  for (let i = 0; i < 15 && r.kind !== 'recommendation'; i++) r = await reply('1', conversation);
  expect(r.kind).toBe('recommendation');
  return r;
}

describe('shown once on every platform', () => {
  it('the source line of a topic answer and of a recommendation', async () => {
    for (const r of [await reply('how do VMs and Kubernetes compare on isolation?'), await recommendation()]) {
      expect(r.source).toBeTruthy();
      for (const [platform, text] of Object.entries(rendered(r))) {
        expect(count(text, 'Source:'), `${platform}, ${r.kind}`).toBe(1);
      }
    }
  });

  it("the fallback's example questions", async () => {
    const r = await reply('what is the weather in Paris tomorrow?');
    expect(r.kind).toBe('fallback');
    for (const [platform, text] of Object.entries(rendered(r))) {
      for (const q of EXAMPLE_QUESTIONS) expect(count(text, q), `${platform}: ${q}`).toBe(1);
    }
  });
});
