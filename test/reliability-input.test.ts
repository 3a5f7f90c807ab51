/**
 * Bad input over HTTP against one real vmk server with Slack (a local fake Web
 * API), Teams (local mode, a local fake connector) and the playground all on.
 * Every case gets a clear answer (a 4xx, or a helpful reply) and never a 5xx,
 * and the server keeps serving: each group ends with /healthz.
 *
 * Requests go through node:http with a fresh connection each, so a request the
 * server refuses half-read cannot disturb the next one.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdaptiveCard } from '../adapters/teams/render.js';
import type { DialogState } from '../src/advisor/index.js';
import type { Action, Reply } from '../src/types.js';
import { teamsActivity, type ActivityJson } from './fixtures/teams/load.js';
import { startFakeConnector, type FakeConnector, type RecordedCall as TeamsCall } from './helpers/fake-connector.js';
import { blockActions, buttonsIn, eventCallback, FAKE_BOT_USER_ID, FAKE_TEAM_ID, slackSignature, slashCommand, startFakeSlack, type FakeSlack, type RecordedCall } from './helpers/fake-slack.js';
import { identityOf, playgroundBrowser, type PlaygroundBrowser } from './helpers/playground.js';
import { sleep } from './helpers/redis.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SECRET = 'input-signing-secret';
const JSON_TYPE = 'application/json';
const FORM = 'application/x-www-form-urlencoded';
const HOUR = 3600_000;

let fake: FakeSlack;
let connector: FakeConnector;
let srv: TestServer;
/** Added to the engine's and store's clock, to make dialogs expire. */
let skew = 0;
let seq = 0;
const uniq = (prefix: string) => `${prefix}${Date.now().toString(36)}${++seq}`.toUpperCase();
const slackTs = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;

beforeAll(async () => {
  fake = await startFakeSlack();
  connector = await startFakeConnector();
  srv = await startTestServer({
    env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-input-test', SLACK_API_URL: fake.apiUrl, LOG_LEVEL: 'info', VMK_TEAMS_LOCAL: 'on' },
    now: () => Date.now() + skew,
  });
});

afterAll(async () => {
  await srv?.close();
  await connector?.close();
  await fake?.close();
});

interface Answer {
  status: number;
  text: string;
  json(): Record<string, unknown>;
}

