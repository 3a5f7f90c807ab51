/**
 * Security against a real `vmk serve` process configured with distinctive
 * secrets: Slack signatures, Teams authentication, and secrets never reaching
 * stdout or stderr, whatever happens (good and forged traffic, failing Slack
 * calls, Redis going away and coming back, a refused start-up, shutdown).
 *
 * Slack signatures (forged, another secret, missing headers, older than five
 * minutes) are also proven in slack.e2e.test.ts; Teams tokens (garbage, wrong
 * audience, wrong issuer, unknown key, expired) in teams-auth.test.ts; the
 * loopback-only local mode in teams-http.test.ts and teams-e2e.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamsActivity } from './fixtures/teams/load.js';
import { eventCallback, postToSlackEndpoint, slashCommand, startFakeSlack, type FakeSlack } from './helpers/fake-slack.js';
import { CLI, startPasswordRedis, startServe, type PasswordRedis, type ServeProcess } from './helpers/process.js';
import { sleep } from './helpers/redis.js';

const SIGNING_SECRET = 'sigsecret-Q7x9-never-in-logs-5521';
const BOT_TOKEN = 'xoxb-4242-tokvalue-never-in-logs-8813';
const APP_PASSWORD = 'AppPw~never.in.logs_7731';
const REDIS_PASSWORD = 'redispw-never-in-logs-6604';
const APP_ID = '5b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e';
const SECRETS = [SIGNING_SECRET, BOT_TOKEN, APP_PASSWORD, REDIS_PASSWORD];

/** Every form a secret could take in a log line. */
function forms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), Buffer.from(secret).toString('base64')];
}

function expectNoSecrets(text: string, what: string): void {
  for (const secret of SECRETS) {
    for (const form of forms(secret)) expect(text.includes(form), `${what} contains a form of ${secret.slice(0, 8)}...`).toBe(false);
  }
}

