/**
 * The Slack adapter end to end over HTTP: the real vmk server (startServer),
 * signed requests as Slack sends them, and a local fake Slack Web API and
 * response_url that record everything vmk sends. A slash command's reply is
 * read from its acknowledgement (the HTTP 200 body), as Slack does; clicks
 * and slow commands are answered at the response_url.
 */
import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACK_BUDGET_MS, mountSlack, serializeAction, type SlackHandle } from '../adapters/slack/index.js';
import type { Engine } from '../src/engine.js';
import type { Logger } from '../src/logger.js';
import { createStore } from '../src/store/index.js';
import type { StateStore } from '../src/store/types.js';
import {
  blockActions,
  buttonsIn,
  eventCallback,
  FAKE_BOT_ID,
  FAKE_BOT_USER_ID,
  postForAck,
  postToSlackEndpoint,
  sendSlashCommand,
  slashCommand,
  startFakeSlack,
  startFakeSocketMode,
  REVOKED_TOKEN,
  type Acknowledgement,
  type FakeSlack,
  type RecordedCall,
} from './helpers/fake-slack.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SECRET = 'e2e-signing-secret';
const JSON_TYPE = 'application/json';
const FORM = 'application/x-www-form-urlencoded';

let fake: FakeSlack;
let srv: TestServer;
let seq = 0;
const uniq = (prefix: string) => `${prefix}${Date.now().toString(36)}${++seq}`.toUpperCase();
const ts = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;

