/**
 * Teams end to end: the real vmk server (startServer, in-memory store) and
 * the real core, with Teams-shaped activities posted to /api/messages and a
 * local fake connector as the activities' serviceUrl.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AdaptiveCard, SubmitAction } from '../adapters/teams/render.js';
import type { InboundMessage } from '../src/types.js';
import { teamsActivity, type ActivityJson } from './fixtures/teams/load.js';
import { startFakeConnector, type FakeConnector, type RecordedCall } from './helpers/fake-connector.js';
import { startLocalJwks, type LocalJwks } from './helpers/jwks.js';
import { startTestServer, type TestServer } from './helpers/server.js';

function cardOf(call: RecordedCall | undefined): AdaptiveCard {
  const content = call?.body.attachments?.[0]?.content;
  if (!content) throw new Error(`no card in ${JSON.stringify(call?.body).slice(0, 300)}`);
  return content as AdaptiveCard;
}

function buttons(card: AdaptiveCard): SubmitAction[] {
  return card.body.flatMap((e) => (e.type === 'ActionSet' ? e.actions : []));
}

function texts(card: AdaptiveCard): string {
  return card.body
    .map((e) => (e.type === 'TextBlock' ? e.text : e.type === 'FactSet' ? e.facts.map((f) => `${f.title}: ${f.value}`).join('\n') : ''))
    .join('\n');
}

const ANA = { id: '29:ana', name: 'Ana Ruiz', aadObjectId: 'aad-ana' };
const BOB = { id: '29:bob', name: 'Bob Lee', aadObjectId: 'aad-bob' };

describe('Teams end to end (local mode)', () => {
  let srv: TestServer;
  let connector: FakeConnector;
  const seen: InboundMessage[] = [];

  beforeAll(async () => {
    connector = await startFakeConnector();
    srv = await startTestServer({
      env: { VMK_TEAMS_LOCAL: 'on' },
      wrapEngine: (engine) => ({
        handle: (msg) => {
          seen.push(msg);
          return engine.handle(msg);
        },
      }),
    });
  });
  afterAll(async () => {
    await srv?.close();
    await connector?.close();
  });
  afterEach(() => {
    connector.reset();
    seen.length = 0;
  });

  /** Posts an activity; its serviceUrl is the fake connector unless `serviceUrl` says otherwise. */
  const post = (activity: ActivityJson, serviceUrl = connector.url) =>
    fetch(`${srv.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...activity, serviceUrl }),
    });

  /** Posts a click on `button` of the card that `call` sent (or updated), as Teams does. */
  const click = (button: SubmitAction, call: RecordedCall, from = ANA, conversation?: ActivityJson['conversation']) =>
    post(
      teamsActivity('card-submit', {
        serviceUrl: connector.url,
        from,
        conversation: conversation ?? { id: call.conversationId, conversationType: 'personal', tenantId: 'tenant-e2e' },
        replyToId: call.id,
        value: button.data,
      }),
    );

  it('logs the local-mode warning at start-up', () => {
    expect(srv.logText()).toContain('Teams endpoint is running WITHOUT authentication');
  });

  it('runs a whole recommendation by card clicks, from the welcome card, updating the question card in place', async () => {
    const conversation = { id: 'a:e2e-dialog', conversationType: 'personal', tenantId: 'tenant-e2e' };
    expect((await post(teamsActivity('installation-update-add', { conversation }))).status).toBe(200);
    const [welcome] = await connector.waitFor(1);
    const start = buttons(cardOf(welcome)).find((b) => b.data.vmk.type === 'start');
    expect(start?.title).toBe('Start a recommendation');

    expect((await click(start!, welcome!)).status).toBe(200);
    let calls = await connector.waitFor(2);
    let last = calls[calls.length - 1]!;
    // The first question arrives as a new message with answer buttons.
    let card = cardOf(last);
    expect(buttons(card).some((b) => b.data.vmk.type === 'answer')).toBe(true);
    const questionCardId = last.id;

    let steps = 0;
    for (; steps < 15; steps++) {
      // The second option where there is one: that path asks several questions before it decides.
      const answers = buttons(card).filter((b) => b.data.vmk.type === 'answer');
      const answer = answers[1] ?? answers[0];
      if (!answer) break;
      const before = connector.calls.length;
      expect((await click(answer, last)).status).toBe(200);
      calls = await connector.waitFor(before + 1);
      last = calls[calls.length - 1]!;
      card = cardOf(last);
    }
    expect(steps).toBeGreaterThanOrEqual(3);
    expect(steps).toBeLessThanOrEqual(12);
    // Every answer updated the same card (PUT to its id) rather than posting a new one.
    const afterStart = connector.calls.slice(2);
    expect(afterStart.every((c) => c.method === 'PUT' && c.activityId === questionCardId)).toBe(true);
    // The end: a recommendation with a FactSet scorecard and a verdict.
    expect(card.body.some((e) => e.type === 'FactSet')).toBe(true);
    expect(texts(card)).toMatch(/Recommendation: .*(Virtual machines|Kubernetes|Hybrid)/);
    expect(JSON.stringify(card)).not.toContain('"type":"share"');
    expect(seen.every((m) => m.platform === 'teams' && m.user === 'aad-ana' && m.surface === 'dm' && m.workspace === '72f988bf-86f1-41af-91ab-2d7cd011db47')).toBe(true);
  });

  it('accepts typed answers during the dialog', async () => {
    const conversation = { id: 'a:e2e-typed', conversationType: 'personal', tenantId: 'tenant-e2e' };
    await post(teamsActivity('personal-message', { text: 'help me choose', conversation, from: ANA }));
    const [first] = await connector.waitFor(1);
    const q1 = texts(cardOf(first));
    await post(teamsActivity('personal-message', { text: 'not sure', conversation, from: ANA }));
    const calls = await connector.waitFor(2);
    const q2 = texts(cardOf(calls[1]));
    expect(buttons(cardOf(calls[1])).some((b) => b.data.vmk.type === 'answer')).toBe(true);
    expect(q2).not.toBe(q1);
    expect(seen[1]?.text).toBe('not sure');
  });

  it('strips the @-mention in a channel and answers in the thread', async () => {
    const activity = teamsActivity('channel-mention');
    expect((await post(activity)).status).toBe(200);
    expect(seen[0]?.text).toBe('which is faster to deploy, VMs or Kubernetes?');
    expect(seen[0]?.surface).toBe('channel');
    const [reply] = await connector.waitFor(1);
    expect(reply?.method).toBe('POST');
    expect(reply?.conversationId).toBe(activity.conversation?.id);
    expect(reply?.activityId).toBe(activity.id);
    expect(texts(cardOf(reply))).toMatch(/deploy|speed|start/i);
  });

  it('lets only the owner answer a dialog in a channel: another person gets a short note and the card stays', async () => {
    const thread = { id: '19:e2e-chan@thread.tacv2;messageid=1741090000000', conversationType: 'channel', tenantId: 'tenant-e2e' };
    await post(teamsActivity('channel-mention', { text: '<at>vmk</at> help me choose', conversation: thread, from: ANA }));
    const [question] = await connector.waitFor(1);
    const answer = buttons(cardOf(question)).find((b) => b.data.vmk.type === 'answer')!;
    expect(answer.data.vmk).toMatchObject({ owner: 'aad-ana' });

    await click(answer, question!, BOB, thread);
    const calls = await connector.waitFor(2);
    expect(calls[1]?.method).toBe('POST');
    const note = texts(cardOf(calls[1]));
    expect(note.startsWith('Bob Lee: ')).toBe(true);
    expect(note.length).toBeLessThan(400);

    // The dialog did not move: Ana's click on the same button still works and updates her card.
    await click(answer, question!, ANA, thread);
    const after = await connector.waitFor(3);
    expect(after[2]?.method).toBe('PUT');
    expect(after[2]?.activityId).toBe(question?.id);
  });

  it('answers the manifest commands as typed text', async () => {
    for (const [text, pattern] of [
      ['advise', /Question 1/],
      ['help', /What vmk can do/],
      ['Compare isolation', /Isolation/],
      ['When should I pick VMs?', /VMs|virtual machines/i],
      ['Is Kubernetes more efficient?', /efficien/i],
    ] as const) {
      connector.reset();
      await post(teamsActivity('personal-message', { text, conversation: { id: `a:e2e-cmd-${text}`, conversationType: 'personal' } }));
      const [reply] = await connector.waitFor(1);
      expect(texts(cardOf(reply))).toMatch(pattern);
    }
  });

  it('refuses a non-loopback serviceUrl in local mode and sends nothing', async () => {
    const res = await post(teamsActivity('personal-message'), 'https://attacker.example/');
    expect(res.status).toBe(403);
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([]);
    expect(connector.requests).toEqual([]);
  });
});

describe('Teams end to end with authentication', () => {
  const APP_ID = '0d3b3c4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e';
  const APP_PASSWORD = 'e2e~Secret.Value-that-must-not-leak_99';
  let jwks: LocalJwks;
  let srv: TestServer;

  beforeAll(async () => {
    jwks = await startLocalJwks();
    srv = await startTestServer({
      env: { MicrosoftAppId: APP_ID, MicrosoftAppPassword: APP_PASSWORD, MicrosoftAppType: 'SingleTenant', MicrosoftAppTenantId: 'tenant-e2e' },
      teamsAuthOverrides: jwks.authOverrides(),
    });
  });
  afterAll(async () => {
    await srv?.close();
    await jwks?.close();
  });

  const post = (authorization?: string) =>
    fetch(`${srv.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify({ ...teamsActivity('personal-message'), serviceUrl: 'https://smba.trafficmanager.net/emea/', deliveryMode: 'expectReplies' }),
    });

  it('answers a valid token with the replies in the body (expectReplies: no outbound call needed)', async () => {
    const token = await jwks.sign({ aud: APP_ID, serviceurl: 'https://smba.trafficmanager.net/emea/' });
    const res = await post(`Bearer ${token}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { activities: { attachments: { content: AdaptiveCard }[] }[] };
    expect(texts(body.activities[0]!.attachments[0]!.content)).toMatch(/isolat/i);
  });

  it('answers a missing or wrong-audience token with 401', async () => {
    expect((await post()).status).toBe(401);
    const token = await jwks.sign({ aud: 'someone-else', serviceurl: 'https://smba.trafficmanager.net/emea/' });
    expect((await post(`Bearer ${token}`)).status).toBe(401);
  });

  it('never logs the app password', () => {
    expect(srv.logText()).toContain(APP_ID);
    expect(srv.logText()).not.toContain(APP_PASSWORD);
  });
});
