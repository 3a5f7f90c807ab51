/**
 * Small failures an independent probe found: each answers with a clear status
 * or one clear line instead of a reset connection, a stack trace or a hang.
 * (The Teams activity without `recipient` is in teams-local.test.ts, the
 * /readyz reason while Redis is down in server.test.ts.)
 */
import { spawn } from 'node:child_process';
import { connect, createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/paths.js';
import { makeFolder } from '../src/store/sqlite.js';
import { slackSignature, startFakeSlack, type FakeSlack } from './helpers/fake-slack.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const BIN = join(PROJECT_ROOT, 'dist', 'src', 'cli.js');
const SECRET = 'minor-signing-secret';

/** Runs the built CLI; kills it with SIGKILL after `timeoutMs` (a hang shows as `killed`). */
function vmk(args: string[], env: Record<string, string>, timeoutMs = 15_000): Promise<{ code: number | null; killed: boolean; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  const cwd = mkdtempSync(join(tmpdir(), 'vmk-minor-'));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_FORMAT: 'json', NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, killed, stdout, stderr, ms: performance.now() - started });
    });
  });
}

const STACK_LINE = /^\s+at /m;

describe('a Slack body far over VMK_MAX_BODY_BYTES', () => {
  let fake: FakeSlack;
  let srv: TestServer;
  beforeAll(async () => {
    fake = await startFakeSlack();
    srv = await startTestServer({ env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-minor', SLACK_API_URL: fake.apiUrl } });
  });
  afterAll(async () => {
    await srv?.close();
    await fake?.close();
  });

  /**
   * Sends the body the way many clients do: the whole body first (waiting for
   * the socket to drain), then the answer is read; resolves with the status
   * line, or the connection error.
   */
  function post(body: Buffer, chunked: boolean): Promise<{ status?: string; error?: string }> {
    const t = Math.floor(Date.now() / 1000);
    const u = new URL(srv.url);
    return new Promise((resolve) => {
      const sock = connect(Number(u.port), u.hostname);
      let answer = '';
      let finished = false;
      // Hang up once the whole body is written and the answer's head has arrived.
      const hangUpWhenDone = () => {
        if (finished && answer.includes('\r\n\r\n')) sock.end();
      };
      sock.on('data', (d: Buffer) => {
        answer += d.toString('latin1');
        hangUpWhenDone();
      });
      sock.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
      sock.on('close', () => resolve({ status: answer.split('\r\n')[0] }));
      sock.write(
        [
          'POST /slack/events HTTP/1.1',
          `Host: ${u.host}`,
          'Content-Type: application/json',
          `X-Slack-Request-Timestamp: ${t}`,
          `X-Slack-Signature: ${slackSignature(SECRET, t, body.toString())}`,
          chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${body.length}`,
          '',
          '',
        ].join('\r\n'),
      );
      let i = 0;
      const pump = (): void => {
        while (i < body.length) {
          const piece = body.subarray(i, i + 65_536);
          i += piece.length;
          const data = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
          if (!sock.write(data)) {
            sock.once('drain', pump);
            return;
          }
        }
        if (finished) return;
        finished = true;
        if (chunked) sock.write('0\r\n\r\n');
        hangUpWhenDone();
      };
      pump();
    });
  }

  const tenMiB = () => Buffer.from(JSON.stringify({ type: 'event_callback', event_id: 'Ev1', event: { type: 'message', text: 'x'.repeat(10 * 1024 * 1024) } }));

  it('with Content-Length: 413, not a reset connection', async () => {
    expect(await post(tenMiB(), false)).toEqual({ status: 'HTTP/1.1 413 Payload Too Large' });
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
  });

  it('chunked (no Content-Length): 413, not a reset connection', async () => {
    expect(await post(tenMiB(), true)).toEqual({ status: 'HTTP/1.1 413 Payload Too Large' });
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);
  });
});

describe('start-up and command-line failures: one clear line, no stack trace', () => {
  let blocker: Server;
  let busyPort: number;
  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    busyPort = (blocker.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it('a port already in use', async () => {
    const r = await vmk(['serve'], { PORT: String(busyPort), VMK_STORE: 'memory' });
    expect(r.killed).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`vmk cannot listen on 127.0.0.1:${busyPort}: port ${busyPort} is already in use; stop the other process or set PORT to a free port`);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it.each([
    [['eval', '/nonexistent/dev.jsonl']],
    [['eval', '--workloads', '/nonexistent/workloads.jsonl']],
  ])('a missing eval file: %j', async (args) => {
    const r = await vmk(args, {});
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^vmk: cannot read \/nonexistent\/\w+\.jsonl \(no such file\); give the path of a JSONL file/);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('VMK_DATA_DIR=/proc/nope: a clear error within seconds (it used to spin at 100 % CPU, deaf to SIGTERM)', async () => {
    const r = await vmk(['serve'], { VMK_STORE: 'sqlite', VMK_DATA_DIR: '/proc/nope' }, 20_000);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^vmk cannot create its data folder \/proc\/nope \(ENOENT[^)]*\); set VMK_DATA_DIR to a writable folder\.$/);
    expect(r.stderr).not.toMatch(STACK_LINE);
  }, 30_000);
});

describe('makeFolder', () => {
  it('creates missing parents, accepts an existing folder, refuses a file and /proc', () => {
    const base = mkdtempSync(join(tmpdir(), 'vmk-folder-'));
    try {
      makeFolder(join(base, 'a', 'b', 'c'));
      makeFolder(join(base, 'a', 'b', 'c'));
      expect(() => makeFolder('/proc/nope/deeper')).toThrow(/ENOENT/);
      expect(() => makeFolder('/proc/self/status/x')).toThrow(/ENOTDIR|not a folder/);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
