/**
 * Backpressure on /slack/events: the real server with a tiny after-ack queue
 * (one turn at a time, two waiting) and an engine held shut for the mentions
 * of one user. Over the limit, events and clicks get 503 + Retry-After before
 * Bolt acks them; slash commands are still answered in their ack; once the
 * engine opens, every accepted event is answered exactly once, and Slack's
 * retry of a refused event is accepted and answered once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine.js';
import {
  blockActions,
  eventCallback,
  FAKE_BOT_USER_ID,
  postToSlackEndpoint,
  sendSlashCommand,
  startFakeSlack,
  type FakeSlack,
  type RecordedCall,
} from './helpers/fake-slack.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SECRET = 'backpressure-signing-secret';
/** Turns of this user's messages wait until the gate opens. */
const BLOCKED_USER = 'UBLOCKED';

let fake: FakeSlack;
let srv: TestServer;
let openGate!: () => void;
const gate = new Promise<void>((resolve) => {
  openGate = resolve;
});
/** Turns of the blocked user that reached the engine. */
let blockedTurns = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function mention(channel: string, eventId: string, retryNum?: number): Promise<Response> {
  const body = eventCallback({ type: 'app_mention', channel, user: BLOCKED_USER, text: `<@${FAKE_BOT_USER_ID}> what about security?`, ts: `1700000000.${channel.slice(-6)}` }, { eventId });
  return postToSlackEndpoint(srv.url, body, 'application/json', { secret: SECRET, ...(retryNum !== undefined ? { retryNum } : {}) });
}

const postsTo = (channel: string) => (c: RecordedCall) => c.method === 'chat.postMessage' && c.body.channel === channel;

async function until(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

beforeAll(async () => {
  fake = await startFakeSlack();
  srv = await startTestServer({
    env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-backpressure-test', SLACK_API_URL: fake.apiUrl },
    config: (c) => ({ ...c, slack: c.slack && { ...c.slack, maxConcurrentTurns: 1, maxQueuedTurns: 2 } }),
    wrapEngine: (engine: Engine): Engine => ({
      handle: async (msg) => {
        if (msg.user === BLOCKED_USER) {
          blockedTurns += 1;
          await gate;
        }
        return engine.handle(msg);
      },
    }),
  });
});

afterAll(async () => {
  openGate();
  await srv?.close();
  await fake?.close();
});

describe('the Slack after-ack queue is bounded', () => {
  const channels = ['C0BP00001', 'C0BP00002', 'C0BP00003'];
  const refused = { channel: 'C0BP00004', eventId: 'EvBACKPRESSURE4' };

  it('accepts events while the queue has room, then answers new events and clicks with 503 + Retry-After', async () => {
    // The first turn runs (and waits at the gate); the next two wait in the queue.
    const first = await mention(channels[0] as string, 'EvBACKPRESSURE1');
    expect(first.status).toBe(200);
    await until(() => blockedTurns === 1);
    for (const [i, channel] of channels.slice(1).entries()) {
      const res = await mention(channel, `EvBACKPRESSURE${i + 2}`);
      expect(res.status).toBe(200);
    }

    const over = await mention(refused.channel, refused.eventId);
    expect(over.status).toBe(503);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);

    const click = await postToSlackEndpoint(
      srv.url,
      blockActions({ user: 'UCLICKER', actionId: 'vmk:choice:0', value: '{"type":"start"}', channel: 'C0BPCLICK', responseUrl: fake.responseUrl('bp-click') }),
      'application/x-www-form-urlencoded',
      { secret: SECRET },
    );
    expect(click.status).toBe(503);
    expect(click.headers.get('retry-after')).not.toBeNull();

    // Refusals are logged at warn, once for the burst (rate-limited), not once per request.
    const warnings = srv.logs.filter((l) => l.level === 40 && String(l.msg).includes('queue full'));
    expect(warnings).toHaveLength(1);
  });

  it('still answers slash commands in their acknowledgement while events are refused', async () => {
    const ack = await sendSlashCommand(srv.url, { text: 'how does scaling work on kubernetes?', user: 'UCMD', channel: 'C0BPCMD', responseUrl: fake.responseUrl('bp-cmd') }, { secret: SECRET });
    expect(ack.status).toBe(200);
    expect(ack.body.response_type).toBe('ephemeral');
    expect(String(ack.body.text ?? '')).not.toBe('');
  });

  it('answers every accepted event exactly once after the engine unblocks, and never the refused one', async () => {
    expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(0);
    openGate();
    for (const channel of channels) await fake.waitFor(postsTo(channel));
    await sleep(300);
    for (const channel of channels) expect(fake.calls.filter(postsTo(channel))).toHaveLength(1);
    expect(fake.calls.filter(postsTo(refused.channel))).toHaveLength(0);
  });

  it("accepts Slack's retry of the refused event once the queue has room, and answers it once", async () => {
    const retry = await mention(refused.channel, refused.eventId, 1);
    expect(retry.status).toBe(200);
    await fake.waitFor(postsTo(refused.channel));
    // A second retry of the same event is acked but not answered again.
    const again = await mention(refused.channel, refused.eventId, 2);
    expect(again.status).toBe(200);
    await sleep(300);
    expect(fake.calls.filter(postsTo(refused.channel))).toHaveLength(1);
    // Nothing was answered twice.
    for (const channel of channels) expect(fake.calls.filter(postsTo(channel))).toHaveLength(1);
  });
});