/** One request on its own connection. */
function send(path: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return new Promise((resolve, reject) => {
    const req = request(`${srv.url}${path}`, { method: 'POST', agent: false, headers: { ...headers, 'content-length': String(data.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, text, json: () => JSON.parse(text) as Record<string, unknown> });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

const signed = (body: string | Buffer, contentType: string): Record<string, string> => {
  const t = Math.floor(Date.now() / 1000);
  return { 'content-type': contentType, 'x-slack-request-timestamp': String(t), 'x-slack-signature': slackSignature(SECRET, t, body.toString()) };
};
const slack = (body: string | Buffer, contentType: string = JSON_TYPE) => send('/slack/events', body, signed(body, contentType));
const teams = (activity: ActivityJson | string | Buffer, contentType = JSON_TYPE) =>
  send('/api/messages', typeof activity === 'object' && !Buffer.isBuffer(activity) ? JSON.stringify(activity) : activity, { 'content-type': contentType });
const playground = (body: unknown, contentType = JSON_TYPE) =>
  send('/api/playground/turn', typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body), { 'content-type': contentType });

/** A Slack DM and the reply vmk posts for it. */
async function slackDm(text: string): Promise<{ status: number; reply: RecordedCall }> {
  const channel = uniq('D');
  const res = await slack(eventCallback({ type: 'message', channel_type: 'im', channel, user: 'U1', text, ts: slackTs() }));
  return { status: res.status, reply: await fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === channel, 10_000) };
}

/** /vmk-advise <text>: the answer travels in the ack when the turn is quick, through response_url otherwise. */
async function slackCommand(text: string, user = 'U1', channel = 'C1'): Promise<{ status: number; body: Record<string, unknown> }> {
  const id = uniq('cmd');
  const res = await slack(slashCommand({ text, user, channel, responseUrl: fake.responseUrl(id) }), FORM);
  const body = res.text ? res.json() : (await fake.waitFor((c) => c.responseUrlId === id, 10_000)).body;
  return { status: res.status, body };
}

/** A Teams personal message in a fresh conversation and the first thing vmk sends back. */
async function teamsDm(text: string, overrides: Partial<ActivityJson> = {}): Promise<{ status: number; reply: TeamsCall }> {
  const conversation = { id: uniq('a:'), conversationType: 'personal', tenantId: 'tenant-input' };
  const res = await teams(teamsActivity('personal-message', { serviceUrl: connector.url, text, conversation, ...overrides }));
  return { status: res.status, reply: await teamsReply(conversation.id) };
}

async function teamsReply(conversationId: string, after = 0): Promise<TeamsCall> {
  for (let i = 0; i < 100; i++) {
    const hit = connector.calls.filter((c) => c.conversationId === conversationId)[after];
    if (hit) return hit;
    await sleep(50);
  }
  throw new Error(`no Teams reply in ${conversationId}`);
}

const cardText = (call: TeamsCall): string => JSON.stringify((call.body.attachments?.[0]?.content ?? {}) as AdaptiveCard);

async function expectAlive(): Promise<void> {
  const res = await fetch(`${srv.url}/healthz`);
  expect(res.status).toBe(200);
  expect(srv.logs.filter((l) => l.msg === 'request failed' || l.msg === 'turn failed')).toEqual([]);
}

/** Slack text that could ping someone or form a link: any raw < or > at all. */
const expectNoSlackMarkup = (call: RecordedCall) => expect(JSON.stringify(call.body)).not.toMatch(/[<>]/);

describe('empty and whitespace-only messages', () => {
  afterAll(expectAlive);

  it.each([
    ['empty', ''],
    ['whitespace', ' \n\t  \u00a0'],
  ])('Slack DM (%s) gets a nudge to ask something', async (_name, text) => {
    const { status, reply } = await slackDm(text);
    expect(status).toBe(200);
    expect(String(reply.body.text)).toMatch(/question|describe/i);
  });

  it('a Slack mention with nothing but the mention gets a reply', async () => {
    const channel = uniq('C');
    const res = await slack(eventCallback({ type: 'app_mention', channel, user: 'U1', text: `<@${FAKE_BOT_USER_ID}>   `, ts: slackTs() }));
    expect(res.status).toBe(200);
    const reply = await fake.waitFor((c) => c.body.channel === channel, 10_000);
    expect(String(reply.body.text).length).toBeGreaterThan(10);
  });

  it('/vmk-advise with only spaces starts the guided dialog', async () => {
    const { status, body } = await slackCommand('    ');
    expect(status).toBe(200);
    expect(JSON.stringify(body)).toContain('Question 1');
  });

  it.each([
    ['empty', ''],
    ['whitespace', '   \n '],
  ])('Teams message (%s) gets a nudge to ask something', async (_name, text) => {
    const { status, reply } = await teamsDm(text);
    expect(status).toBe(200);
    expect(cardText(reply)).toMatch(/question|describe/i);
  });

  it.each([
    ['empty', ''],
    ['whitespace', ' \t\n '],
  ])('playground text (%s) gets 400 saying what to send', async (_name, text) => {
    const res = await playground({ conversation: 'c', user: 'u', text });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/send either text/);
  });
});

describe('40,000-character messages', () => {
  afterAll(expectAlive);
  const huge = 'Our billing monolith runs on a custom kernel module and the team knows VMs well. '.repeat(600).slice(0, 40_000);

  it('Slack DM: answered within Block Kit limits', async () => {
    expect(huge).toHaveLength(40_000);
    const { status, reply } = await slackDm(huge);
    expect(status).toBe(200);
    const blocks = reply.body.blocks as { type: string; text?: { text: string } }[];
    expect(blocks.length).toBeLessThanOrEqual(50);
    for (const b of blocks) expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
    expect(JSON.stringify(reply.body).length).toBeLessThan(60_000);
  });

  it('/vmk-advise: answered', async () => {
    const { status, body } = await slackCommand(huge);
    expect(status).toBe(200);
    expect((body.blocks as unknown[]).length).toBeGreaterThan(0);
  });

  it('Teams: answered with a card', async () => {
    const { status, reply } = await teamsDm(huge);
    expect(status).toBe(200);
    expect(reply.body.attachments?.[0]?.contentType).toBe('application/vnd.microsoft.card.adaptive');
  });

  it('playground: 400 naming the 12,000-character limit; 12,000 characters are answered', async () => {
    const res = await playground({ conversation: 'c', user: 'u', text: huge });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/"path":"text"/);
    const ok = await playground({ conversation: 'c', user: 'u', text: huge.slice(0, 12_000) });
    expect(ok.status).toBe(200);
    expect((ok.json().replies as Reply[]).length).toBeGreaterThan(0);
  });
});

describe('bodies over the size limit', () => {
  afterAll(expectAlive);

  it('playground: 413 payload_too_large over VMK_MAX_BODY_BYTES (1 MiB)', async () => {
    const res = await playground({ conversation: 'c', user: 'u', text: 'x'.repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(res.json().error).toBe('payload_too_large');
  });

  it('Teams: 413 over VMK_MAX_BODY_BYTES', async () => {
    const res = await teams(teamsActivity('personal-message', { serviceUrl: connector.url, text: 'x'.repeat(2 * 1024 * 1024) }));
    expect(res.status).toBe(413);
  });

  it('Slack: 413 over VMK_MAX_BODY_BYTES', async () => {
    const res = await slack(eventCallback({ type: 'message', channel_type: 'im', channel: uniq('D'), user: 'U1', text: 'y'.repeat(2 * 1024 * 1024), ts: slackTs() }));
    expect(res.status).toBe(413);
  });
});

describe('invalid UTF-8 and binary bodies', () => {
  afterAll(expectAlive);
  const badUtf8 = (prefix: string, suffix: string) => Buffer.concat([Buffer.from(prefix), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from(suffix)]);
  const binary = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 131 + 7) % 256));

  it('playground: invalid UTF-8 inside the text is answered (bytes become U+FFFD); binary is 400 or 415', async () => {
    const res = await playground(badUtf8('{"conversation":"utf","user":"u","text":"what about isolation ', '"}'));
    expect(res.status).toBe(200);
    expect((res.json().replies as Reply[])[0]?.kind).toBe('topic');
    expect((await playground(binary)).status).toBe(400);
    expect((await playground(binary, 'application/octet-stream')).status).toBe(415);
  });

  it('Teams: invalid UTF-8 inside the text is answered (bytes become U+FFFD); binary is 400', async () => {
    const conversation = { id: uniq('a:'), conversationType: 'personal', tenantId: 'tenant-input' };
    const activity = JSON.stringify(teamsActivity('personal-message', { serviceUrl: connector.url, conversation, text: 'what about isolation XX' }));
    const [head, tail] = activity.split('XX') as [string, string];
    expect((await teams(badUtf8(head, tail))).status).toBe(200);
    expect(cardText(await teamsReply(conversation.id))).toMatch(/isolat/i);
    expect((await teams(binary)).status).toBe(400);
  });

  it('Slack (signed): invalid UTF-8 inside the text is answered; binary is 400', async () => {
    const channel = uniq('D');
    const envelope = eventCallback({ type: 'message', channel_type: 'im', channel, user: 'U1', text: 'what about scaling XX', ts: slackTs() });
    const [head, tail] = envelope.split('XX') as [string, string];
    const res = await slack(badUtf8(head, tail));
    expect(res.status).toBe(200);
    expect(JSON.stringify((await fake.waitFor((c) => c.body.channel === channel, 10_000)).body)).toMatch(/scal/i);
    expect((await slack(binary)).status).toBe(400);
  });
});

