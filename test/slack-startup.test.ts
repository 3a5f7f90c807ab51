/**
 * The start-up token check (auth.test) tells a network failure from a wrong
 * token: Slack unreachable or failing is not "Slack did not accept
 * SLACK_BOT_TOKEN".
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { mountSlack } from '../adapters/slack/index.js';
import { silentLogger } from '../src/logger.js';
import { createStore } from '../src/store/index.js';

const servers: Server[] = [];
afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

/** A local "Slack Web API" that answers every call with `status` and `body`. */
async function fakeApi(status: number, body: unknown): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
}

/** A loopback URL nothing listens on. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}/api/`;
}

async function mountWith(apiUrl: string) {
  return mountSlack(express(), {
    config: { mode: 'http', signingSecret: 'secret', botToken: 'xoxb-start-up-check', apiUrl },
    engine: { handle: async () => ({ replies: [] }) },
    store: await createStore({ kind: 'memory', dataDir: '' }),
    logger: silentLogger,
    retry: { retries: 0 },
  });
}

describe('Slack start-up check', () => {
  it('Slack unreachable (connection refused): says the network failed, not that the token is wrong', async () => {
    const url = await closedPort();
    const err = await mountWith(url).then(
      () => null,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('VMK_SLACK_UNREACHABLE');
    expect(err?.message).toMatch(/Could not reach Slack at http:\/\/127\.0\.0\.1:\d+\/api\/.*network request failed.*ECONNREFUSED.*not a problem with the token/);
    expect(err?.message).not.toMatch(/did not accept/);
    expect(err?.message).not.toContain('xoxb-start-up-check');
  });

  it('Slack answering HTTP 503: says Slack failed, not that the token is wrong', async () => {
    const err = await mountWith(await fakeApi(503, { ok: false })).then(
      () => null,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('VMK_SLACK_UNREACHABLE');
    expect(err?.message).toMatch(/did not answer the token check.*503.*not a problem with the token/);
  });

  it('Slack refusing the token (invalid_auth): says to check the token', async () => {
    const err = await mountWith(await fakeApi(200, { ok: false, error: 'invalid_auth' })).then(
      () => null,
      (e: unknown) => e as Error & { code?: string },
    );
    expect(err?.code).toBe('VMK_SLACK_AUTH');
    expect(err?.message).toMatch(/Slack did not accept SLACK_BOT_TOKEN.*invalid_auth.*Check the bot token/);
  });
});
