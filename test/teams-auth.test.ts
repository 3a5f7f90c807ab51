/**
 * Bot Framework authentication on POST /api/messages, with tokens signed by a
 * locally served JWKS (the SDK's parameterized auth configuration).
 *
 * With auth on, an outbound reply first needs an Entra ID token from
 * login.microsoftonline.com, which is unreachable offline. So the valid-token
 * cases use deliveryMode "expectReplies": the replies come back in the HTTP
 * response body and no outbound call is made. The inbound decision is what
 * these tests pin.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountTeams } from '../adapters/teams/index.js';
import type { Engine } from '../src/engine.js';
import type { Logger } from '../src/logger.js';
import type { InboundMessage } from '../src/types.js';
import { teamsActivity } from './fixtures/teams/load.js';
import { startFakeConnector, type FakeConnector } from './helpers/fake-connector.js';
import { startLocalJwks, type LocalJwks } from './helpers/jwks.js';

const APP_ID = '0d3b3c4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e';
const APP_PASSWORD = 'Zq8~s3cr3t.Pa55w0rd-never-logged_42';

describe('Teams endpoint with authentication', () => {
  let jwks: LocalJwks;
  let connector: FakeConnector;
  let server: Server;
  let url: string;
  let stop: () => Promise<void>;
  const seen: InboundMessage[] = [];
  const logText: string[] = [];

  const logger: Logger = {
    debug: (o, m) => logText.push(JSON.stringify([o, m])),
    info: (o, m) => logText.push(JSON.stringify([o, m])),
    warn: (o, m) => logText.push(JSON.stringify([o, m])),
    error: (o, m) => logText.push(JSON.stringify([o, m])),
    child: (b) => {
      logText.push(JSON.stringify(b));
      return logger;
    },
  };
  const engine: Engine = {
    async handle(msg) {
      seen.push(msg);
      return { replies: [{ kind: 'topic', title: 'Isolation', summary: 'VMs isolate more strongly.', blocks: [{ text: 'Each VM has its own kernel.' }] }] };
    },
  };

  beforeAll(async () => {
    jwks = await startLocalJwks();
    connector = await startFakeConnector();
    const app = express();
    ({ stop } = await mountTeams(app, {
      config: { appId: APP_ID, appPassword: APP_PASSWORD, appType: 'SingleTenant', tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47' },
      engine,
      logger,
      authOverrides: jwks.authOverrides(),
    }));
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`;
  });
  afterAll(async () => {
    await stop();
    await new Promise((resolve) => server.close(resolve));
    await connector.close();
    await jwks.close();
  });

  const activity = (serviceUrl: string) => ({ ...teamsActivity('personal-message'), serviceUrl, deliveryMode: 'expectReplies' });
  const post = (body: unknown, authorization?: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify(body),
    });
  const claims = (serviceurl: string, aud = APP_ID) => ({ aud, serviceurl });

  it('accepts a valid channel token and returns the replies (expectReplies)', async () => {
    const body = activity(connector.url);
    const token = await jwks.sign(claims(connector.url));
    const res = await post(body, `Bearer ${token}`);
    expect(res.status).toBe(200);
    const json = (await res.json()) as { activities: { attachments?: { content: unknown }[] }[] };
    expect(json.activities).toHaveLength(1);
    expect(JSON.stringify(json.activities[0]?.attachments?.[0]?.content)).toContain('Each VM has its own kernel.');
    expect(seen).toHaveLength(1);
    expect(connector.requests).toEqual([]);
    expect(jwks.fetches.keys).toBeGreaterThan(0);
  });

  it('trusts a non-loopback serviceUrl when the token vouches for it', async () => {
    seen.length = 0;
    const serviceUrl = 'https://smba.trafficmanager.net/emea/';
    const res = await post(activity(serviceUrl), `Bearer ${await jwks.sign(claims(serviceUrl))}`);
    expect(res.status).toBe(200);
    expect(seen).toHaveLength(1);
  });

  const refusals: [string, () => Promise<string | undefined>][] = [
    ['no Authorization header', async () => undefined],
    ['a garbage token', async () => 'Bearer not.a.jwt'],
    ['a non-Bearer scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['a token for another bot (wrong aud)', async () => `Bearer ${await jwks.sign(claims(connector.url, 'another-bot-id'))}`],
    ['a token for another serviceUrl', async () => `Bearer ${await jwks.sign(claims('http://127.0.0.1:1/'))}`],
    ['a token without a serviceurl claim', async () => `Bearer ${await jwks.sign({ aud: APP_ID })}`],
    ['a token from another issuer', async () => `Bearer ${await jwks.sign(claims(connector.url), { issuer: 'https://evil.example' })}`],
    ['a token signed by an unknown key', async () => `Bearer ${await jwks.sign(claims(connector.url), { otherKey: true })}`],
    ['an expired token', async () => `Bearer ${await jwks.sign(claims(connector.url), { expiresIn: '-20m' })}`],
  ];

  it.each(refusals)('answers %s with 401 and runs no turn', async (_what, header) => {
    seen.length = 0;
    const res = await post(activity(connector.url), await header());
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toMatch(/Unauthorized/);
    expect(seen).toEqual([]);
  });

  it('refuses a normal (non-expectReplies) activity without a token before contacting anyone', async () => {
    const res = await post({ ...teamsActivity('personal-message'), serviceUrl: connector.url });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 50));
    expect(connector.requests).toEqual([]);
  });

  it('never writes the app password to the log', () => {
    expect(logText.length).toBeGreaterThan(3);
    expect(logText.join('\n')).not.toContain(APP_PASSWORD);
    expect(logText.join('\n')).toContain(APP_ID);
  });
});

describe('Teams authOverrides', () => {
  it('refuses a partial parameterized configuration with a clear message', async () => {
    const engine: Engine = { handle: async () => ({ replies: [] }) };
    await expect(
      mountTeams(express(), {
        config: { appId: APP_ID, appPassword: APP_PASSWORD, appType: 'MultiTenant' },
        engine,
        logger: { debug() {}, info() {}, warn() {}, error() {}, child: () => ({}) as Logger } as Logger,
        authOverrides: { ToBotFromChannelOpenIdMetadataUrl: 'http://127.0.0.1:1/.well-known/openid-configuration' },
      }),
    ).rejects.toThrow(/missing: ToBotFromChannelTokenIssuer, ToBotFromEmulatorOpenIdMetadataUrl/);
  });
});

describe('Teams signing keys unavailable', () => {
  it('answers 503 (not 401, not a leaked 500) when the OpenID metadata cannot be fetched', async () => {
    const jwks = await startLocalJwks();
    const overrides = jwks.authOverrides();
    const token = await jwks.sign({ aud: APP_ID, serviceurl: 'http://127.0.0.1:9/' });
    await jwks.close();
    const seen: InboundMessage[] = [];
    const engine: Engine = { handle: async (m) => (seen.push(m), { replies: [] }) };
    const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
    const app = express();
    const { stop } = await mountTeams(app, {
      config: { appId: APP_ID, appPassword: APP_PASSWORD, appType: 'MultiTenant' },
      engine,
      logger: silent,
      authOverrides: overrides,
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ ...teamsActivity('personal-message'), serviceUrl: 'http://127.0.0.1:9/', deliveryMode: 'expectReplies' }),
    });
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(body).toContain('cannot verify Bot Framework tokens');
    expect(body).not.toMatch(/ECONNREFUSED|stack|at /);
    expect(seen).toEqual([]);
    await stop();
    await new Promise((resolve) => server.close(resolve));
  });
});
