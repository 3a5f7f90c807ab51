/**
 * Outbound Slack calls that hang or break: the real server with Slack on,
 * against the fake Slack API made to hang (a server that does the work but
 * never answers) or to drop the connection after carrying out a call.
 *
 * Every call has a time limit, so a hung Slack holds no turn slot for longer
 * than that, and a post that may have landed is never sent twice. /readyz
 * says when accepted work stops moving.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { blockActions, buttonsIn, eventCallback, postToSlackEndpoint, sendSlashCommand, startFakeSlack, type FakeSlack, type RecordedCall } from './helpers/fake-slack.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SECRET = 'delivery-signing-secret';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let fake: FakeSlack | undefined;
let srv: TestServer | undefined;
afterEach(async () => {
  await srv?.close();
  await fake?.close();
  srv = undefined;
  fake = undefined;
});

async function start(opts: { timeoutMs: number; queueStuckMs?: number }): Promise<{ fake: FakeSlack; srv: TestServer }> {
  fake = await startFakeSlack();
  srv = await startTestServer({
    env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-delivery-test', SLACK_API_URL: fake.apiUrl, VMK_SLACK_TIMEOUT_MS: String(opts.timeoutMs), LOG_LEVEL: 'info' },
    config: (c) => ({ ...c, slack: c.slack && { ...c.slack, ...(opts.queueStuckMs ? { queueStuckMs: opts.queueStuckMs } : {}) } }),
  });
  return { fake, srv };
}

let seq = 0;
function dm(base: string, channel: string): Promise<Response> {
  seq += 1;
  const body = eventCallback({ type: 'message', channel_type: 'im', channel, user: 'UDELIVERY', text: 'how do VMs and Kubernetes compare on isolation?', ts: `1700000100.${String(seq).padStart(6, '0')}` });
  return postToSlackEndpoint(base, body, 'application/json', { secret: SECRET });
}

const postsTo = (channel: string) => (c: RecordedCall) => c.method === 'chat.postMessage' && c.body.channel === channel;

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(10);
  }
}

describe('a hung Slack Web API', () => {
  it('frees every turn slot after the time limit: once Slack recovers new DMs are answered within 5 s, and nothing is posted twice', async () => {
    // 1 s keeps the test quick; VMK_TEST_SLACK_TIMEOUT_MS=4000 runs it with the shipped default.
    const timeoutMs = Number(process.env.VMK_TEST_SLACK_TIMEOUT_MS ?? 1_000);
    const { fake, srv } = await start({ timeoutMs });
    // 40 DMs against a Slack that carries out each post and never answers: more than the 32 turn slots.
    fake.stall({ method: 'chat.postMessage' });
    const stalled = Array.from({ length: 40 }, (_, i) => `DHUNG${String(i).padStart(3, '0')}`);
    const acks = await Promise.all(stalled.map((c) => dm(srv.url, c)));
    expect(acks.map((r) => r.status)).toEqual(stalled.map(() => 200));
    await until(() => fake.hanging >= 32, 5_000, 'every turn slot waiting on Slack');
    // The process itself stays responsive meanwhile.
    const health = performance.now();
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    expect(performance.now() - health).toBeLessThan(1_000);

    await sleep(300);
    const hangingAtRecovery = fake.hanging;
    fake.recover();
    const recovered = performance.now();
    const fresh = Array.from({ length: 5 }, (_, i) => `DAFTER${i}`);
    await Promise.all(fresh.map((c) => dm(srv.url, c)));
    const latencies: number[] = [];
    for (const c of fresh) {
      await fake.waitFor(postsTo(c), 10_000);
      latencies.push(performance.now() - recovered);
    }
    console.log(`after recovery: new DMs answered in ${latencies.map((ms) => Math.round(ms)).join(', ')} ms (time limit ${timeoutMs} ms, ${hangingAtRecovery} posts were hanging at the recovery)`);
    expect(Math.max(...latencies)).toBeLessThan(5_000);

    // Let every timed-out call finish its course, then count: each stalled post was carried out once and never repeated.
    await sleep(timeoutMs + 500);
    for (const c of [...stalled, ...fresh]) expect(fake.calls.filter(postsTo(c)), c).toHaveLength(1);
    // The posts that hung (every slot's; the rest were still queued and went out after the recovery) timed out, each said so once.
    const hung = fake.attempts.filter((c) => c.method === 'chat.postMessage' && c.status === 0).length;
    expect(hung).toBeGreaterThanOrEqual(32);
    const timedOut = srv.logs.filter((l) => typeof l.msg === 'string' && l.msg === 'chat.postMessage failed');
    expect(timedOut.length).toBe(hung);
    expect(JSON.stringify(timedOut[0])).toMatch(/may have reached Slack.*never duplicated/);
  }, 30_000);

  it('/readyz reports the stuck delivery queue with a reason (503), and is ready again once the work moves', async () => {
    const { fake, srv } = await start({ timeoutMs: 2_500, queueStuckMs: 700 });
    expect((await fetch(`${srv.url}/readyz`)).status).toBe(200);
    fake.stall({ method: 'chat.postMessage', landed: false });
    expect((await dm(srv.url, 'DSTUCK1')).status).toBe(200);
    await sleep(1_000);
    const stuck = await fetch(`${srv.url}/readyz`);
    const body = (await stuck.json()) as { status: string; reason?: string; checks: Record<string, boolean> };
    expect(stuck.status).toBe(503);
    expect(body.reason).toMatch(/Slack delivery queue stuck: the oldest of 1 accepted events and clicks has waited \d+ s.*VMK_SLACK_TIMEOUT_MS=2500/);
    expect(body.checks).toMatchObject({ store: true, slackDelivery: false });
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    fake.recover();
    // The hung call gives up at its time limit; the queue is empty again.
    let ready = 0;
    for (let i = 0; i < 60 && ready !== 200; i++) {
      await sleep(100);
      ready = (await fetch(`${srv.url}/readyz`)).status;
    }
    expect(ready).toBe(200);
    expect((await dm(srv.url, 'DSTUCK2')).status).toBe(200);
    await fake.waitFor(postsTo('DSTUCK2'), 5_000);
  }, 30_000);
});

describe('a connection dropped after Slack carried out the call', () => {
  it('posts each DM reply once, never again on retry', async () => {
    const { fake, srv } = await start({ timeoutMs: 2_000 });
    const channels = Array.from({ length: 10 }, (_, i) => `DDROP${i}`);
    fake.faultNext(channels.length, { kind: 'drop', method: 'chat.postMessage' });
    for (const c of channels) expect((await dm(srv.url, c)).status).toBe(200);
    await until(() => channels.every((c) => fake.calls.some(postsTo(c))), 5_000, 'every post carried out');
    await sleep(1_000);
    for (const c of channels) expect(fake.calls.filter(postsTo(c)), c).toHaveLength(1);
    // A failure to connect at all is still retried: nothing can have landed.
    expect((await dm(srv.url, 'DDROPAFTER')).status).toBe(200);
    await fake.waitFor(postsTo('DDROPAFTER'), 5_000);
  }, 30_000);

  it("repeats a click's replace_original after a drop (harmless), but not a new ephemeral post", async () => {
    const { fake, srv } = await start({ timeoutMs: 2_000 });
    const started = await sendSlashCommand(srv.url, { text: '', user: 'UDROP', channel: 'CDROP', responseUrl: fake.responseUrl('drop-start') }, { secret: SECRET });
    const answer = buttonsIn(started.body).find((b) => b.action.type === 'answer');
    expect(answer, JSON.stringify(started.body).slice(0, 300)).toBeDefined();
    fake.faultNext(1, { kind: 'drop', method: 'response_url' });
    const click = await postToSlackEndpoint(
      srv.url,
      blockActions({ user: 'UDROP', channel: 'CDROP', actionId: answer!.actionId, value: answer!.value, responseUrl: fake.responseUrl('drop-click') }),
      'application/x-www-form-urlencoded',
      { secret: SECRET },
    );
    expect(click.status).toBe(200);
    const replaced = await fake.waitForCount((c) => c.responseUrlId === 'drop-click', 2, 5_000);
    expect(replaced.every((c) => c.body.replace_original === true)).toBe(true);
    expect(JSON.stringify(replaced[1]?.body)).toContain('Question 2');

    // Someone else's click on that dialog gets a private note: a new ephemeral message, not repeated after a drop.
    fake.faultNext(1, { kind: 'drop', method: 'response_url' });
    await postToSlackEndpoint(
      srv.url,
      blockActions({ user: 'UOTHER', channel: 'CDROP', actionId: answer!.actionId, value: answer!.value, responseUrl: fake.responseUrl('drop-other') }),
      'application/x-www-form-urlencoded',
      { secret: SECRET },
    );
    await fake.waitFor((c) => c.responseUrlId === 'drop-other', 5_000);
    await sleep(1_000);
    expect(fake.calls.filter((c) => c.responseUrlId === 'drop-other')).toHaveLength(1);
  }, 30_000);
});