describe('vmk serve with every secret set', () => {
  let fake: FakeSlack;
  let redis: PasswordRedis;
  let vmk: ServeProcess;
  const env = (): Record<string, string> => ({
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: fake.apiUrl,
    MicrosoftAppId: APP_ID,
    MicrosoftAppPassword: APP_PASSWORD,
    MicrosoftAppType: 'MultiTenant',
    VMK_STORE: 'redis',
    REDIS_URL: redis.url,
    LOG_LEVEL: 'trace',
  });

  beforeAll(async () => {
    fake = await startFakeSlack();
    redis = await startPasswordRedis(REDIS_PASSWORD);
    vmk = await startServe(env());
  }, 30_000);
  afterAll(async () => {
    await vmk?.kill('SIGKILL');
    await redis?.dispose();
    await fake?.close();
  });

  const slack = (body: string, type: 'application/json' | 'application/x-www-form-urlencoded', opts: Partial<Parameters<typeof postToSlackEndpoint>[3]> = {}) =>
    postToSlackEndpoint(vmk.url, body, type, { secret: SIGNING_SECRET, ...opts });
  const dm = (channel: string, text: string) => eventCallback({ type: 'message', channel_type: 'im', channel, user: 'USEC', text, ts: `${Math.floor(Date.now() / 1000)}.${channel.length}0001` });

  it('Slack: a signed request is answered; forged, missing and stale signatures get 401 and do nothing', async () => {
    expect((await slack(dm('DSEC1', 'what about isolation?'), 'application/json')).status).toBe(200);
    await fake.waitFor((c) => c.body.channel === 'DSEC1', 10_000);
    const refused = [
      { signature: `v0=${'a'.repeat(64)}` },
      { secret: 'some-other-secret' },
      { omitHeaders: true },
      { timestamp: Math.floor(Date.now() / 1000) - 10 * 60 },
    ];
    for (const [i, opts] of refused.entries()) {
      const res = await slack(dm(`DSECX${i}`, 'what about isolation?'), 'application/json', opts);
      expect(res.status, JSON.stringify(opts)).toBe(401);
    }
    // A valid signature over another body: the body was changed in transit.
    const body = dm('DSECY', 'what about scaling?');
    const t = Math.floor(Date.now() / 1000);
    const { slackSignature } = await import('./helpers/fake-slack.js');
    const res = await fetch(`${vmk.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(t), 'x-slack-signature': slackSignature(SIGNING_SECRET, t, body.replace('scaling', 'security')) },
      body,
    });
    expect(res.status).toBe(401);
    await sleep(300);
    expect(fake.calls.filter((c) => String(c.body.channel).startsWith('DSECX') || c.body.channel === 'DSECY')).toEqual([]);
  });

  it('Slack: failing Web API calls (500, 429) are retried and logged without the token', async () => {
    fake.failNext(2, { status: 500, method: 'chat.postMessage' });
    fake.failNext(1, { status: 429, retryAfter: 1, method: 'chat.postMessage' });
    await slack(dm('DSEC2', 'what about snapshots?'), 'application/json');
    await fake.waitFor((c) => c.body.channel === 'DSEC2', 15_000);
    // The bot token is sent to Slack (that is its purpose), never logged.
    expect(fake.attempts.some((c) => c.method === 'chat.postMessage' && c.status === 500)).toBe(true);
    const id = 'sec-cmd';
    const res = await slack(slashCommand({ text: 'help', user: 'USEC', channel: 'CSEC', responseUrl: fake.responseUrl(id) }), 'application/x-www-form-urlencoded');
    expect(res.status).toBe(200);
  }, 20_000);

  it('Teams with MicrosoftAppId set: requests without a valid token get 401, whatever serviceUrl they name', async () => {
    const headers = [undefined, 'Bearer not.a.jwt', `Basic ${Buffer.from(`${APP_ID}:${APP_PASSWORD}`).toString('base64')}`];
    for (const serviceUrl of ['http://127.0.0.1:9/', 'https://smba.trafficmanager.net/emea/', 'http://169.254.169.254/']) {
      for (const authorization of headers) {
        const res = await fetch(`${vmk.url}/api/messages`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
          body: JSON.stringify(teamsActivity('personal-message', { serviceUrl })),
        });
        expect(res.status, `${serviceUrl} ${authorization?.slice(0, 10) ?? 'no header'}`).toBe(401);
      }
    }
  });

  it('the playground, a Redis outage and the recovery: answered, and logged without the Redis password', async () => {
    const turn = (body: Record<string, unknown>) =>
      fetch(`${vmk.url}/api/playground/turn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ conversation: 'sec', user: 'u', ...body }) });
    expect((await turn({ action: { type: 'start' } })).status).toBe(200);
    await redis.stop();
    // Long enough for a reconnection attempt to fail (and be logged).
    await sleep(700);
    const down = await turn({ text: 'help me choose' });
    expect(down.status).toBe(200);
    expect(await down.text()).toMatch(/conversation store/);
    expect((await fetch(`${vmk.url}/readyz`)).status).toBe(503);
    await redis.start();
    let ready = 0;
    for (let i = 0; i < 80 && ready !== 200; i++) {
      await sleep(100);
      ready = (await fetch(`${vmk.url}/readyz`)).status;
    }
    expect(ready).toBe(200);
    expect((await turn({ action: { type: 'start' } })).status).toBe(200);
  }, 20_000);

  it('after all of it and a graceful stop, no secret appears anywhere in stdout or stderr', async () => {
    await vmk.kill('SIGTERM');
    const out = vmk.output();
    // The log really covered what happened: configuration, Slack failures, 401s, the Redis outage.
    expect(out).toMatch(/"msg":"configuration"/);
    expect(out).toMatch(/Redis is unreachable/);
    expect(out).toMatch(/conversation store unavailable/);
    expect(out).toMatch(/"status":401/);
    expect(out).toContain('vmk stopped');
    // Non-secret settings next to the secrets are printed, so the check below looks at real configuration output.
    expect(out).toContain(APP_ID);
    expect(out).toContain(`127.0.0.1:${redis.port}`);
    expectNoSecrets(out, 'vmk serve output');
  }, 20_000);

  it('a start-up refused by Redis (wrong password) says what to fix without printing either password', async () => {
    const wrong = 'wrong-redispw-never-in-logs-1234';
    const dir = mkdtempSync(join(tmpdir(), 'vmk-sec-'));
    const child = spawn(process.execPath, [CLI, 'serve'], {
      cwd: dir,
      env: { ...env(), PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_FORMAT: 'json', REDIS_URL: `redis://:${wrong}@127.0.0.1:${redis.port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
    expect(code).not.toBe(0);
    expect(out).toMatch(/password|AUTH|REDIS_URL/i);
    expectNoSecrets(out, 'refused start-up output');
    for (const form of forms(wrong)) expect(out.includes(form)).toBe(false);
  }, 20_000);
});
