/**
 * Teams local mode (no MicrosoftAppId) on a server that may listen on a
 * public interface: off unless asked for, clients on this machine only unless
 * allowed, no redirects followed on connector calls, and activities the SDK
 * cannot handle refused with 400.
 */
import type { Server } from 'node:http';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mountTeams } from '../adapters/teams/index.js';
import { isLoopbackAddress } from '../adapters/teams/loopback.js';
import type { Engine } from '../src/engine.js';
import type { Logger } from '../src/logger.js';
import type { InboundMessage } from '../src/types.js';
import { teamsActivity } from './fixtures/teams/load.js';
import { startFakeConnector, type FakeConnector } from './helpers/fake-connector.js';
import { startTestServer } from './helpers/server.js';

interface LogLine {
  level: string;
  msg: string;
}

function recordingLogger(lines: LogLine[]): Logger {
  const at = (level: string) => (obj: unknown, msg?: string) => lines.push({ level, msg: msg ?? (typeof obj === 'string' ? obj : '') });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return logger;
}

/** An IPv4 address of this machine that is not loopback, when it has one. */
const externalAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

const seen: InboundMessage[] = [];
const engine: Engine = {
  async handle(msg) {
    seen.push(msg);
    return { replies: [{ kind: 'topic', summary: 'VMs isolate more strongly.', blocks: [{ text: 'Each VM runs its own kernel.' }] }] };
  },
};

async function mount(local: 'loopback' | 'any', logs: LogLine[]) {
  const app = express();
  const { stop } = await mountTeams(app, { config: { appType: 'MultiTenant', local }, engine, logger: recordingLogger(logs) });
  // All interfaces, so a client can also arrive from a non-loopback address of this machine.
  const server: Server = app.listen(0, '0.0.0.0');
  await new Promise((resolve) => server.once('listening', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    post: (body: unknown, headers: Record<string, string> = {}, host = '127.0.0.1') =>
      fetch(`http://${host}:${port}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }),
    close: async () => {
      await stop();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('Teams local mode, clients on this machine only (the default)', () => {
  let connector: FakeConnector;
  let elsewhere: FakeConnector;
  let srv: Awaited<ReturnType<typeof mount>>;
  const logs: LogLine[] = [];

  beforeAll(async () => {
    [connector, elsewhere] = await Promise.all([startFakeConnector(), startFakeConnector()]);
    srv = await mount('loopback', logs);
  });
  afterAll(async () => {
    await srv?.close();
    await connector?.close();
    await elsewhere?.close();
  });
  afterEach(() => {
    connector.reset();
    elsewhere.reset();
    seen.length = 0;
    logs.length = 0;
  });

  const activity = (extra: Record<string, unknown> = {}) => teamsActivity('personal-message', { serviceUrl: connector.url, ...extra });

  it('answers a loopback client as before', async () => {
    expect((await srv.post(activity())).status).toBe(200);
    expect(seen).toHaveLength(1);
    await connector.waitFor(1);
  });

  it.each([
    ['X-Forwarded-For', { 'x-forwarded-for': '203.0.113.7' }],
    ['Forwarded', { forwarded: 'for=203.0.113.7' }],
    ['X-Real-IP', { 'x-real-ip': '203.0.113.7' }],
  ])('refuses a request relayed by a proxy on this machine (%s) with 403, nothing sent', async (_name, headers) => {
    const res = await srv.post(activity(), headers);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/only from this machine.*VMK_TEAMS_LOCAL_CLIENTS=any/);
    expect(seen).toEqual([]);
    expect(connector.requests).toEqual([]);
  });

  it.skipIf(!externalAddress)('refuses a client on another address with 403, nothing sent', async () => {
    const res = await srv.post(activity(), {}, externalAddress);
    expect(res.status).toBe(403);
    expect(seen).toEqual([]);
    expect(connector.requests).toEqual([]);
  });

  it.each([
    ['another path on the same host and port', () => `${connector.url}redirected/v3/conversations/x/activities/y`],
    ['another loopback port', () => `${elsewhere.url}v3/conversations/x/activities/y`],
  ])('does not follow a 307 from the serviceUrl to %s: the reply is not re-sent', async (_name, location) => {
    connector.failNext(1, 307, { location: location() });
    const res = await srv.post(activity());
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(connector.requests.map((r) => r.status)).toEqual([307]);
    expect(elsewhere.requests).toEqual([]);
    expect(logs.some((l) => l.level === 'error' && l.msg === 'Teams turn failed')).toBe(true);
  });

  it.each([
    ['without recipient', { recipient: undefined }],
    ['with a recipient that has no id', { recipient: { name: 'vmk' } }],
    ['with recipient null', { recipient: null }],
  ])('refuses an activity %s with 400, without calling the core or failing', async (_name, extra) => {
    const body = { ...activity(), ...extra };
    if (extra.recipient === undefined) delete (body as Record<string, unknown>).recipient;
    const res = await srv.post(body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/recipient/);
    expect(seen).toEqual([]);
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('reads a mention entity without `mentioned` or `text` without failing', async () => {
    const res = await srv.post(activity({ entities: [{ type: 'mention' }, { type: 'mention', mentioned: { id: 'someone' } }] }));
    expect(res.status).toBe(200);
    expect(seen[0]?.text).toBe('how do VMs and Kubernetes compare on isolation?');
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe.skipIf(!externalAddress)('Teams local mode with VMK_TEAMS_LOCAL_CLIENTS=any', () => {
  it('answers a client on another address', async () => {
    const connector = await startFakeConnector();
    const srv = await mount('any', []);
    try {
      const res = await srv.post(teamsActivity('personal-message', { serviceUrl: connector.url }), {}, externalAddress);
      expect(res.status).toBe(200);
      await connector.waitFor(1);
    } finally {
      await srv.close();
      await connector.close();
    }
  });
});

describe('whether /api/messages exists', () => {
  it('is off (404) without MicrosoftAppId and without VMK_TEAMS_LOCAL=on; the playground works', async () => {
    const srv = await startTestServer();
    try {
      const res = await fetch(`${srv.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(teamsActivity('personal-message')) });
      expect(res.status).toBe(404);
      const turn = await fetch(`${srv.url}/api/playground/turn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ conversation: 'c', user: 'u', text: 'help' }) });
      expect(turn.status).toBe(200);
    } finally {
      await srv.close();
    }
  });

  it('is on with VMK_TEAMS_LOCAL=on, and with MicrosoftAppId (401 without a token)', async () => {
    const connector = await startFakeConnector();
    const local = await startTestServer({ env: { VMK_TEAMS_LOCAL: 'on' } });
    const authenticated = await startTestServer({ env: { MicrosoftAppId: 'app-id', MicrosoftAppPassword: 'app-password', MicrosoftAppTenantId: 'tenant-id' } });
    try {
      const body = JSON.stringify(teamsActivity('personal-message', { serviceUrl: connector.url }));
      const headers = { 'content-type': 'application/json' };
      expect((await fetch(`${local.url}/api/messages`, { method: 'POST', headers, body })).status).toBe(200);
      expect((await fetch(`${authenticated.url}/api/messages`, { method: 'POST', headers, body })).status).toBe(401);
    } finally {
      await local.close();
      await authenticated.close();
      await connector.close();
    }
  });
});

describe('isLoopbackAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.9.8.7', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:10.0.0.1', false],
    ['10.0.0.1', false],
    ['192.168.1.20', false],
    ['::', false],
    ['0.0.0.0', false],
    [undefined, false],
  ])('%s -> %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});
