/**
 * Faults against real vmk processes (`node dist/src/cli.js serve`): a SIGKILL
 * mid-dialog with SQLite, Redis dying and coming back under a running server,
 * and two instances sharing one Redis.
 *
 * The fake Slack API answering 429 (Retry-After) and 500 is covered by
 * slack.e2e.test.ts ("failures"); RELIABILITY.md points there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStore } from '../src/store/memory.js';
import { RedisStore } from '../src/store/redis.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { StateKey, StateStore } from '../src/store/types.js';
import type { Reply } from '../src/types.js';
import type { DialogState } from '../src/advisor/index.js';
import {
  buttonsIn,
  eventCallback,
  FAKE_BOT_USER_ID,
  FAKE_TEAM_ID,
  postToSlackEndpoint,
  sendSlashCommand,
  slashCommand,
  blockActions,
  startFakeSlack,
  type FakeSlack,
  type RecordedCall,
} from './helpers/fake-slack.js';
import { identityCookieOf, identityOf, playgroundBrowser, type PlaygroundBrowser } from './helpers/playground.js';
import { startServe, type ServeProcess } from './helpers/process.js';
import { sleep, startRedisServer, type TestRedisServer } from './helpers/redis.js';
import { startTestServer } from './helpers/server.js';

interface TurnResponse {
  status: number;
  replies: Reply[];
}

/** The playground signs identities with this on every instance and across restarts, so a browser keeps its dialog. */
const PLAYGROUND_SECRET = 'reliability-faults-playground-secret-0123';
/** One browser per person: the identity cookie the server issued, sent back on every turn (to any instance). */
const browsers = new Map<string, PlaygroundBrowser>();

async function turn(base: string, body: Record<string, unknown> & { user: string }): Promise<TurnResponse> {
  const { user, ...rest } = body;
  let browser = browsers.get(user);
  if (!browser) browsers.set(user, (browser = playgroundBrowser(base)));
  const res = await playgroundBrowser(base, browser.cookie).turn(rest);
  browser.cookie = identityCookieOf(res.headers) ?? browser.cookie;
  return { status: res.status, replies: res.replies };
}

const question = (replies: Reply[]): Reply | undefined => replies.find((r) => r.kind === 'question');
/** The second option of a question (with the current questions, this path asks five: vendor software, a few services, another OS...). */
const pathChoice = (q: Reply) => {
  const c = q.choices?.[1] ?? q.choices?.[0];
  if (!c) throw new Error(`no choices on ${JSON.stringify(q).slice(0, 300)}`);
  return c;
};
/** The store key of a person's playground conversation: the user is the identity in their cookie. */
const webKey = (conversation: string, person: string): StateKey => ({
  platform: 'web',
  workspace: 'local',
  conversation,
  user: identityOf(browsers.get(person)?.cookie ?? null),
});