/** A memory store whose reads fail for one poisoned conversation, to make the core fail on demand. */
async function poisonableStore(): Promise<StateStore> {
  const inner = await createStore({ kind: 'memory', dataDir: '' });
  return {
    kind: inner.kind,
    get: async (key) => {
      if (key.conversation.startsWith('DPOISON')) throw new Error('simulated disk failure');
      return inner.get(key);
    },
    set: (...args) => inner.set(...args),
    delete: (key) => inner.delete(key),
    claimEvent: (id, ttl) => inner.claimEvent(id, ttl),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}

const send = {
  event: (event: Record<string, unknown>, opts: { eventId?: string; retryNum?: number } = {}) =>
    postToSlackEndpoint(srv.url, eventCallback(event, opts), JSON_TYPE, { secret: SECRET, ...(opts.retryNum !== undefined ? { retryNum: opts.retryNum } : {}) }),
  /** A slash command; resolves with its acknowledgement, which carries the reply. */
  command: (fields: Parameters<typeof slashCommand>[0]) => sendSlashCommand(srv.url, fields, { secret: SECRET }),
  click: (fields: Parameters<typeof blockActions>[0]) => postToSlackEndpoint(srv.url, blockActions(fields), FORM, { secret: SECRET }),
};

/** Something vmk sent: a recorded call, or a slash command's acknowledgement. */
type Sent = { body: Record<string, unknown> };

const to = (channel: string) => (c: RecordedCall) => c.body.channel === channel;
const atUrl = (id: string) => (c: RecordedCall) => c.method === 'response_url' && c.responseUrlId === id;
const textOf = (c: Sent) => JSON.stringify(c.body);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Users whose turns the test server slows down past the ack budget. */
const SLOW_USER_PREFIX = 'USLOW';
const SLOW_TURN_MS = ACK_BUDGET_MS + 300;

/** The reply a quick command carries in its acknowledgement: a private (ephemeral) JSON message, and nothing sent to its response_url. */
async function expectAnsweredInAck(ack: Acknowledgement, responseUrlId: string): Promise<Acknowledgement> {
  expect(ack.status).toBe(200);
  expect(ack.contentType).toMatch(/^application\/json/);
  expect(ack.body.response_type).toBe('ephemeral');
  expect(String(ack.body.text ?? '')).not.toBe('');
  await sleep(150);
  expect(fake.attempts.filter(atUrl(responseUrlId))).toHaveLength(0);
  return ack;
}

/** Starts a dialog with /vmk-advise and returns the first question (from the acknowledgement). */
async function startDialog(user: string, channel: string): Promise<Sent> {
  const id = uniq('start');
  const ack = await send.command({ text: '', user, channel, responseUrl: fake.responseUrl(id) });
  return expectAnsweredInAck(ack, id);
}

beforeAll(async () => {
  fake = await startFakeSlack();
});

afterAll(async () => {
  await fake?.close();
});

describe('the vmk server with Slack on', () => {
  beforeAll(async () => {
    srv = await startTestServer({
      env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-e2e-test-token', SLACK_API_URL: fake.apiUrl },
      store: await poisonableStore(),
      // Turns of the "slow" users take longer than the ack budget; everyone else's run as usual.
      wrapEngine: (engine: Engine): Engine => ({
        handle: async (msg) => {
          if (msg.user.startsWith(SLOW_USER_PREFIX)) await sleep(SLOW_TURN_MS);
          return engine.handle(msg);
        },
      }),
    });
  });

  afterAll(async () => {
    await srv?.close();
  });

  describe('request verification', () => {
    it('answers url_verification with the challenge', async () => {
      const body = JSON.stringify({ token: 't', challenge: 'c-123', type: 'url_verification' });
      const res = await postToSlackEndpoint(srv.url, body, JSON_TYPE, { secret: SECRET });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ challenge: 'c-123' });
    });

    it.each([
      ['a bad signature', { signature: 'v0=' + '0'.repeat(64) }],
      ['a signature made with another secret', { secret: 'not-the-secret' }],
      ['missing signature headers', { omitHeaders: true }],
      ['a timestamp older than five minutes', { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 }],
    ])('rejects %s with 401 and does nothing', async (_name, opts) => {
      const before = fake.calls.length;
      const channel = uniq('D');
      const body = eventCallback({ type: 'message', channel_type: 'im', channel, user: 'U1', text: 'what about isolation?', ts: ts() });
      const res = await postToSlackEndpoint(srv.url, body, JSON_TYPE, { secret: SECRET, ...opts });
      expect(res.status).toBe(401);
      const url = await postToSlackEndpoint(srv.url, JSON.stringify({ type: 'url_verification', challenge: 'x' }), JSON_TYPE, { secret: SECRET, ...opts });
      expect(url.status).toBe(401);
      await sleep(200);
      expect(fake.calls.slice(before).filter(to(channel))).toHaveLength(0);
    });
  });

  describe('where people use vmk', () => {
    it('answers an @-mention in a thread under the message', async () => {
      const channel = uniq('C');
      const messageTs = ts();
      const res = await send.event({ type: 'app_mention', channel, user: 'U1', text: `<@${FAKE_BOT_USER_ID}> how do VMs and Kubernetes compare on isolation?`, ts: messageTs });
      expect(res.status).toBe(200);
      const reply = await fake.waitFor((c) => c.method === 'chat.postMessage' && to(channel)(c));
      expect(reply.body.thread_ts).toBe(messageTs);
      expect(String(reply.body.text)).not.toBe('');
      expect(textOf(reply)).toMatch(/isolation/i);
    });

    it('answers a mention inside a thread in that thread', async () => {
      const channel = uniq('C');
      const root = ts();
      await send.event({ type: 'app_mention', channel, user: 'U1', text: `<@${FAKE_BOT_USER_ID}> which one scales better?`, ts: ts(), thread_ts: root });
      const reply = await fake.waitFor((c) => c.method === 'chat.postMessage' && to(channel)(c));
      expect(reply.body.thread_ts).toBe(root);
    });

    it('answers a DM in the DM', async () => {
      const channel = uniq('D');
      await send.event({ type: 'message', channel_type: 'im', channel, user: 'U1', text: 'is kubernetes more portable than VMs?', ts: ts() });
      const reply = await fake.waitFor((c) => c.method === 'chat.postMessage' && to(channel)(c));
      expect(reply.body.thread_ts).toBeUndefined();
      expect(textOf(reply)).toMatch(/portab/i);
    });

    it('/vmk-advise help shows usage, privately, in the acknowledgement', async () => {
      const id = uniq('help');
      const reply = await expectAnsweredInAck(await send.command({ text: 'help', user: 'U1', channel: uniq('C'), responseUrl: fake.responseUrl(id) }), id);
      expect(textOf(reply)).toContain('/vmk-advise &lt;question&gt;');
    });

    it('/vmk-advise <question> answers it, privately, in the acknowledgement', async () => {
      const id = uniq('q');
      const reply = await expectAnsweredInAck(await send.command({ text: 'what about security?', user: 'U1', channel: uniq('C'), responseUrl: fake.responseUrl(id) }), id);
      expect(textOf(reply)).toMatch(/security/i);
    });

    it('/vmk-advise with a turn slower than the ack budget: an empty ack in time, the answer at the response_url', async () => {
      const id = uniq('late');
      const started = Date.now();
      const ack = await send.command({ text: 'what about security?', user: uniq(SLOW_USER_PREFIX), channel: uniq('C'), responseUrl: fake.responseUrl(id) });
      expect(ack.status).toBe(200);
      expect(ack.raw).toBe('');
      expect(ack.ms).toBeGreaterThanOrEqual(ACK_BUDGET_MS - 20);
      expect(ack.ms).toBeLessThan(2_500); // well inside Slack's 3 s
      expect(fake.attempts.filter(atUrl(id))).toHaveLength(0);
      const reply = await fake.waitFor(atUrl(id), 5_000);
      expect(reply.at - started).toBeGreaterThanOrEqual(SLOW_TURN_MS - 20);
      expect(reply.body.response_type).toBe('ephemeral');
      expect(textOf(reply)).toMatch(/security/i);
      await sleep(150);
      expect(fake.calls.filter(atUrl(id))).toHaveLength(1);
    });

    it('publishes the Home tab, and its Start button opens the dialog in the DM', async () => {
      const user = uniq('U');
      const dm = uniq('D');
      await send.event({ type: 'app_home_opened', user, channel: dm, tab: 'home' });
      const publish = await fake.waitFor((c) => c.method === 'views.publish' && c.body.user_id === user);
      const view = publish.body.view as { type: string; private_metadata: string };
      expect(view.type).toBe('home');
      const start = buttonsIn(publish.body).find((b) => b.action.type === 'start');
      expect(start?.label).toBe('Start a recommendation');

      await send.click({ user, actionId: start!.actionId, value: start!.value, homeView: { privateMetadata: view.private_metadata } });
      const question = await fake.waitFor((c) => c.method === 'chat.postMessage' && to(dm)(c));
      expect(buttonsIn(question.body).some((b) => b.action.type === 'answer')).toBe(true);
    });

    it('ignores the messages tab being opened', async () => {
      const user = uniq('U');
      await send.event({ type: 'app_home_opened', user, channel: uniq('D'), tab: 'messages' });
      await sleep(200);
      expect(fake.calls.some((c) => c.body.user_id === user)).toBe(false);
    });
  });

  describe('the guided dialog over button clicks', () => {
    it('runs from /vmk-advise to a recommendation, replacing the message in place, then shares it', async () => {
      const user = uniq('U');
      const channel = uniq('C');
      let message: Sent = await startDialog(user, channel);
      expect(buttonsIn(message.body).some((b) => b.action.type === 'answer'), `the first question has answer buttons: ${textOf(message)}`).toBe(true);
      let clicks = 0;
      for (; clicks < 25; clicks++) {
        const buttons = buttonsIn(message.body);
        if (buttons.some((b) => b.action.type === 'share')) break;
        const answer = buttons.find((b) => b.action.type === 'answer');
        expect(answer, `a question with answer buttons after ${clicks} clicks: ${textOf(message)}`).toBeDefined();
        const id = uniq('click');
        const res = await send.click({ user, channel, actionId: answer!.actionId, value: answer!.value, responseUrl: fake.responseUrl(id) });
        expect(res.status).toBe(200);
        message = await fake.waitFor(atUrl(id));
        expect(message.body.replace_original).toBe(true);
      }
      const share = buttonsIn(message.body).find((b) => b.action.type === 'share');
      expect(share, 'the recommendation offers Share in channel').toBeDefined();
      expect(clicks).toBeGreaterThan(0);
      expect(textOf(message)).toMatch(/kubernetes|virtual machine|VM|hybrid/i);

      await send.click({ user, channel, actionId: share!.actionId, value: share!.value, responseUrl: fake.responseUrl(uniq('share')) });
      const shared = await fake.waitFor((c) => c.method === 'chat.postMessage' && to(channel)(c));
      expect(shared.body.thread_ts).toBeUndefined();
      expect(buttonsIn(shared.body).some((b) => b.action.type === 'share')).toBe(false);
    });

    it('answers a click by someone else privately and leaves the dialog where it was', async () => {
      const owner = uniq('U');
      const channel = uniq('C');
      const first = await startDialog(owner, channel);
      const answer = buttonsIn(first.body).find((b) => b.action.type === 'answer')!;

      const strangerUrl = uniq('stranger');
      await send.click({ user: uniq('U'), channel, actionId: answer.actionId, value: answer.value, responseUrl: fake.responseUrl(strangerUrl) });
      const note = await fake.waitFor(atUrl(strangerUrl));
      expect(note.body.response_type).toBe('ephemeral');
      expect(note.body.replace_original).toBe(false);
      expect(buttonsIn(note.body).some((b) => b.action.type === 'answer')).toBe(false);
      expect(fake.calls.filter(atUrl(strangerUrl))).toHaveLength(1);

      // The owner's click on the very same button still counts: the dialog did not move.
      const ownerUrl = uniq('owner');
      await send.click({ user: owner, channel, actionId: answer.actionId, value: answer.value, responseUrl: fake.responseUrl(ownerUrl) });
      const next = await fake.waitFor(atUrl(ownerUrl));
      expect(next.body.replace_original).toBe(true);
      expect(buttonsIn(next.body).length).toBeGreaterThan(0);
      expect(textOf(next)).not.toBe(textOf(first));
    });

    it('a dialog started by a mention continues in its thread', async () => {
      const user = uniq('U');
      const channel = uniq('C');
      const root = ts();
      await send.event({ type: 'app_mention', channel, user, text: `<@${FAKE_BOT_USER_ID}> help me choose between VMs and Kubernetes`, ts: root });
      let message = await fake.waitFor((c) => (c.method === 'chat.postEphemeral' || c.method === 'chat.postMessage') && to(channel)(c));
      expect(message.body.thread_ts).toBe(root);
      // The core may first ask which of two things was meant; its "Help me choose" button starts the dialog.
      const start = buttonsIn(message.body).find((b) => b.action.type === 'start');
      if (!buttonsIn(message.body).some((b) => b.action.type === 'answer') && start) {
        const id = uniq('start');
        await send.click({ user, channel, messageTs: ts(), threadTs: root, actionId: start.actionId, value: start.value, responseUrl: fake.responseUrl(id) });
        message = await fake.waitFor(atUrl(id));
      }
      const answer = buttonsIn(message.body).find((b) => b.action.type === 'answer');
      expect(answer, textOf(message)).toBeDefined();
      // The question is private, so the click arrives from an ephemeral message in the thread.
      const id = uniq('thread');
      await send.click({ user, channel, threadTs: root, actionId: answer!.actionId, value: answer!.value, responseUrl: fake.responseUrl(id) });
      const next = await fake.waitFor(atUrl(id));
      expect(next.body.replace_original).toBe(true);
      expect(textOf(next)).not.toMatch(/can't be used|no longer|expired/i);
    });

    it('a malformed button value gets a private note and reaches nothing', async () => {
      const id = uniq('bad');
      await send.click({ user: 'U1', channel: uniq('C'), actionId: 'vmk_choice_0', value: '{"type":"answer","dialog":"x"}', responseUrl: fake.responseUrl(id) });
      const note = await fake.waitFor(atUrl(id));
      expect(note.body.response_type).toBe('ephemeral');
      expect(textOf(note)).toMatch(/can't be used any more/);
    });
  });

  describe('exactly one reply', () => {
    it('a retried event (same event_id, X-Slack-Retry-Num) is answered once', async () => {
      const channel = uniq('C');
      const event = { type: 'app_mention', channel, user: 'U1', text: `<@${FAKE_BOT_USER_ID}> what about scaling?`, ts: ts() };
      const eventId = uniq('Ev');
      expect((await send.event(event, { eventId })).status).toBe(200);
      expect((await send.event(event, { eventId, retryNum: 1 })).status).toBe(200);
      expect((await send.event(event, { eventId, retryNum: 2 })).status).toBe(200);
      await fake.waitFor(to(channel));
      await sleep(400);
      expect(fake.calls.filter(to(channel))).toHaveLength(1);
    });

    it('the app_mention + message pair of one message is answered once', async () => {
      const channel = uniq('D');
      const messageTs = ts();
      const text = `<@${FAKE_BOT_USER_ID}> what about maintenance?`;
      await Promise.all([
        send.event({ type: 'app_mention', channel, user: 'U1', text, ts: messageTs }),
        send.event({ type: 'message', channel_type: 'im', channel, user: 'U1', text, ts: messageTs }),
      ]);
      await fake.waitFor(to(channel));
      await sleep(400);
      expect(fake.calls.filter(to(channel))).toHaveLength(1);
    });

    it("ignores vmk's own messages, other bots, edits and other subtypes", async () => {
      const channel = uniq('D');
      const ignored = [
        { type: 'message', channel_type: 'im', channel, user: FAKE_BOT_USER_ID, bot_id: FAKE_BOT_ID, text: 'an answer vmk posted', ts: ts() },
        { type: 'message', subtype: 'bot_message', channel_type: 'im', channel, bot_id: 'BOTHER', text: 'another bot', ts: ts() },
        {
          type: 'message',
          subtype: 'message_changed',
          channel_type: 'im',
          channel,
          hidden: true,
          ts: ts(),
          message: { type: 'message', user: 'U1', text: 'what about security? (edited)', ts: ts(), edited: { user: 'U1', ts: ts() } },
          previous_message: { type: 'message', user: 'U1', text: 'what about security?', ts: ts() },
        },
        { type: 'message', subtype: 'message_deleted', channel_type: 'im', channel, hidden: true, ts: ts(), deleted_ts: ts() },
        { type: 'message', subtype: 'channel_join', channel_type: 'im', channel, user: 'U1', text: 'joined', ts: ts() },
        { type: 'message', channel_type: 'channel', channel, user: 'U1', text: 'a channel message without a mention', ts: ts() },
      ];
      for (const event of ignored) expect((await send.event(event)).status).toBe(200);
      // A real question afterwards is answered: the listeners were running all along.
      await send.event({ type: 'message', channel_type: 'im', channel, user: 'U1', text: 'what about orchestration?', ts: ts() });
      await fake.waitFor(to(channel));
      await sleep(300);
      const replies = fake.calls.filter(to(channel));
      expect(replies).toHaveLength(1);
      expect(textOf(replies[0]!)).toMatch(/orchestrat/i);
    });
  });

  describe('echoed user text never pings', () => {
    it('neutralises <!channel>, <!here> and <@U999> in every payload vmk sends', async () => {
      const channel = uniq('D');
      const hostile =
        '<!channel> <!here> <@U999> we run a stateless web API &lt;b&gt; that must scale with traffic and ship several times a day <!subteam^S123>';
      const firstCall = fake.calls.length;
      await send.event({ type: 'message', channel_type: 'im', channel, user: 'U1', text: hostile, ts: ts() });
      // A workload description in a DM gets a review, which quotes what it found in the text.
      const review = await fake.waitFor(to(channel));
      expect(textOf(review)).toMatch(/Workload review|From the description/);
      expect(textOf(review)).toMatch(/stateless|scale with traffic/);
      const mentionChannel = uniq('C');
      await send.event({ type: 'app_mention', channel: mentionChannel, user: 'U1', text: `<@${FAKE_BOT_USER_ID}> ${hostile}`, ts: ts() });
      await fake.waitFor(to(mentionChannel));
      const id = uniq('inj');
      const ack = await expectAnsweredInAck(await send.command({ text: hostile, user: 'U1', channel: uniq('C'), responseUrl: fake.responseUrl(id) }), id);

      for (const call of [...fake.calls.slice(firstCall), ack]) {
        const sent = JSON.stringify(call.body);
        expect(sent).not.toMatch(/<!channel>|<!here>|<!everyone>|<@U999>|<!subteam/);
        expect(sent).not.toMatch(/[<>]/);
        expect(call.body).not.toHaveProperty('link_names');
        expect(call.body).not.toHaveProperty('parse');
      }
    });

    it('also across every call made by this whole file so far', () => {
      for (const call of fake.calls) expect(JSON.stringify(call.body)).not.toMatch(/<!channel>|<!here>|<@U999>/);
    });
  });

  describe('failures', () => {
    beforeEach(() => fake.failNext(0, { status: 500 }));

    it('a 429 with Retry-After from chat.postMessage: the reply still arrives, after the wait', async () => {
      const channel = uniq('D');
      fake.failNext(1, { status: 429, retryAfter: 1, method: 'chat.postMessage' });
      const started = Date.now();
      await send.event({ type: 'message', channel_type: 'im', channel, user: 'U1', text: 'what about snapshots?', ts: ts() });
      const reply = await fake.waitFor(to(channel), 10_000);
      expect(reply.at - started).toBeGreaterThanOrEqual(900);
      expect(fake.attempts.filter((c) => to(channel)(c) && c.status === 429)).toHaveLength(1);
      expect(fake.calls.filter(to(channel))).toHaveLength(1);
    });

    it('two 500s from the Web API: retried with backoff, one reply', async () => {
      const channel = uniq('D');
      fake.failNext(2, { status: 500, method: 'chat.postMessage' });
      await send.event({ type: 'message', channel_type: 'im', channel, user: 'U1', text: 'what about deployment speed?', ts: ts() });
      await fake.waitFor(to(channel), 10_000);
      expect(fake.attempts.filter((c) => to(channel)(c) && c.status === 500)).toHaveLength(2);
      expect(fake.calls.filter(to(channel))).toHaveLength(1);
    });

    it("a 500 and a 429 from a click's response_url: retried, one reply", async () => {
      const user = uniq('U');
      const channel = uniq('C');
      const first = await startDialog(user, channel);
      const answer = buttonsIn(first.body).find((b) => b.action.type === 'answer');
      expect(answer, textOf(first)).toBeDefined();
      const id = uniq('rurl');
      fake.failNext(1, { status: 500, method: 'response_url' });
      fake.failNext(1, { status: 429, retryAfter: 1, method: 'response_url' });
      const started = Date.now();
      await send.click({ user, channel, actionId: answer!.actionId, value: answer!.value, responseUrl: fake.responseUrl(id) });
      const reply = await fake.waitFor(atUrl(id), 10_000);
      expect(reply.at - started).toBeGreaterThanOrEqual(900); // the Retry-After was honoured
      expect(reply.body.replace_original).toBe(true);
      expect(fake.attempts.filter((c) => c.responseUrlId === id).map((c) => c.status)).toEqual([500, 429, 200]);
    });

    it('when the core fails, the user gets an apology with a reference id and the server keeps serving', async () => {
      const channel = uniq('DPOISON');
      await send.event({ type: 'message', channel_type: 'im', channel, user: 'U1', text: 'what about isolation?', ts: ts() });
      const apology = await fake.waitFor(to(channel));
      const ref = /reference (vmk-[0-9a-f]{8})/.exec(textOf(apology))?.[1];
      expect(ref, textOf(apology)).toBeDefined();
      expect(srv.logText()).toContain(ref);
      expect(srv.logText()).toContain('simulated disk failure');

      const after = uniq('D');
      await send.event({ type: 'message', channel_type: 'im', channel: after, user: 'U1', text: 'what about isolation?', ts: ts() });
      expect(textOf(await fake.waitFor(to(after)))).toMatch(/isolation/i);
      expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    });
  });
});

describe('the adapter on its own Express app, with an engine that throws', () => {
  let app: ReturnType<typeof express>;
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  let url: string;
  let handle: SlackHandle;
  const lines: { level: string; obj: unknown; msg?: string }[] = [];

  beforeAll(async () => {
    const log = (level: string) => (obj: object | string, msg?: string) => void lines.push({ level, obj, msg });
    const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error'), child: () => logger };
    app = express();
    handle = await mountSlack(app, {
      config: { mode: 'http', signingSecret: SECRET, botToken: 'xoxb-own', apiUrl: fake.apiUrl },
      engine: {
        handle: async (msg) => {
          if (msg.text.includes('explode')) throw new Error('engine exploded');
          return { replies: [{ kind: 'thanks', summary: 'fine', blocks: [{ text: `fine: ${msg.text}` }] }] };
        },
      },
      store: await createStore({ kind: 'memory', dataDir: '' }),
      logger,
      retry: { minTimeout: 20 },
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await handle?.stop();
    await new Promise((r) => server?.close(r));
  });

  it('apologises with a reference id, logs the stack, and keeps serving', async () => {
    const channel = uniq('D');
    const body = eventCallback({ type: 'message', channel_type: 'im', channel, user: 'U1', text: 'please explode', ts: ts() });
    expect((await postToSlackEndpoint(url, body, JSON_TYPE, { secret: SECRET })).status).toBe(200);
    const apology = await fake.waitFor(to(channel));
    const ref = /reference (vmk-[0-9a-f]{8})/.exec(textOf(apology))?.[1];
    expect(ref).toBeDefined();
    const logged = lines.find((l) => l.level === 'error' && JSON.stringify(l.obj).includes(ref!));
    expect(JSON.stringify(logged?.obj)).toContain('engine exploded');
    expect(JSON.stringify(logged?.obj)).toMatch(/at .*\(/); // the stack

    const next = uniq('D');
    await postToSlackEndpoint(url, eventCallback({ type: 'message', channel_type: 'im', channel: next, user: 'U1', text: 'still there?', ts: ts() }), JSON_TYPE, { secret: SECRET });
    expect(textOf(await fake.waitFor(to(next)))).toContain('fine: still there?');
  });

  it('escapes user text the engine echoes verbatim, in messages, ephemerals and command acknowledgements', async () => {
    const hostile = '<!channel> <!here> <@U999> <!subteam^S1|@ops> &lt;!everyone&gt; <https://evil.example|click>';
    const dm = uniq('D');
    const mention = uniq('C');
    const rid = uniq('echo');
    const first = fake.calls.length;
    await postToSlackEndpoint(url, eventCallback({ type: 'message', channel_type: 'im', channel: dm, user: 'U1', text: hostile, ts: ts() }), JSON_TYPE, { secret: SECRET });
    await postToSlackEndpoint(url, eventCallback({ type: 'app_mention', channel: mention, user: 'U1', text: hostile, ts: ts() }), JSON_TYPE, { secret: SECRET });
    const ack = await expectAnsweredInAck(await sendSlashCommand(url, { text: hostile, user: 'U1', channel: uniq('C'), responseUrl: fake.responseUrl(rid) }, { secret: SECRET }), rid);
    const echoed: Sent[] = [await fake.waitFor(to(dm)), await fake.waitFor(to(mention)), ack];
    // Slack's own mentions and links are turned into plain text by the adapter before the core sees them; what the
    // person typed as text ("&lt;!everyone&gt;", i.e. a literal <!everyone>) comes back escaped, never as a mention.
    for (const call of echoed) expect(textOf(call)).toContain('fine: &lt;!everyone&gt; click');
    expect(ack.raw).not.toMatch(/[<>]/);
    for (const call of [...fake.calls.slice(first), ack]) {
      expect(JSON.stringify(call.body)).not.toMatch(/[<>]/);
      expect(call.body).not.toHaveProperty('link_names');
      expect(call.body).not.toHaveProperty('parse');
    }
  });

  it('a command whose engine throws is acked with the apology and its reference id, privately', async () => {
    const rid = uniq('boom');
    const ack = await expectAnsweredInAck(
      await sendSlashCommand(url, { text: 'please explode', user: 'U1', channel: uniq('C'), responseUrl: fake.responseUrl(rid) }, { secret: SECRET }),
      rid,
    );
    const ref = /reference (vmk-[0-9a-f]{8})/.exec(textOf(ack))?.[1];
    expect(ref, textOf(ack)).toBeDefined();
    const logged = lines.find((l) => l.level === 'error' && JSON.stringify(l.obj).includes(ref!));
    expect(JSON.stringify(logged?.obj)).toContain('engine exploded');
    expect(textOf(ack)).not.toContain('engine exploded'); // the user reads the apology, the log gets the error
  });

  it('acks every event and click at once while answers wait their turn (bounded concurrency)', async () => {
    const app3 = express();
    let active = 0;
    let peak = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
    const h = await mountSlack(app3, {
      config: { mode: 'http', signingSecret: SECRET, botToken: 'xoxb-own', apiUrl: fake.apiUrl },
      engine: {
        handle: async (msg) => {
          active += 1;
          peak = Math.max(peak, active);
          await gate;
          active -= 1;
          return { replies: [{ kind: 'thanks', summary: 'ok', blocks: [{ text: `slow answer to ${msg.text}` }] }] };
        },
      },
      store: await createStore({ kind: 'memory', dataDir: '' }),
      logger: quiet,
      maxConcurrentTurns: 2,
    });
    const s3 = app3.listen(0, '127.0.0.1');
    await new Promise((r) => s3.once('listening', r));
    const base = `http://127.0.0.1:${(s3.address() as AddressInfo).port}`;
    try {
      // Four DMs and three clicks (an "ask" button on an ephemeral message answers at its response_url).
      const dms = Array.from({ length: 4 }, () => uniq('D'));
      const clicks = Array.from({ length: 3 }, () => uniq('slowclick'));
      const acks = await Promise.all([
        ...dms.map((channel) =>
          postToSlackEndpoint(base, eventCallback({ type: 'message', channel_type: 'im', channel, user: 'U1', text: channel, ts: ts() }), JSON_TYPE, { secret: SECRET }).then(
            async (r) => ({ status: r.status, raw: await r.text() }),
          ),
        ),
        ...clicks.map((id) =>
          postForAck(base, blockActions({ user: 'U1', channel: 'C1', actionId: 'vmk_choice_0', value: serializeAction({ type: 'ask', text: id }), responseUrl: fake.responseUrl(id) }), {
            secret: SECRET,
          }),
        ),
      ]);
      // Every request is acknowledged, empty, while the engine is still blocked.
      expect(acks.map((a) => [a.status, a.raw])).toEqual(acks.map(() => [200, '']));
      await sleep(100);
      expect(peak).toBe(2);
      expect(fake.calls.filter((c) => dms.some((d) => to(d)(c)) || clicks.includes(c.responseUrlId ?? ''))).toHaveLength(0);
      release();
      for (const channel of dms) expect(textOf(await fake.waitFor(to(channel)))).toContain(`slow answer to ${channel}`);
      for (const id of clicks) {
        const reply = await fake.waitFor(atUrl(id));
        expect(reply.body.response_type).toBe('ephemeral');
        expect(textOf(reply)).toContain(`slow answer to ${id}`);
      }
      expect(peak).toBe(2);
    } finally {
      await h.stop();
      await new Promise((r) => s3.close(r));
    }
  });

  it('a command slower than the ack budget is acked empty within the budget and answered at its response_url; a quick one sends only its extra replies there', async () => {
    const app4 = express();
    const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
    const budget = 100;
    const engine: Engine = {
      handle: async (msg) => {
        if (msg.text.startsWith('slow')) await sleep(1500);
        return {
          replies: [
            { kind: 'thanks', summary: 'first', blocks: [{ text: `first answer to ${msg.text}` }] },
            { kind: 'thanks', summary: 'second', blocks: [{ text: `second answer to ${msg.text}` }] },
          ],
        };
      },
    };
    const h = await mountSlack(app4, {
      config: { mode: 'http', signingSecret: SECRET, botToken: 'xoxb-own', apiUrl: fake.apiUrl },
      engine,
      store: await createStore({ kind: 'memory', dataDir: '' }),
      logger: quiet,
      ackBudgetMs: budget,
      retry: { minTimeout: 20 },
    });
    const s4 = app4.listen(0, '127.0.0.1');
    await new Promise((r) => s4.once('listening', r));
    const base = `http://127.0.0.1:${(s4.address() as AddressInfo).port}`;
    try {
      // Slow: an empty ack at the budget, then both replies at the response_url, in order.
      const slowId = uniq('slowcmd');
      const started = Date.now();
      const slow = await sendSlashCommand(base, { text: 'slow question', user: 'U1', channel: uniq('C'), responseUrl: fake.responseUrl(slowId) }, { secret: SECRET });
      expect(slow.status).toBe(200);
      expect(slow.raw).toBe('');
      expect(slow.ms).toBeGreaterThanOrEqual(budget - 20);
      // Well before the turn ends: the ack did not wait for the answer.
      expect(slow.ms).toBeLessThan(1000);
      const later = await fake.waitForCount(atUrl(slowId), 2);
      expect(later[0]!.at - started).toBeGreaterThanOrEqual(1480);
      expect(later.map((c) => c.body.response_type)).toEqual(['ephemeral', 'ephemeral']);
      expect(textOf(later[0]!)).toContain('first answer to slow question');
      expect(textOf(later[1]!)).toContain('second answer to slow question');

      // Quick: the first reply in the ack, only the second at the response_url.
      const quickId = uniq('quickcmd');
      const quick = await sendSlashCommand(base, { text: 'quick question', user: 'U1', channel: uniq('C'), responseUrl: fake.responseUrl(quickId) }, { secret: SECRET });
      expect(quick.status).toBe(200);
      expect(quick.body.response_type).toBe('ephemeral');
      expect(textOf(quick)).toContain('first answer to quick question');
      expect(textOf(quick)).not.toContain('second answer');
      const rest = await fake.waitFor(atUrl(quickId));
      expect(rest.body.response_type).toBe('ephemeral');
      expect(textOf(rest)).toContain('second answer to quick question');
      await sleep(150);
      expect(fake.calls.filter(atUrl(slowId))).toHaveLength(2);
      expect(fake.calls.filter(atUrl(quickId))).toHaveLength(1);
    } finally {
      await h.stop();
      await new Promise((r) => s4.close(r));
    }
  });

  it('answers 503 after stop(), so Slack retries elsewhere', async () => {
    const app2 = express();
    const h = await mountSlack(app2, {
      config: { mode: 'http', signingSecret: SECRET, botToken: 'xoxb-own', apiUrl: fake.apiUrl },
      engine: { handle: async () => ({ replies: [] }) },
      store: await createStore({ kind: 'memory', dataDir: '' }),
      logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } },
    });
    const s = app2.listen(0, '127.0.0.1');
    await new Promise((r) => s.once('listening', r));
    const base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    await h.stop();
    const res = await postToSlackEndpoint(base, JSON.stringify({ type: 'url_verification', challenge: 'x' }), JSON_TYPE, { secret: SECRET });
    expect(res.status).toBe(503);
    await new Promise((r) => s.close(r));
  });

  it('refuses to start with a revoked bot token or a missing signing secret, saying what to fix', async () => {
    const deps = {
      engine: { handle: async () => ({ replies: [] }) },
      store: await createStore({ kind: 'memory', dataDir: '' }),
      logger: { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } },
      retry: { retries: 0 },
    };
    await expect(mountSlack(express(), { ...deps, config: { mode: 'http', signingSecret: SECRET, botToken: REVOKED_TOKEN, apiUrl: fake.apiUrl } })).rejects.toMatchObject({
      code: 'VMK_SLACK_AUTH',
      message: expect.stringMatching(/SLACK_BOT_TOKEN.*invalid_auth/),
    });
    await expect(mountSlack(express(), { ...deps, config: { mode: 'http', botToken: 'xoxb-own', apiUrl: fake.apiUrl } })).rejects.toMatchObject({
      code: 'VMK_SLACK_CONFIG',
      message: expect.stringMatching(/SLACK_SIGNING_SECRET/),
    });
    await expect(mountSlack(express(), { ...deps, config: { mode: 'socket', botToken: 'xoxb-own', apiUrl: fake.apiUrl } })).rejects.toMatchObject({
      code: 'VMK_SLACK_CONFIG',
      message: expect.stringMatching(/SLACK_APP_TOKEN/),
    });
  });
});

describe('Socket Mode', () => {
  it('connects out with the app token, answers events, answers slash commands in the envelope ack, and disconnects on stop', async () => {
    const socket = await startFakeSocketMode(fake);
    const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
    const handle = await mountSlack(express(), {
      config: { mode: 'socket', botToken: 'xoxb-own', appToken: 'xapp-1-test', apiUrl: fake.apiUrl },
      engine: { handle: async (msg) => ({ replies: [{ kind: 'thanks', summary: 'ok', blocks: [{ text: `over the socket: ${msg.text}` }] }] }) },
      store: await createStore({ kind: 'memory', dataDir: '' }),
      logger: quiet,
    });
    try {
      await socket.connected();
      expect(fake.calls.some((c) => c.method === 'apps.connections.open')).toBe(true);

      const dm = uniq('D');
      const event = JSON.parse(eventCallback({ type: 'message', channel_type: 'im', channel: dm, user: 'U1', text: 'hello socket', ts: ts() })) as unknown;
      const ack = await socket.push('events_api', event);
      expect(ack.envelope_id).toMatch(/^env-/);
      expect(ack.payload ?? {}).toEqual({});
      expect(textOf(await fake.waitFor(to(dm)))).toContain('over the socket: hello socket');

      // The command's reply is the payload of its envelope ack; nothing goes to the response_url.
      const rid = uniq('sock');
      const command = Object.fromEntries(new URLSearchParams(slashCommand({ text: 'what about isolation?', user: 'U1', channel: uniq('C'), responseUrl: fake.responseUrl(rid) })));
      const commandAck = await socket.push('slash_commands', command);
      const reply = commandAck.payload as Record<string, unknown> | undefined;
      expect(reply?.response_type).toBe('ephemeral');
      expect(JSON.stringify(reply)).toContain('over the socket: what about isolation?');
      expect(Array.isArray(reply?.blocks)).toBe(true);
      await sleep(150);
      expect(fake.attempts.filter(atUrl(rid))).toHaveLength(0);
    } finally {
      await handle.stop();
      await socket.close();
    }
  });
});
