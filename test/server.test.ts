import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { MemoryStore } from '../src/store/memory.js';
import type { StateStore } from '../src/store/types.js';
import type { Reply } from '../src/types.js';
import { MAX_TEXT_CHARS } from '../adapters/web/index.js';
import { identityOf, playgroundBrowser, type PlaygroundBrowser } from './helpers/playground.js';
import { collectJsonLines } from './helpers/process.js';
import { startRedisServer, type TestRedisServer } from './helpers/redis.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli.js');
/** The child runs in an empty folder, so a developer's .env never changes what it does. */
const childCwd = mkdtempSync(join(tmpdir(), 'vmk-serve-'));
afterAll(() => rmSync(childCwd, { recursive: true, force: true }));

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** One browser per server: its identity cookie is kept, so its turns share a user. */
const browsers = new Map<string, PlaygroundBrowser>();
async function turn(srv: TestServer, body: Record<string, unknown>): Promise<Reply[]> {
  let browser = browsers.get(srv.url);
  if (!browser) browsers.set(srv.url, (browser = playgroundBrowser(srv.url)));
  const res = await browser.turn({ conversation: 'c1', ...body });
  expect(res.status).toBe(200);
  return res.replies;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('HTTP server', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({
      env: { VMK_MAX_BODY_BYTES: '2048', VMK_TEAMS_LOCAL: 'on' },
      wrapEngine: (engine): Engine => ({
        async handle(msg) {
          if (msg.text === 'explode now') throw new Error('boom: secret internals at line 42');
          return engine.handle(msg);
        },
      }),
    });
  });
  afterAll(() => srv?.close());

  it('GET /healthz answers 200', async () => {
    const res = await fetch(`${srv.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz answers 200 once knowledge, classifier and store are ready', async () => {
    const res = await fetch(`${srv.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { knowledge: true, classifier: true, store: true } });
  });

  it('serves the playground page with a strict content security policy', async () => {
    const res = await fetch(`${srv.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    const html = await res.text();
    expect(html).toContain('<script src="app.js" defer></script>');
    // The page warns at the same length the endpoint refuses.
    expect(html).toContain(`data-max-chars="${MAX_TEXT_CHARS}"`);
    expect(html).not.toMatch(/maxlength=/);
    for (const asset of ['app.js', 'style.css']) {
      const a = await fetch(`${srv.url}/${asset}`);
      expect(a.status, asset).toBe(200);
    }
  });

  it('answers a typed question through the engine as platform web', async () => {
    const replies = await turn(srv, { text: 'how do VMs and Kubernetes compare on isolation?' });
    expect(replies[0]?.kind).toBe('topic');
    expect(JSON.stringify(replies[0])).toMatch(/isolation/i);
    const turnLog = srv.logs.find((l) => l.msg === 'turn' && l.platform === 'web');
    expect(turnLog).toMatchObject({ platform: 'web', conversation: 'c1', intent: 'ask_topic' });
  });

  it('runs a button click (start action) and keeps the dialog under platform web, workspace local', async () => {
    const replies = await turn(srv, { conversation: 'dlg', action: { type: 'start' } });
    expect(replies[0]?.kind).toBe('question');
    expect(replies[0]?.choices?.length).toBeGreaterThan(1);
    // The user is the identity the server issued in the cookie, not anything the body says.
    const user = identityOf(browsers.get(srv.url)!.cookie);
    const state = await srv.core.store.get({ platform: 'web', workspace: 'local', conversation: 'dlg', user });
    expect(state?.value.dialog).toBeDefined();
  });

  it('an ask action is answered like typed text', async () => {
    const replies = await turn(srv, { action: { type: 'ask', text: 'How do VMs and Kubernetes compare on scaling?' } });
    expect(replies[0]?.kind).toBe('topic');
    expect(replies[0]?.title).toMatch(/scal/i);
  });

  it('rejects an invalid turn request with 400 and the problems', async () => {
    const res = await post(`${srv.url}/api/playground/turn`, { user: 'u1', action: { type: 'launch' } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; problems: { path: string }[] };
    expect(body.error).toBe('invalid_request');
    expect(body.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['conversation', 'action.type']));
    const noText = await post(`${srv.url}/api/playground/turn`, { conversation: 'c', user: 'u', text: '   ' });
    expect(noText.status).toBe(400);
  });

  it('answers malformed JSON with 400 and a JSON error', async () => {
    const res = await post(`${srv.url}/api/playground/turn`, '{"conversation": "c1", ');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'malformed_json' });
  });

  it('answers a body over VMK_MAX_BODY_BYTES with 413', async () => {
    const res = await post(`${srv.url}/api/playground/turn`, { conversation: 'c1', user: 'u1', text: 'x'.repeat(4000) });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'payload_too_large' });
  });

  it('answers a non-JSON body with 415', async () => {
    const res = await fetch(`${srv.url}/api/playground/turn`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hi' });
    expect(res.status).toBe(415);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await fetch(`${srv.url}/no/such/thing`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'not_found', message: 'No route for GET /no/such/thing.' });
    const wrongMethod = await fetch(`${srv.url}/api/playground/turn`);
    expect(wrongMethod.status).toBe(404);
  });

  it('answers a thrown error with 500 and a reference id only; the log gets the stack', async () => {
    const res = await post(`${srv.url}/api/playground/turn`, { conversation: 'c1', user: 'u1', text: 'explode now' });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: string; ref: string; message: string };
    expect(body.error).toBe('internal');
    expect(body.ref).toMatch(/^vmk-[0-9a-f]{8}$/);
    expect(JSON.stringify(body)).not.toMatch(/boom|line 42|at /);
    const logged = srv.logs.find((l) => l.ref === body.ref);
    expect(logged).toMatchObject({ msg: 'request failed', level: 50 });
    expect((logged?.err as { stack?: string }).stack).toMatch(/boom: secret internals/);
    // The server keeps serving.
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
  });

  it('logs each request minimally, with an id echoed in X-Request-Id', async () => {
    const res = await fetch(`${srv.url}/healthz`, { headers: { 'x-request-id': 'probe-123' } });
    expect(res.headers.get('x-request-id')).toBe('probe-123');
    await sleep(20);
    expect(srv.logs.find((l) => l.req === 'probe-123')).toMatchObject({ msg: 'request', method: 'GET', path: '/healthz', status: 200 });
  });
});

describe('platform routes on the same server', () => {
  const secret = 'test-signing-secret';
  let fakeSlack: Server;
  let srv: TestServer;
  beforeAll(async () => {
    fakeSlack = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1' }));
    });
    await new Promise<void>((r) => fakeSlack.listen(0, '127.0.0.1', r));
    const apiUrl = `http://127.0.0.1:${(fakeSlack.address() as AddressInfo).port}/api/`;
    srv = await startTestServer({ env: { SLACK_SIGNING_SECRET: secret, SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_API_URL: apiUrl, VMK_TEAMS_LOCAL: 'on' } });
  });
  afterAll(async () => {
    await srv?.close();
    await new Promise((r) => fakeSlack?.close(r));
  });

  it('Slack sees the raw body (no global JSON parser): a signed url_verification gets its challenge', async () => {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'chal-123', token: 'x' });
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
    const res = await post(`${srv.url}/slack/events`, body, { 'x-slack-request-timestamp': ts, 'x-slack-signature': sig });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('chal-123');
    const unsigned = await post(`${srv.url}/slack/events`, body);
    expect(unsigned.status).toBe(401);
  });

  it('Teams is mounted at /api/messages (local mode refuses a non-loopback serviceUrl)', async () => {
    const res = await post(`${srv.url}/api/messages`, {
      type: 'message',
      id: 'a1',
      text: 'hi',
      channelId: 'msteams',
      serviceUrl: 'https://smba.example.com/',
      from: { id: 'u1' },
      recipient: { id: 'bot' },
      conversation: { id: 'c1' },
    });
    expect(res.status).toBe(403);
  });

  it('the playground still works beside them', async () => {
    expect((await turn(srv, { text: 'help' }))[0]?.kind).toBe('help');
  });
});