describe('SIGKILL mid-dialog, SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmk-kill-'));
  let vmk: ServeProcess | undefined;
  afterAll(async () => {
    await vmk?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('the restarted process resumes at the same question with every earlier answer', async () => {
    const env = { VMK_STORE: 'sqlite', VMK_DATA_DIR: dir, VMK_PLAYGROUND_SECRET: PLAYGROUND_SECRET };
    vmk = await startServe(env);
    const who = { conversation: 'kill-1', user: 'ana' };
    let q = question((await turn(vmk.url, { ...who, action: { type: 'start' } })).replies);
    const given: { question: string; option: string }[] = [];
    for (let i = 0; i < 3; i++) {
      expect(q, `question ${i + 1}`).toBeDefined();
      const choice = pathChoice(q!);
      const res = await turn(vmk.url, { ...who, action: choice.action });
      expect(res.status).toBe(200);
      if (choice.action.type === 'answer') given.push({ question: '', option: choice.action.value });
      q = question(res.replies);
    }
    expect(q?.title).toBe('Question 4');
    const pending = pathChoice(q!);

    await vmk.kill('SIGKILL');
    expect(vmk.child.signalCode).toBe('SIGKILL');

    // On disk: the three answers, in order, and question 4 current.
    const disk = new SqliteStore({ dataDir: dir });
    const stored = (await disk.get(webKey(who.conversation, who.user)))?.value.dialog as DialogState | undefined;
    await disk.close();
    expect(stored?.answers.map((a) => a.option)).toEqual(given.map((g) => g.option));
    expect(stored?.current).not.toBeNull();

    vmk = await startServe(env);
    // The button shown before the kill still works: it answers question 4 and moves on to question 5.
    const after = await turn(vmk.url, { ...who, action: pending.action });
    expect(after.status).toBe(200);
    const next = after.replies.find((r) => r.kind === 'question' || r.kind === 'recommendation');
    expect(next, JSON.stringify(after.replies).slice(0, 500)).toBeDefined();
    if (next?.kind === 'question') expect(next.title).toBe('Question 5');
    // Back goes to question 4 again, with the first three answers still there.
    const backAction = next?.actions?.find((a) => a.action.type === 'back');
    expect(backAction).toBeDefined();
    const back = await turn(vmk.url, { ...who, action: backAction!.action });
    expect(question(back.replies)?.title).toBe('Question 4');
    await vmk.kill('SIGTERM');
    const reopened = new SqliteStore({ dataDir: dir });
    const final = (await reopened.get(webKey(who.conversation, who.user)))?.value.dialog as DialogState | undefined;
    await reopened.close();
    expect(final?.answers.map((a) => a.option)).toEqual(given.map((g) => g.option));
  }, 60_000);
});