describe('emoji, right-to-left and zero-width characters', () => {
  afterAll(expectAlive);
  const texts = [
    '🚀🔥 should we use Kubernetes or VMs for isolation? 🤔👩‍💻',
    'هل الأجهزة الافتراضية أكثر أمانا من كوبرنيتس؟',
    'מה עדיף, מכונות וירטואליות או קוברנטיס?',
    'Ku\u200bber\u200dnetes vs V\u200cMs: which\u2060 scales\ufeff better?',
    '\u202eevil\u202c isolation \u2066rtl\u2069',
    'e\u0301\u0301\u0301\u0301 z\u0336\u0336a\u0337l\u0338g\u0335o',
    '\u0000\u0007\u001b[31m red text \u0008',
  ];

  it.each(texts.map((t) => [JSON.stringify(t).slice(0, 40), t]))('%s: playground, Slack and Teams all answer', async (_name, text) => {
    const pg = await playground({ conversation: uniq('e'), user: 'u', text });
    expect(pg.status).toBe(200);
    expect((pg.json().replies as Reply[]).length).toBeGreaterThan(0);
    const { status, reply } = await slackDm(text);
    expect(status).toBe(200);
    expectNoSlackMarkup(reply);
    const t = await teamsDm(text);
    expect(t.status).toBe(200);
    // JSON shows a control character as \u00XX (or \b, \f): none may reach the card.
    expect(cardText(t.reply)).not.toMatch(/\\u00[01][0-9a-f]|\\[bf]/);
  });
});

