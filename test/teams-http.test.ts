/**
 * The Teams endpoint over HTTP, in local mode, with a recording engine: what
 * the adapter hands the core, what it sends to the connector, and how it
 * answers bad requests. The real core end to end is in teams-e2e.test.ts.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_MODE_WARNING, mountTeams } from '../adapters/teams/index.js';
import { isLoopbackServiceUrl } from '../adapters/teams/loopback.js';
import type { Engine } from '../src/engine.js';
import type { Logger } from '../src/logger.js';
import type { InboundMessage, Reply } from '../src/types.js';
import { teamsActivity, type ActivityJson } from './fixtures/teams/load.js';
import { startFakeConnector, type FakeConnector } from './helpers/fake-connector.js';

interface LogLine {
  level: string;
  obj: unknown;
  msg?: string;
}

function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push({ level, obj, msg });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

const topicReply: Reply = {
  kind: 'topic',
  title: 'Isolation',
  summary: 'VMs isolate more strongly than containers.',
  blocks: [{ text: 'Each VM runs its own kernel.' }],
  source: 'the article, section "Isolation"',
};

describe('Teams endpoint (local mode)', () => {
  let connector: FakeConnector;
  let server: Server;
  let base: string;
  let stop: () => Promise<void>;
  const seen: InboundMessage[] = [];
  const logs: LogLine[] = [];
  let respond: (msg: InboundMessage) => Reply[] = () => [topicReply];

  const engine: Engine = {
    async handle(msg) {
      seen.push(msg);
      return { replies: respond(msg) };
    },
  };

  beforeAll(async () => {
    connector = await startFakeConnector();
    const app = express();
    ({ stop } = await mountTeams(app, { config: { appType: 'MultiTenant' }, engine, logger: recordingLogger(logs), maxBodyBytes: 64 * 1024 }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await stop();
    await new Promise((resolve) => server.close(resolve));
    await connector.close();
  });
  afterEach(() => {
    connector.reset();
    seen.length = 0;
    respond = () => [topicReply];
  });

  const post = (body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${base}/api/messages`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const local = (a: ActivityJson): ActivityJson => ({ ...a, serviceUrl: connector.url });

  it('warns loudly at mount time that authentication is off', () => {
    expect(logs.some((l) => l.level === 'warn' && l.msg === LOCAL_MODE_WARNING)).toBe(true);
  });

  it('turns a personal message into the core message and replies with a card to the same conversation', async () => {
    const activity = local(teamsActivity('personal-message'));
    const res = await post(activity);
    expect(res.status).toBe(200);
    expect(seen).toEqual([
      {
        platform: 'teams',
        workspace: '72f988bf-86f1-41af-91ab-2d7cd011db47',
        conversation: 'a:1Xy2Zw3Vu4Ts5Rq6Po7Nm8Lk9Ji0Hg1Fe2Dc3Ba4',
        user: '6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b',
        text: 'how do VMs and Kubernetes compare on isolation?',
        surface: 'dm',
      },
    ]);
    const [call] = await connector.waitFor(1);
    expect(call?.method).toBe('POST');
    expect(call?.conversationId).toBe(activity.conversation?.id);
    expect(call?.activityId).toBe(activity.id);
    expect(call?.authorization).toBeUndefined();
    expect(call?.body.summary).toBe(topicReply.summary);
    expect(call?.body.attachments?.[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
  });

  it('strips the @-mention in a channel and answers in the thread', async () => {
    const activity = local(teamsActivity('channel-mention'));
    expect((await post(activity)).status).toBe(200);
    expect(seen[0]?.text).toBe('which is faster to deploy, VMs or Kubernetes?');
    expect(seen[0]?.surface).toBe('channel');
    expect(seen[0]?.conversation).toBe('19:3f6c1a2b4d5e6f708192a3b4c5d6e7f8@thread.tacv2;messageid=1741083641555');
    const [call] = await connector.waitFor(1);
    // The thread id (with ;messageid=) is the conversation the reply goes to.
    expect(call?.conversationId).toBe(activity.conversation?.id);
  });

  it('ignores channel messages that do not @-mention the bot', async () => {
    const activity = local(teamsActivity('channel-mention', { text: 'just chatting', entities: [] }));
    expect((await post(activity)).status).toBe(200);
    expect(seen).toEqual([]);
    expect(connector.requests).toEqual([]);
  });

  it('uses conversation.tenantId, then "unknown", when channelData has no tenant', async () => {
    const a = local(teamsActivity('personal-message', { channelData: {} }));
    await post(a);
    const b = local(teamsActivity('personal-message', { channelData: { tenant: 5 } }));
    b.conversation = { id: 'a:other', conversationType: 'personal' };
    await post(b);
    expect(seen.map((m) => m.workspace)).toEqual(['72f988bf-86f1-41af-91ab-2d7cd011db47', 'unknown']);
  });

  it('passes a card click to the core as an action and updates the clicked card in place', async () => {
    respond = () => [{ ...topicReply, kind: 'question', replaceOriginal: true }];
    const activity = local(teamsActivity('card-submit'));
    expect((await post(activity)).status).toBe(200);
    expect(seen[0]?.action).toEqual({ type: 'start' });
    expect(seen[0]?.text).toBe('');
    const [call] = await connector.waitFor(1);
    expect(call?.method).toBe('PUT');
    expect(call?.activityId).toBe('1741083310001');
  });

  it('sends a new message when the clicked card can no longer be updated', async () => {
    respond = () => [{ ...topicReply, replaceOriginal: true }];
    connector.failNext(1, 404);
    await post(local(teamsActivity('card-submit')));
    const calls = await connector.waitFor(1);
    expect(connector.requests.map((r) => [r.method, r.status])).toEqual([
      ['PUT', 404],
      ['POST', 201],
    ]);
    expect(calls[0]?.method).toBe('POST');
  });

  it('answers a button with unreadable data without calling the core', async () => {
    await post(local(teamsActivity('malformed-bad-submit')));
    expect(seen).toEqual([]);
    const [call] = await connector.waitFor(1);
    expect(JSON.stringify(call?.body)).toContain('could not read that button');
  });

  it('sends a private notice in a channel as a short reply addressed by name, never over the card', async () => {
    respond = () => [
      { kind: 'notice', summary: 'Only the person who started this recommendation can answer it.', blocks: [], visibility: 'private' },
    ];
    const activity = local(
      teamsActivity('channel-mention', {
        text: '',
        entities: [],
        replyToId: '1741083641999',
        value: { vmk: { type: 'answer', dialog: 'd-1', owner: 'someone-else', step: 1, value: 'yes' } },
        from: { id: '29:bob', name: 'Bob <at>vmk</at>', aadObjectId: 'aad-bob' },
      }),
    );
    await post(activity);
    expect(seen[0]?.action?.type).toBe('answer');
    const [call] = await connector.waitFor(1);
    expect(call?.method).toBe('POST');
    const card = JSON.stringify(call?.body.attachments?.[0]?.content);
    expect(card).toContain('Only the person who started this recommendation can answer it.');
    expect(card).toContain('Bob');
    expect(call?.body.entities ?? []).toEqual([]);
    expect(card).not.toContain('<at>');
  });

  it('welcomes once on install, although Teams sends both conversationUpdate and installationUpdate', async () => {
    const conv = { id: 'a:welcome-once', conversationType: 'personal' };
    await post(local(teamsActivity('installation-update-add', { conversation: conv })));
    await post(local(teamsActivity('conversation-update-bot-added', { conversation: conv })));
    await connector.waitFor(1);
    await new Promise((r) => setTimeout(r, 100));
    expect(connector.calls).toHaveLength(1);
    const card = JSON.stringify(connector.calls[0]?.body.attachments?.[0]?.content);
    expect(card).toContain('Start a recommendation');
    expect(card).toContain('{"vmk":{"type":"start"}}');
    expect(seen).toEqual([]);
  });

  it('does not welcome when someone else joins the conversation', async () => {
    const activity = local(
      teamsActivity('conversation-update-bot-added', {
        conversation: { id: '19:group@thread.v2', conversationType: 'groupChat' },
        membersAdded: [{ id: '29:new-person' }],
      }),
    );
    expect((await post(activity)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(connector.requests).toEqual([]);
  });

  it('handles a redelivered activity once', async () => {
    const activity = local(teamsActivity('personal-message'));
    await post(activity);
    await post(activity);
    expect(seen).toHaveLength(1);
  });

  it('retries a send the connector refuses with 412', async () => {
    connector.failNext(1, 412);
    await post(local(teamsActivity('personal-message')));
    await connector.waitFor(1);
    expect(connector.requests.map((r) => r.status)).toEqual([412, 201]);
  });

  it.each([
    ['cloud metadata', 'http://169.254.169.254/latest/'],
    ['a public host', 'https://smba.trafficmanager.net/emea/'],
    ['a private network host', 'http://10.0.0.5:3978/'],
    ['a loopback-looking DNS name', 'http://127.0.0.1.nip.io/'],
    ['localhost as a subdomain', 'http://localhost.evil.example/'],
    ['an all-zero address', 'http://0.0.0.0:3978/'],
    ['credentials in the URL', 'http://user:pw@127.0.0.1/'],
    ['a file URL', 'file:///etc/passwd'],
    ['not a URL', 'nonsense'],
  ])('refuses a serviceUrl on %s in local mode and sends nothing', async (_what, serviceUrl) => {
    const res = await post(teamsActivity('personal-message', { serviceUrl }));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/serviceUrl is not on loopback/);
    expect(seen).toEqual([]);
    await new Promise((r) => setTimeout(r, 50));
    expect(connector.requests).toEqual([]);
  });

  it.each([
    ['malformed JSON', '{"type": "message",', { 'content-type': 'application/json' }, 400],
    ['text/plain', 'hello', { 'content-type': 'text/plain' }, 415],
    ['a form body', 'type=message', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
    ['no content type', '{}', {}, 415],
    ['a JSON array', '[]', { 'content-type': 'application/json' }, 400],
    ['a JSON string', '"message"', { 'content-type': 'application/json' }, 400],
    ['an activity without type', '{"serviceUrl":"http://127.0.0.1/","conversation":{"id":"x"}}', { 'content-type': 'application/json' }, 400],
    ['an activity without conversation', JSON.stringify(teamsActivity('malformed-no-conversation')), { 'content-type': 'application/json' }, 400],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { 'content-type': 'application/json' }, 400],
    ['a latin1 charset', '{}', { 'content-type': 'application/json; charset=latin1' }, 415],
  ])('answers %s with a clear 4xx', async (_what, body, headers, status) => {
    const res = await fetch(`${base}/api/messages`, { method: 'POST', headers, body });
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: string };
    expect(json.error.length).toBeGreaterThan(10);
    expect(seen).toEqual([]);
  });

  it('answers a body over the size limit with 413', async () => {
    const activity = local(teamsActivity('personal-message', { text: 'x'.repeat(70 * 1024) }));
    const res = await post(activity);
    expect(res.status).toBe(413);
    expect(seen).toEqual([]);
  });

  it('answers GET with 405', async () => {
    const res = await fetch(`${base}/api/messages`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('accepts unknown activity types and sends nothing', async () => {
    for (const type of ['typing', 'messageReaction', 'event', 'somethingNew']) {
      const res = await post(local(teamsActivity('personal-message', { type })));
      expect(res.status).toBe(200);
    }
    expect(seen).toEqual([]);
    expect(connector.requests).toEqual([]);
  });

  it('refuses invokes (vmk uses Action.Submit only) with a 4xx, not a 5xx', async () => {
    const res = await post(local(teamsActivity('personal-message', { type: 'invoke', name: 'adaptiveCard/action' })));
    expect(res.status).toBe(400);
    expect(seen).toEqual([]);
  });

  it('answers 200 and logs when the connector is unreachable, without leaking the error', async () => {
    const res = await post(teamsActivity('personal-message', { serviceUrl: 'http://127.0.0.1:9/' }));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    expect(logs.some((l) => l.level === 'error' && l.msg === 'Teams turn failed')).toBe(true);
  }, 30_000);
});

describe('Teams endpoint shutdown', () => {
  it('waits for a turn in flight and then refuses new requests with 503', async () => {
    const connector = await startFakeConnector();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const engine: Engine = {
      async handle() {
        await gate;
        return { replies: [topicReply] };
      },
    };
    const app = express();
    const { stop } = await mountTeams(app, { config: { appType: 'MultiTenant' }, engine, logger: recordingLogger([]) });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`;
    const send = () =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...teamsActivity('personal-message'), serviceUrl: connector.url }) });
    const first = send();
    await new Promise((r) => setTimeout(r, 100));
    let stopped = false;
    const stopping = stop().then(() => (stopped = true));
    expect((await send()).status).toBe(503);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect((await first).status).toBe(200);
    expect(connector.calls).toHaveLength(1);
    await new Promise((resolve) => server.close(resolve));
    await connector.close();
  });
});

describe('isLoopbackServiceUrl', () => {
  it.each([
    ['http://localhost:3978/', true],
    ['https://LOCALHOST/', true],
    ['http://127.0.0.1:9/', true],
    ['http://127.255.1.2/', true],
    ['http://[::1]:3978/', true],
    ['http://[::ffff:127.0.0.1]/', true],
    ['http://[::ffff:10.0.0.1]/', false],
    ['http://[::2]/', false],
    ['http://128.0.0.1/', false],
    ['http://localhost.example/', false],
    ['http://sub.localhost/', false],
    ['http://0x7f000001/', true],
    ['http://2130706433/', true],
    ['ftp://127.0.0.1/', false],
    ['http://user@localhost/', false],
    ['', false],
    [42, false],
    [undefined, false],
  ])('%s -> %s', (url, expected) => {
    expect(isLoopbackServiceUrl(url)).toBe(expected);
  });
});