describe('SIGKILL right after Slack acknowledged DMs and clicks, SQLite store', () => {
  const SECRET = 'kill-after-ack-signing-secret';
  const dir = mkdtempSync(join(tmpdir(), 'vmk-kill-ack-'));
  let vmk: ServeProcess | undefined;
  let fake: FakeSlack | undefined;
  afterAll(async () => {
    await vmk?.kill('SIGKILL');
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the restarted process answers every acknowledged DM and click, and repeats nothing that had finished', async () => {
    fake = await startFakeSlack();
    const env = { VMK_STORE: 'sqlite', VMK_DATA_DIR: dir, SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-kill-after-ack', SLACK_API_URL: fake.apiUrl };
    vmk = await startServe(env);

    // 20 guided dialogs, each at Question 1 (in the command's acknowledgement); their first answer buttons are the clicks.
    const CLICKS = 20;
    const DMS = 30;
    const clicks: { id: string; body: string }[] = [];
    for (let i = 0; i < CLICKS; i++) {
      const user = `UKILL${i}`;
      const channel = `CKILL${i}`;
      const ack = await sendSlashCommand(vmk.url, { text: '', user, channel, responseUrl: fake.responseUrl(`kill-start-${i}`) }, { secret: SECRET });
      const answer = buttonsIn(ack.body).find((b) => b.action.type === 'answer');
      expect(answer, JSON.stringify(ack.body).slice(0, 300)).toBeDefined();
      clicks.push({ id: `kill-click-${i}`, body: blockActions({ user, channel, actionId: answer!.actionId, value: answer!.value, responseUrl: fake.responseUrl(`kill-click-${i}`) }) });
    }
    const dms = Array.from({ length: DMS }, (_, i) => ({
      channel: `DKILL${String(i).padStart(3, '0')}`,
      body: eventCallback({ type: 'message', channel_type: 'im', channel: `DKILL${String(i).padStart(3, '0')}`, user: `UDKILL${i}`, text: 'how do VMs and Kubernetes compare on isolation?', ts: `1700000200.${String(i).padStart(6, '0')}` }),
    }));

    // DM replies hang (not carried out) until after the kill, so those answers are surely unfinished;
    // the clicks race the kill as they come.
    fake.stall({ method: 'chat.postMessage', landed: false });
    const acks = await Promise.all([
      ...dms.map((d) => postToSlackEndpoint(vmk!.url, d.body, 'application/json', { secret: SECRET })),
      ...clicks.map((c) => postToSlackEndpoint(vmk!.url, c.body, 'application/x-www-form-urlencoded', { secret: SECRET })),
    ]);
    vmk.child.kill('SIGKILL');
    await vmk.exited;
    expect(acks.map((r) => r.status)).toEqual(acks.map(() => 200));
    fake.recover();

    const dmReplies = (channel: string) => fake!.calls.filter((c) => c.method === 'chat.postMessage' && c.body.channel === channel);
    const clickReplies = (id: string) => fake!.calls.filter((c) => c.responseUrlId === id);
    const answeredBefore = new Set([...dms.filter((d) => dmReplies(d.channel).length > 0).map((d) => d.channel), ...clicks.filter((c) => clickReplies(c.id).length > 0).map((c) => c.id)]);

    // What the dead process left in its outbox.
    const db = new Database(join(dir, 'vmk.sqlite'), { readonly: true });
    const hasOutbox = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").get() !== undefined;
    const rows = (hasOutbox ? db.prepare('SELECT data FROM outbox').all() : []) as { data: string }[];
    db.close();
    const pending = new Set(
      rows.map((r) => {
        const data = JSON.parse(r.data) as { kind: string; body: { event?: { channel?: string }; payload?: string; response_url?: string } };
        if (data.kind === 'message') return String(data.body.event?.channel);
        return String(data.body.response_url ?? '').split('/').pop() ?? '';
      }),
    );
    const unansweredDms = dms.filter((d) => dmReplies(d.channel).length === 0).length;
    expect(unansweredDms, 'no DM answer went out before the kill').toBe(DMS);

    const restarted = performance.now();
    vmk = await startServe(env);
    const everything = [...dms.map((d) => () => dmReplies(d.channel).length), ...clicks.map((c) => () => clickReplies(c.id).length)];
    const deadline = Date.now() + 40_000;
    while (everything.some((n) => n() === 0) && Date.now() < deadline) await sleep(100);
    const resumedAfterMs = performance.now() - restarted;
    await sleep(1_500);

    const lost = [...dms.map((d) => (dmReplies(d.channel).length === 0 ? d.channel : null)), ...clicks.map((c) => (clickReplies(c.id).length === 0 ? c.id : null))].filter(Boolean);
    const finishedBefore = [...clicks.map((c) => c.id)].filter((id) => !pending.has(id));
    const repeatedFinished = finishedBefore.filter((id) => clickReplies(id).length !== 1);
    const repeatedUnfinished = [...dms.map((d) => dmReplies(d.channel).length), ...clicks.filter((c) => pending.has(c.id)).map((c) => clickReplies(c.id).length)].filter((n) => n > 1).length;
    console.log(
      `kill -9 after ${acks.length} acknowledgements (${DMS} DMs, ${CLICKS} clicks): ${pending.size} unfinished in the outbox, ${answeredBefore.size} answered before the kill; ` +
        `after the restart answers came for ${Math.round(resumedAfterMs)} ms; lost ${lost.length}; finished work repeated ${repeatedFinished.length}; unfinished work answered twice ${repeatedUnfinished}`,
    );
    expect(lost).toEqual([]);
    expect(repeatedFinished).toEqual([]);
    for (const c of clicks) {
      const last = clickReplies(c.id).at(-1);
      expect(last?.body.replace_original, c.id).toBe(true);
      expect(JSON.stringify(last?.body), c.id).toContain('Question 2');
    }
    const log = vmk.lines.filter((l) => l.msg === 'resuming accepted Slack work left unfinished by a stopped process');
    expect(log.length).toBe(pending.size);
    // Nothing is left behind once answered.
    await vmk.kill('SIGTERM');
    const after = new Database(join(dir, 'vmk.sqlite'), { readonly: true });
    expect(after.prepare('SELECT COUNT(*) AS n FROM outbox').get()).toEqual({ n: 0 });
    after.close();
  }, 120_000);
});

describe('Redis stopped and restarted under a running server', () => {
  let redis: TestRedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(() => redis?.dispose());

  it('answers with a clear temporary error while Redis is down, and normally again once it is back, without a restart', async () => {
    const srv = await startTestServer({ env: { VMK_STORE: 'redis', REDIS_URL: redis.url } });
    try {
      const who = { conversation: 'redis-1', user: 'ana' };
      const q1 = question((await turn(srv.url, { ...who, action: { type: 'start' } })).replies);
      expect(q1?.title).toBe('Question 1');

      await redis.stop();
      const click = await turn(srv.url, { ...who, action: pathChoice(q1!).action });
      expect(click.status).toBe(200);
      expect(click.replies[0]?.kind).toBe('error');
      expect(JSON.stringify(click.replies[0])).toMatch(/cannot reach my conversation store.*try again in a minute/i);
      const start = await turn(srv.url, { ...who, text: 'help me choose between VMs and Kubernetes' });
      expect(start.status).toBe(200);
      expect(JSON.stringify(start.replies)).toMatch(/conversation store|try again/i);
      // Plain questions need no state and are still answered.
      const plain = await turn(srv.url, { ...who, text: 'how do VMs and Kubernetes compare on isolation?' });
      expect(plain.status).toBe(200);
      expect(plain.replies[0]?.kind).toBe('topic');
      expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);

      await redis.start();
      let ready = 0;
      for (let i = 0; i < 80 && ready !== 200; i++) {
        await sleep(100);
        ready = (await fetch(`${srv.url}/readyz`)).status;
      }
      expect(ready).toBe(200);
      // Same process, no restart: a new dialog runs normally (the stopped Redis kept no data).
      const again = question((await turn(srv.url, { ...who, action: { type: 'start' } })).replies);
      expect(again?.title).toBe('Question 1');
      const second = await turn(srv.url, { ...who, action: pathChoice(again!).action });
      expect(question(second.replies)?.title).toBe('Question 2');
      expect(srv.logs.some((l) => l.msg === 'turn failed')).toBe(false);
    } finally {
      await srv.close();
    }
  }, 30_000);
});