describe('markup injection', () => {
  afterAll(expectAlive);
  const hostile = `<!channel> <!here> <@U0ADMIN> <#C0GENERAL> <script>alert(1)</script> <at>vmk</at> <https://evil.example|click> [click](https://evil.example) we run a stateless API that must scale with traffic`;

  it('Slack: no mention, broadcast, link or tag survives in anything vmk sends', async () => {
    const first = fake.calls.length;
    await slackDm(hostile);
    const { body } = await slackCommand(hostile);
    expect(JSON.stringify(body)).not.toMatch(/[<>]/);
    for (const call of fake.calls.slice(first)) expectNoSlackMarkup(call);
  });

  it('Teams: no <at> mention entity, no HTML tag and no markdown link in the card', async () => {
    const { reply } = await teamsDm(hostile);
    expect(reply.body.entities ?? []).toEqual([]);
    const card = cardText(reply);
    expect(card).not.toMatch(/<script|<at>|\]\(https:\/\/evil/);
  });

  it('playground: the reply is JSON data (nosniff), never HTML', async () => {
    const res = await send('/api/playground/turn', JSON.stringify({ conversation: 'inj', user: 'u', text: hostile }), { 'content-type': JSON_TYPE });
    expect(res.status).toBe(200);
    const replies = res.json().replies as Reply[];
    expect(replies.length).toBeGreaterThan(0);
    const page = await fetch(`${srv.url}/app.js`);
    expect(await page.text()).not.toMatch(/\.innerHTML\s*=|insertAdjacentHTML|document\.write/);
  });
});

describe('malformed JSON and wrong content types', () => {
  afterAll(expectAlive);

  it.each([
    ['playground: malformed JSON', 400, () => playground('{"conversation": "c", ')],
    ['playground: a JSON array', 400, () => playground('[]')],
    ['playground: JSON null', 400, () => playground('null')],
    ['playground: text/plain', 415, () => playground('hello', 'text/plain')],
    ['playground: a form', 415, () => playground('conversation=c&user=u&text=hi', FORM)],
    ['playground: no content type', 415, () => send('/api/playground/turn', '{}', {})],
    ['Teams: malformed JSON', 400, () => teams('{"type": "message",')],
    ['Teams: text/plain', 415, () => teams('hello', 'text/plain')],
    ['Teams: a JSON number', 400, () => teams('42')],
    ['Slack (signed): malformed JSON', 400, () => slack('{"type":')],
    ['Slack (signed): an empty body', 400, () => slack('')],
    ['Slack (signed): a form whose payload is not JSON', 400, () => slack('payload=%7Bnot-json', FORM)],
  ] as const)('%s -> %i', async (_name, status, go) => {
    const res = await go();
    expect(res.status).toBe(status);
  });

  it('Slack (signed): a url_verification sent as text/plain is still read as JSON', async () => {
    const res = await slack(JSON.stringify({ type: 'url_verification', challenge: 'c-plain' }), 'text/plain');
    expect(res.status).toBe(200);
    expect(res.text).toContain('c-plain');
  });
});