describe('readiness follows the store', () => {
  it('answers 503 with a reason while the store cannot be reached, and 200 again when it can', async () => {
    const store = new MemoryStore();
    let down = false;
    const flaky: StateStore = {
      kind: store.kind,
      get: (k) => store.get(k),
      set: (k, v, e, t) => store.set(k, v, e, t),
      delete: (k) => store.delete(k),
      claimEvent: (id, t) => store.claimEvent(id, t),
      close: () => store.close(),
      async ping() {
        if (down) throw new Error('connection refused');
        return store.ping();
      },
    };
    const srv = await startTestServer({ store: flaky });
    try {
      expect((await fetch(`${srv.url}/readyz`)).status).toBe(200);
      down = true;
      const res = await fetch(`${srv.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: 'not_ready',
        reason: 'store unavailable',
        checks: { knowledge: true, classifier: true, store: false },
      });
      expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
      down = false;
      expect((await fetch(`${srv.url}/readyz`)).status).toBe(200);
    } finally {
      await srv.close();
    }
  });

  describe('with a real Redis', () => {
    let redis: TestRedisServer;
    beforeAll(async () => {
      redis = await startRedisServer();
    });
    afterAll(() => redis?.dispose());

    it('answers 503 when redis-server stops and 200 when it is back', async () => {
      const srv = await startTestServer({ env: { VMK_STORE: 'redis', REDIS_URL: redis.url } });
      try {
        expect(srv.core.store.kind).toBe('redis');
        expect((await fetch(`${srv.url}/readyz`)).status).toBe(200);
        await redis.stop();
        const res = await fetch(`${srv.url}/readyz`);
        expect(res.status).toBe(503);
        const text = await res.text();
        const body = JSON.parse(text) as { reason: string; checks: Record<string, boolean> };
        // The probe is public: the reason names no host, port or cause.
        expect(body.reason).toBe('store unavailable');
        expect(text).not.toContain('127.0.0.1');
        expect(text).not.toContain(String(new URL(redis.url).port));
        expect(body.checks.store).toBe(false);
        await redis.start();
        let status = 0;
        for (let i = 0; i < 60 && status !== 200; i++) {
          await sleep(100);
          status = (await fetch(`${srv.url}/readyz`)).status;
        }
        expect(status).toBe(200);
      } finally {
        await srv.close();
      }
    });
  });
});

describe('graceful shutdown in process', () => {
  it('finishes a turn in flight, then refuses new connections', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const turnStarted = new Promise<void>((r) => (started = r));
    const srv = await startTestServer({
      wrapEngine: (engine): Engine => ({
        async handle(msg) {
          started();
          await gate;
          return engine.handle(msg);
        },
      }),
    });
    const inflight = post(`${srv.url}/api/playground/turn`, { conversation: 'c', user: 'u', text: 'help' });
    await turnStarted;
    const closed = srv.close();
    let closedYet = false;
    void closed.then(() => (closedYet = true));
    await sleep(100);
    expect(closedYet).toBe(false);
    const ready = await fetch(`${srv.url}/readyz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(ready === 503 || ready === 'refused').toBe(true);
    release();
    const res = await inflight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { replies: Reply[] }).replies[0]?.kind).toBe('help');
    await closed;
    await expect(fetch(`${srv.url}/healthz`)).rejects.toThrow();
    expect(srv.logs.find((l) => l.msg === 'vmk stopped')).toMatchObject({ drained: true });
  });

  it('gives up on work that outlasts VMK_SHUTDOWN_GRACE_MS', async () => {
    const srv = await startTestServer({
      env: { VMK_SHUTDOWN_GRACE_MS: '200' },
      wrapEngine: (): Engine => ({ handle: () => new Promise(() => {}) }),
    });
    const hung = post(`${srv.url}/api/playground/turn`, { conversation: 'c', user: 'u', text: 'help' }).catch((e: unknown) => e);
    await sleep(50);
    const t0 = performance.now();
    await srv.close();
    expect(performance.now() - t0).toBeLessThan(2_000);
    expect(await hung).toBeInstanceOf(Error);
    expect(srv.logs.find((l) => l.msg === 'shutdown grace period over; dropping unfinished work')).toBeDefined();
    expect(srv.logs.find((l) => l.msg === 'vmk stopped')).toMatchObject({ drained: false });
  });
});