describe('two vmk processes sharing one Redis', () => {
  const SECRET = 'two-instances-signing-secret';
  let redis: TestRedisServer;
  let fake: FakeSlack;
  let a: ServeProcess;
  let b: ServeProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    fake = await startFakeSlack();
    const env = {
      VMK_STORE: 'redis',
      REDIS_URL: redis.url,
      VMK_PLAYGROUND_SECRET: PLAYGROUND_SECRET,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: 'xoxb-two-instances',
      SLACK_API_URL: fake.apiUrl,
    };
    [a, b] = await Promise.all([startServe(env), startServe(env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.kill('SIGTERM'), b?.kill('SIGTERM')]);
    await fake?.close();
    await redis?.dispose();
  });

  it('a playground dialog started on one continues on the other, answer by answer', async () => {
    const who = { conversation: 'lb-1', user: 'ana' };
    let q = question((await turn(a.url, { ...who, action: { type: 'start' } })).replies);
    const hosts = [b, a, b];
    const values: string[] = [];
    for (const [i, host] of hosts.entries()) {
      const choice = pathChoice(q!);
      if (choice.action.type === 'answer') values.push(choice.action.value);
      const res = await turn(host.url, { ...who, action: choice.action });
      q = question(res.replies);
      expect(q?.title, `after answer ${i + 1}`).toBe(`Question ${i + 2}`);
    }
    const store = await RedisStore.connect({ url: redis.url });
    try {
      const dialog = (await store.get(webKey(who.conversation, who.user)))?.value.dialog as DialogState | undefined;
      expect(dialog?.answers.map((x) => x.option)).toEqual(values);
    } finally {
      await store.close();
    }
  });

  it('a Slack dialog started by /vmk-advise on one instance is advanced by a click on the other', async () => {
    const user = 'ULB1';
    const channel = 'CLB1';
    const res = await postToSlackEndpoint(a.url, slashCommand({ text: '', user, channel, responseUrl: fake.responseUrl('lb-start') }), 'application/x-www-form-urlencoded', { secret: SECRET });
    expect(res.status).toBe(200);
    const ackBody = await res.text();
    const first: Record<string, unknown> = ackBody ? (JSON.parse(ackBody) as Record<string, unknown>) : (await fake.waitFor((c) => c.responseUrlId === 'lb-start')).body;
    const answer = buttonsIn(first).find((x) => x.action.type === 'answer');
    expect(answer, JSON.stringify(first).slice(0, 300)).toBeDefined();
    const click = await postToSlackEndpoint(
      b.url,
      blockActions({ user, channel, actionId: answer!.actionId, value: answer!.value, responseUrl: fake.responseUrl('lb-click') }),
      'application/x-www-form-urlencoded',
      { secret: SECRET },
    );
    expect(click.status).toBe(200);
    const next: RecordedCall = await fake.waitFor((c) => c.responseUrlId === 'lb-click', 10_000);
    expect(next.body.replace_original).toBe(true);
    expect(JSON.stringify(next.body)).toContain('Question 2');
  });

  it('a retried Slack event delivered once to each instance is answered once', async () => {
    for (const n of [1, 2, 3]) {
      const channel = `DLBRETRY${n}`;
      const body = eventCallback(
        { type: 'message', channel_type: 'im', channel, user: 'ULB2', text: 'how do VMs and Kubernetes compare on isolation?', ts: `1700000000.00000${n}` },
        { eventId: `EvLB${n}${Date.now()}` },
      );
      const [ra, rb] = await Promise.all([
        postToSlackEndpoint(a.url, body, 'application/json', { secret: SECRET }),
        postToSlackEndpoint(b.url, body, 'application/json', { secret: SECRET, retryNum: 1 }),
      ]);
      expect([ra.status, rb.status]).toEqual([200, 200]);
      await fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === channel, 10_000);
    }
    await sleep(500);
    for (const n of [1, 2, 3]) {
      expect(fake.calls.filter((c) => c.method === 'chat.postMessage' && c.body.channel === `DLBRETRY${n}`)).toHaveLength(1);
    }
    // The app_mention + message pair for one message, split across the instances, is answered once too.
    const ts = '1700000001.000001';
    const text = `<@${FAKE_BOT_USER_ID}> what about scaling?`;
    await Promise.all([
      postToSlackEndpoint(a.url, eventCallback({ type: 'app_mention', channel: 'CLBPAIR', user: 'ULB3', text, ts }, { team: FAKE_TEAM_ID }), 'application/json', { secret: SECRET }),
      postToSlackEndpoint(b.url, eventCallback({ type: 'message', channel_type: 'channel', channel: 'CLBPAIR', user: 'ULB3', text, ts }, { team: FAKE_TEAM_ID }), 'application/json', { secret: SECRET }),
    ]);
    await fake.waitFor((c) => c.body.channel === 'CLBPAIR', 10_000);
    await sleep(500);
    expect(fake.calls.filter((c) => c.body.channel === 'CLBPAIR')).toHaveLength(1);
  });
});

