/**
 * The playground's guards (issue: open, unauthenticated and unthrottled):
 * VMK_PLAYGROUND=off, a server-issued identity per browser in a signed
 * HttpOnly cookie (one browser cannot read or move another's dialog, whatever
 * conversation and user strings it sends), and a per-client rate limit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialogState } from '../src/advisor/state.js';
import type { Reply } from '../src/types.js';
import { IDENTITY_COOKIE, identityCookieValue, newIdentity } from '../adapters/web/identity.js';
import { identityOf, playgroundBrowser } from './helpers/playground.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SECRET = 'test-playground-secret-0123456789abcdef';
const question = (replies: Reply[]): Reply | undefined => replies.find((r) => r.kind === 'question');

describe('VMK_PLAYGROUND', () => {
  it('off: the page, its assets and the turn endpoint answer 404; the probes still answer', async () => {
    const srv = await startTestServer({ env: { VMK_PLAYGROUND: 'off' } });
    try {
      expect((await fetch(`${srv.url}/`)).status).toBe(404);
      expect((await fetch(`${srv.url}/app.js`)).status).toBe(404);
      const turn = await playgroundBrowser(srv.url).turn({ conversation: 'c', text: 'hello' });
      expect(turn.status).toBe(404);
      expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
    } finally {
      await srv.close();
    }
  });

  it('NODE_ENV=production without VMK_PLAYGROUND: off; VMK_PLAYGROUND=on turns it on', async () => {
    const off = await startTestServer({ env: { NODE_ENV: 'production' } });
    const on = await startTestServer({ env: { NODE_ENV: 'production', VMK_PLAYGROUND: 'on' } });
    try {
      expect((await fetch(`${off.url}/`)).status).toBe(404);
      expect((await fetch(`${on.url}/`)).status).toBe(200);
    } finally {
      await Promise.all([off.close(), on.close()]);
    }
  });
});

describe('identity per browser', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { VMK_PLAYGROUND_SECRET: SECRET } });
  });
  afterAll(() => srv?.close());

  const dialogOf = async (conversation: string, user: string) =>
    (await srv.core.store.get({ platform: 'web', workspace: 'local', conversation, user }))?.value.dialog as DialogState | undefined;

  it('loading the page issues a signed, HttpOnly, SameSite=Strict cookie; turns reuse it', async () => {
    const page = await fetch(`${srv.url}/`);
    const set = page.headers.getSetCookie().find((c) => c.startsWith(`${IDENTITY_COOKIE}=`));
    expect(set).toBeDefined();
    expect(set).toMatch(/; HttpOnly/i);
    expect(set).toMatch(/; SameSite=Strict/i);
    expect(set).toMatch(/; Max-Age=\d+/i);
    expect(set).toMatch(/^vmk_playground=v1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43};/);
    const cookie = set!.split(';')[0]!;
    const browser = playgroundBrowser(srv.url, cookie);
    const res = await browser.turn({ conversation: 'page-load', text: 'hello' });
    expect(res.status).toBe(200);
    // A valid cookie is kept: no new one is set.
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("another browser that knows the conversation and the user string cannot read or move a person's dialog", async () => {
    const ana = playgroundBrowser(srv.url);
    const conversation = 'shared-conversation';
    const q1 = question((await ana.turn({ conversation, user: 'ana', action: { type: 'start' } })).replies);
    expect(q1?.title).toBe('Question 1');
    const q2 = question((await ana.turn({ conversation, user: 'ana', action: q1!.choices![0]!.action })).replies);
    expect(q2?.title).toBe('Question 2');
    const anaId = identityOf(ana.cookie);
    const before = await dialogOf(conversation, anaId);
    expect(before?.answers).toHaveLength(1);

    // Mallory sends the same conversation and user strings, Ana's own button, typed answers and navigation.
    const mallory = playgroundBrowser(srv.url);
    const attempts: Record<string, unknown>[] = [
      { text: '2' },
      { text: 'not sure' },
      { text: 'back' },
      { action: q2!.choices![1]!.action },
      { action: q2!.actions!.find((a) => a.action.type === 'cancel')!.action },
      { action: { type: 'share', dialog: q2!.dialog!.id, owner: q2!.dialog!.owner } },
    ];
    for (const body of attempts) {
      const res = await mallory.turn({ conversation, user: 'ana', ...body });
      expect(res.status).toBe(200);
      // Nothing of Ana's dialog comes back: not her question, not her recommendation.
      expect(res.replies.some((r) => r.dialog?.id === q2!.dialog!.id && r.kind !== 'notice')).toBe(false);
      expect(JSON.stringify(res.replies)).not.toContain(q2!.blocks.find((b) => b.text)!.text!);
    }
    expect(identityOf(mallory.cookie)).not.toBe(anaId);
    expect(await dialogOf(conversation, anaId)).toEqual(before);

    // Ana carries on where she was.
    const q3 = question((await ana.turn({ conversation, action: q2!.choices![1]!.action })).replies);
    expect(q3?.title).toBe('Question 3');
  });

  it('a forged or foreign cookie grants nothing: the server issues a new identity', async () => {
    const ana = playgroundBrowser(srv.url);
    await ana.turn({ conversation: 'forge', action: { type: 'start' } });
    const anaId = identityOf(ana.cookie);
    const forgeries = [
      `${IDENTITY_COOKIE}=v1.${anaId}.${'A'.repeat(43)}`,
      `${IDENTITY_COOKIE}=${identityCookieValue('another-secret-0123456789abcdefghijkl', anaId)}`,
      `${IDENTITY_COOKIE}=v1.${anaId}`,
      `${IDENTITY_COOKIE}=${anaId}`,
    ];
    for (const cookie of forgeries) {
      const mallory = playgroundBrowser(srv.url, cookie);
      const res = await mallory.turn({ conversation: 'forge', text: '1' });
      expect(res.status).toBe(200);
      expect(identityOf(mallory.cookie), cookie).not.toBe(anaId);
      expect(res.replies.every((r) => r.kind !== 'question')).toBe(true);
    }
    expect((await dialogOf('forge', anaId))?.answers).toEqual([]);
  });

  it('with the same VMK_PLAYGROUND_SECRET, a second instance accepts the cookie; the secret never reaches the log', async () => {
    const other = await startTestServer({ env: { VMK_PLAYGROUND_SECRET: SECRET } });
    try {
      const id = newIdentity();
      const cookie = `${IDENTITY_COOKIE}=${identityCookieValue(SECRET, id)}`;
      const res = await playgroundBrowser(other.url, cookie).turn({ conversation: 'c', text: 'hello' });
      expect(res.status).toBe(200);
      expect(res.headers.getSetCookie()).toEqual([]);
    } finally {
      await other.close();
    }
    expect(srv.logText()).not.toContain(SECRET);
  });
});

describe('rate limit per client', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ env: { VMK_PLAYGROUND_RATE_LIMIT: '5', VMK_TRUST_PROXY: '1' } });
  });
  afterAll(() => srv?.close());

  it('over VMK_PLAYGROUND_RATE_LIMIT turns a minute: 429 with Retry-After and a message; other clients are still answered', async () => {
    const one = playgroundBrowser(srv.url);
    const from = (ip: string) => ({ 'x-forwarded-for': ip });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await one.turn({ conversation: 'rl', text: 'hello' }, from('203.0.113.7'))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const limited = await one.turn({ conversation: 'rl', text: 'hello' }, from('203.0.113.7'));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toMatchObject({ error: 'rate_limited', message: expect.stringMatching(/5 a minute.*Wait a few seconds/) });
    // A new cookie does not reset it: the limit is per client address.
    expect((await playgroundBrowser(srv.url).turn({ conversation: 'rl', text: 'hello' }, from('203.0.113.7'))).status).toBe(429);
    // Another client is answered.
    expect((await playgroundBrowser(srv.url).turn({ conversation: 'rl', text: 'hello' }, from('198.51.100.20'))).status).toBe(200);
    // The page and the probes are not limited.
    expect((await fetch(`${srv.url}/`, { headers: from('203.0.113.7') })).status).toBe(200);
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
  });
});