describe('unknown event and activity types, missing fields', () => {
  afterAll(expectAlive);

  it('Slack: unknown events and events with missing fields are acknowledged and send nothing', async () => {
    const channel = uniq('D');
    const before = fake.calls.length;
    for (const event of [
      { type: 'reaction_added', user: 'U1', reaction: 'tada', item: { type: 'message', channel, ts: slackTs() } },
      { type: 'channel_created', channel: { id: channel } },
      { type: 'app_mention', user: 'U1', text: `<@${FAKE_BOT_USER_ID}> hi`, ts: slackTs() },
      { type: 'message', channel_type: 'im', channel, text: 'no user', ts: slackTs() },
      { type: 'app_home_opened', tab: 'home' },
    ]) {
      expect((await slack(eventCallback(event))).status).toBe(200);
    }
    await sleep(300);
    expect(fake.calls.slice(before).filter((c) => c.method !== 'auth.test')).toEqual([]);
  });

  it('Slack: a message event without text gets the same nudge as an empty one', async () => {
    const channel = uniq('D');
    expect((await slack(eventCallback({ type: 'message', channel_type: 'im', channel, user: 'U1', ts: slackTs() }))).status).toBe(200);
    expect(String((await fake.waitFor((c) => c.body.channel === channel, 10_000)).body.text)).toMatch(/question|describe/i);
  });

  it('Slack: a slash command missing its fields is acknowledged without a reply', async () => {
    const res = await slack('command=%2Fvmk-advise&text=hello', FORM);
    expect(res.status).toBe(200);
  });

  it('Slack: signed requests vmk has no listener for are acknowledged at once (or refused with a 4xx), never a 5xx, and nothing is sent', async () => {
    const payload = (p: Record<string, unknown>) => new URLSearchParams({ payload: JSON.stringify(p) }).toString();
    const before = fake.calls.length;
    // Commands and interactions that are not vmk's: an immediate empty acknowledgement.
    const acked: [string, string, string][] = [
      ['another slash command', slashCommand({ text: 'x', user: 'U1', channel: 'C1', responseUrl: fake.responseUrl('x'), command: '/other' }), FORM],
      ['a button vmk never rendered', blockActions({ user: 'U1', actionId: 'not_vmk', value: 'x', channel: 'C1', responseUrl: fake.responseUrl('y') }), FORM],
      ['a modal submission', payload({ type: 'view_submission', user: { id: 'U1' }, team: { id: FAKE_TEAM_ID }, view: { id: 'V1', callback_id: 'x', state: { values: {} } } }), FORM],
      ['a global shortcut', payload({ type: 'shortcut', callback_id: 'x', user: { id: 'U1' }, team: { id: FAKE_TEAM_ID }, trigger_id: 't' }), FORM],
    ];
    for (const [name, body, type] of acked) {
      const started = Date.now();
      const res = await slack(body, type);
      expect(res.status, name).toBe(200);
      expect(Date.now() - started, name).toBeLessThan(2_000);
    }
    // Envelopes Bolt cannot even classify: Bolt's own 404 after its wait; run them together.
    const refused: [string, string, string][] = [
      ['an event_callback without an event', JSON.stringify({ type: 'event_callback', team_id: FAKE_TEAM_ID, event_id: uniq('Ev') }), JSON_TYPE],
      ['an unknown envelope type', JSON.stringify({ type: 'something_new', team_id: FAKE_TEAM_ID }), JSON_TYPE],
    ];
    const results = await Promise.all(refused.map(([, body, type]) => slack(body, type)));
    for (const [i, res] of results.entries()) {
      expect(res.status, refused[i]?.[0]).toBeGreaterThanOrEqual(400);
      expect(res.status, refused[i]?.[0]).toBeLessThan(500);
    }
    await sleep(200);
    expect(fake.calls.length).toBe(before);
  }, 15_000);

  it('Teams: unknown activity types are accepted and send nothing; invokes and activities missing fields get 400', async () => {
    const before = connector.calls.length;
    for (const type of ['typing', 'messageReaction', 'event', 'endOfConversation', 'somethingNew']) {
      expect((await teams(teamsActivity('personal-message', { serviceUrl: connector.url, type }))).status).toBe(200);
    }
    await sleep(200);
    expect(connector.calls.length).toBe(before);
    expect((await teams(teamsActivity('personal-message', { serviceUrl: connector.url, type: 'invoke', name: 'adaptiveCard/action' }))).status).toBe(400);
    const { conversation: _c, ...noConversation } = teamsActivity('personal-message', { serviceUrl: connector.url });
    expect((await teams(noConversation as ActivityJson)).status).toBe(400);
    const { type: _t, ...noType } = teamsActivity('personal-message', { serviceUrl: connector.url });
    expect((await teams(noType as unknown as ActivityJson)).status).toBe(400);
    const { serviceUrl: _s, ...noServiceUrl } = teamsActivity('personal-message');
    const res = await teams(noServiceUrl as ActivityJson);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('Teams: a message without a sender is refused or answered, never a 5xx', async () => {
    const { from: _f, ...noFrom } = teamsActivity('personal-message', { serviceUrl: connector.url, conversation: { id: uniq('a:'), conversationType: 'personal' } });
    const res = await teams(noFrom as ActivityJson);
    expect(res.status).toBeLessThan(500);
  });

  it.each([
    ['no conversation', { user: 'u', text: 'hi' }],
    ['an unknown action', { conversation: 'c', user: 'u', action: { type: 'launch' } }],
    ['an answer without its dialog', { conversation: 'c', user: 'u', action: { type: 'answer', value: 'x' } }],
    ['an unknown field', { conversation: 'c', user: 'u', text: 'hi', admin: true }],
    ['a number as text', { conversation: 'c', user: 'u', text: 42 }],
    ['an id with spaces', { conversation: 'c 1', user: 'u', text: 'hi' }],
  ])('playground: %s -> 400 with the problems listed', async (_name, body) => {
    const res = await playground(body);
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('button clicks that cannot advance a dialog', () => {
  afterAll(expectAlive);
  // One cookie-keeping client per person: the playground's user is the identity its cookie carries.
  const browsers = new Map<string, PlaygroundBrowser>();
  const browserOf = (person: string): PlaygroundBrowser => {
    let b = browsers.get(person);
    if (!b) browsers.set(person, (b = playgroundBrowser(srv.url)));
    return b;
  };
  const pgTurn = async (conversation: string, person: string, body: Record<string, unknown>) => {
    const res = await browserOf(person).turn({ conversation, ...body });
    expect(res.status).toBe(200);
    return res.replies;
  };
  const stored = async (platform: 'web' | 'slack' | 'teams', workspace: string, conversation: string, user: string) =>
    (await srv.core.store.get({ platform, workspace, conversation, user: platform === 'web' ? identityOf(browserOf(user).cookie) : user }))?.value.dialog as
      | DialogState
      | undefined;

  it('playground: a click for a dialog that never existed offers to start again', async () => {
    // A click the person's own identity could have made, for a dialog the store never held.
    await pgTurn(uniq('n'), 'u', { text: 'hello' });
    const action: Action = { type: 'answer', dialog: 'never-was-1234', owner: identityOf(browserOf('u').cookie), step: 0, value: 'yes' };
    const replies = await pgTurn(uniq('n'), 'u', { action });
    expect(replies[0]?.kind).toBe('notice');
    expect(JSON.stringify(replies[0])).toMatch(/ended or expired/);
    expect(replies[0]?.choices?.some((c) => c.action.type === 'start') || replies[0]?.actions?.some((c) => c.action.type === 'start')).toBe(true);
  });

  it('playground: a click for a dialog that expired (25 h later) offers to start again', async () => {
    const conversation = uniq('x');
    const q = (await pgTurn(conversation, 'u', { action: { type: 'start' } })).find((r) => r.kind === 'question');
    skew += 25 * HOUR;
    const replies = await pgTurn(conversation, 'u', { action: q!.choices![0]!.action });
    expect(replies[0]?.kind).toBe('notice');
    expect(JSON.stringify(replies[0])).toMatch(/ended or expired/);
  });

  it('playground: a replayed click and a click by someone else change nothing', async () => {
    const conversation = uniq('r');
    const q1 = (await pgTurn(conversation, 'ana', { action: { type: 'start' } })).find((r) => r.kind === 'question')!;
    const click = q1.choices![0]!.action;
    const q2 = (await pgTurn(conversation, 'ana', { action: click })).find((r) => r.kind === 'question');
    expect(q2?.title).toBe('Question 2');
    const before = await stored('web', 'local', conversation, 'ana');
    expect(before?.answers).toHaveLength(1);
    const replay = await pgTurn(conversation, 'ana', { action: click });
    expect(replay.every((r) => r.kind !== 'error')).toBe(true);
    expect(await stored('web', 'local', conversation, 'ana')).toEqual(before);
    const stranger = await pgTurn(conversation, 'bob', { action: q2!.choices![0]!.action });
    expect(stranger[0]?.kind).toBe('notice');
    expect(await stored('web', 'local', conversation, 'ana')).toEqual(before);
  });

  it('Slack: a well-formed click for a dialog that never existed gets a private note', async () => {
    const id = uniq('ghost');
    const value = JSON.stringify({ type: 'answer', dialog: 'ghost-dialog-1', owner: 'U1', step: 0, value: 'yes' });
    const res = await slack(blockActions({ user: 'U1', channel: 'C1', actionId: 'vmk_choice_0', value, responseUrl: fake.responseUrl(id) }), FORM);
    expect(res.status).toBe(200);
    const note = await fake.waitFor((c) => c.responseUrlId === id, 10_000);
    expect(note.body.response_type).toBe('ephemeral');
    expect(JSON.stringify(note.body)).toMatch(/ended or expired|can't be used/);
  });

  it('Slack: a replayed click does not answer the question twice', async () => {
    const user = uniq('U');
    const channel = uniq('C');
    const { body } = await slackCommand('', user, channel);
    const answer = buttonsIn(body).find((b) => b.action.type === 'answer')!;
    const click = async () => {
      const id = uniq('click');
      const res = await slack(blockActions({ user, channel, actionId: answer.actionId, value: answer.value, responseUrl: fake.responseUrl(id) }), FORM);
      expect(res.status).toBe(200);
      return fake.waitFor((c) => c.responseUrlId === id, 10_000);
    };
    expect(JSON.stringify((await click()).body)).toContain('Question 2');
    const before = await stored('slack', FAKE_TEAM_ID, channel, user);
    expect(before?.answers).toHaveLength(1);
    const replay = await click();
    expect(JSON.stringify(replay.body)).not.toMatch(/Sorry, something went wrong/);
    expect(await stored('slack', FAKE_TEAM_ID, channel, user)).toEqual(before);
  });

  it('Teams: a replayed card click (a new activity with the same data) does not answer twice', async () => {
    const conversation = { id: uniq('a:'), conversationType: 'personal', tenantId: 'tenant-input' };
    const from = { id: '29:ana', name: 'Ana', aadObjectId: 'aad-ana' };
    await teams(teamsActivity('card-submit', { serviceUrl: connector.url, conversation, from, value: { vmk: { type: 'start' } } }));
    const first = await teamsReply(conversation.id);
    const card = first.body.attachments?.[0]?.content as AdaptiveCard;
    const submit = card.body.flatMap((e) => (e.type === 'ActionSet' ? e.actions : [])).find((a) => JSON.stringify(a.data).includes('"answer"'))!;
    const click = () => teams(teamsActivity('card-submit', { serviceUrl: connector.url, conversation, from, replyToId: first.id, value: submit.data }));
    expect((await click()).status).toBe(200);
    await teamsReply(conversation.id, 1);
    // The tenant comes from channelData (the fixture's), the user from aadObjectId.
    const key = ['teams', '72f988bf-86f1-41af-91ab-2d7cd011db47', conversation.id, 'aad-ana'] as const;
    const before = await stored(...key);
    expect(before?.answers).toHaveLength(1);
    expect((await click()).status).toBe(200);
    await teamsReply(conversation.id, 2);
    expect(await stored(...key)).toEqual(before);
  });
});