describe('a Slack retry racing the first delivery', () => {
  it('is answered exactly once even when the first delivery is slow to claim the event', async () => {
    const SECRET = 'race-signing-secret';
    const fake = await startFakeSlack();
    const inner = new MemoryStore();
    let slowed = false;
    // The first claim of an event id is recorded at once but answers late, so the retry
    // runs all its claims while the first delivery is still between two of its own.
    const store: StateStore = {
      kind: inner.kind,
      get: (k) => inner.get(k),
      set: (k, v, e, t) => inner.set(k, v, e, t),
      delete: (k) => inner.delete(k),
      ping: () => inner.ping(),
      close: () => inner.close(),
      async claimEvent(id, ttl) {
        const claimed = await inner.claimEvent(id, ttl);
        if (id.startsWith('slack:event:') && !slowed) {
          slowed = true;
          await sleep(150);
        }
        return claimed;
      },
    };
    const srv = await startTestServer({ env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-race', SLACK_API_URL: fake.apiUrl }, store });
    try {
      const channel = 'DRACE1';
      const body = eventCallback({ type: 'message', channel_type: 'im', channel, user: 'URACE', text: 'what about portability?', ts: '1700000002.000001' }, { eventId: 'EvRACE1' });
      const first = postToSlackEndpoint(srv.url, body, 'application/json', { secret: SECRET });
      await sleep(30);
      const retry = postToSlackEndpoint(srv.url, body, 'application/json', { secret: SECRET, retryNum: 1 });
      expect([(await first).status, (await retry).status]).toEqual([200, 200]);
      await fake.waitFor((c) => c.body.channel === channel, 5_000);
      await sleep(300);
      expect(fake.calls.filter((c) => c.body.channel === channel)).toHaveLength(1);
    } finally {
      await srv.close();
      await fake.close();
    }
  });
});