describe('vmk serve as a process', () => {
  interface Proc {
    child: ChildProcess;
    lines: Record<string, unknown>[];
    stderr: () => string;
    exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    waitFor(pred: (l: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
  }

  function serve(env: Record<string, string>): Proc {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does it).`);
    const child = spawn(process.execPath, [CLI, 'serve'], {
      cwd: childCwd,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', VMK_STORE: 'memory', LOG_FORMAT: 'json', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    const listeners = new Set<() => void>();
    const lines = collectJsonLines(child.stdout, () => {
      for (const l of listeners) l();
    });
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return {
      child,
      lines,
      stderr: () => err,
      exit,
      waitFor(pred, ms = 10_000) {
        return new Promise((resolve, reject) => {
          const check = () => {
            const hit = lines.find(pred);
            if (hit) {
              listeners.delete(check);
              clearTimeout(timer);
              resolve(hit);
            }
          };
          const timer = setTimeout(() => {
            listeners.delete(check);
            reject(new Error(`no matching log line within ${ms} ms; stdout: ${JSON.stringify(lines).slice(0, 2000)} stderr: ${err.slice(0, 2000)}`));
          }, ms);
          listeners.add(check);
          void exit.then(() => setTimeout(check, 0));
          check();
        });
      },
    };
  }

  it('starts with no credentials, prints the playground URL and which platforms are off, and stops on SIGTERM with exit 0', async () => {
    const p = serve({});
    try {
      const ready = await p.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('vmk is ready'));
      const url = String(ready.url);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(ready.msg).toContain(url);
      expect(p.lines.some((l) => typeof l.msg === 'string' && /Slack: off.*SLACK_BOT_TOKEN/.test(l.msg))).toBe(true);
      expect(p.lines.some((l) => typeof l.msg === 'string' && /Teams: off.*MicrosoftAppId.*VMK_TEAMS_LOCAL=on/.test(l.msg))).toBe(true);
      expect((await fetch(`${url}readyz`)).status).toBe(200);
      // Teams is off without credentials unless local mode is asked for.
      expect((await post(`${url}api/messages`, { type: 'message' })).status).toBe(404);
      const res = await post(`${url}api/playground/turn`, { conversation: 'p', user: 'u', text: 'help' });
      expect(res.status).toBe(200);

      p.child.kill('SIGTERM');
      const { code } = await p.exit;
      expect(code).toBe(0);
      expect(p.lines.some((l) => l.msg === 'stopping: finishing in-flight turns' && l.signal === 'SIGTERM')).toBe(true);
      expect(p.lines.some((l) => l.msg === 'vmk stopped')).toBe(true);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('stops on SIGINT with exit 0', async () => {
    const p = serve({});
    try {
      await p.waitFor((l) => typeof l.msg === 'string' && l.msg.startsWith('vmk is ready'));
      p.child.kill('SIGINT');
      expect((await p.exit).code).toBe(0);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('refuses to start on bad configuration, listing every problem, and never echoes a secret', async () => {
    const p = serve({ PORT: 'abc', SLACK_BOT_TOKEN: 'xoxb-do-not-print-me', MicrosoftAppType: 'SingleTenant', MicrosoftAppId: 'id', MicrosoftAppPassword: 'pw-do-not-print' });
    const { code } = await p.exit;
    expect(code).toBe(1);
    const err = p.stderr();
    expect(err).toMatch(/3 configuration problems/);
    expect(err).toMatch(/PORT: must be a whole number/);
    expect(err).toMatch(/SLACK_SIGNING_SECRET: SLACK_BOT_TOKEN is set/);
    expect(err).toMatch(/MicrosoftAppTenantId/);
    expect(err + JSON.stringify(p.lines)).not.toMatch(/do-not-print/);
  });
});
