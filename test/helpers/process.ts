/**
 * Runs `node dist/src/cli.js serve` as a child process (the way it runs in
 * production), captures every byte it writes, and finds its URL from the
 * "vmk is ready" line. Also starts a password-protected redis-server.
 *
 *   const vmk = await startServe({ VMK_STORE: 'sqlite', VMK_DATA_DIR: dir });
 *   await fetch(`${vmk.url}/healthz`);
 *   await vmk.kill('SIGKILL');
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/paths.js';
import { startRedisServer, type TestRedisServer } from './redis.js';

export const CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli.js');

export interface ServeProcess {
  child: ChildProcess;
  pid: number;
  /** e.g. http://127.0.0.1:41234 (no trailing slash). */
  url: string;
  /** Parsed JSON log lines from stdout. */
  lines: Record<string, unknown>[];
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartServeOptions {
  /** Working directory (default: a fresh empty folder, so no developer .env is read). */
  cwd?: string;
  /** How long to wait for "vmk is ready" (default 20 s). */
  readyTimeoutMs?: number;
}

/** Starts `vmk serve` with exactly `env` (plus PATH and the defaults below) and waits until it is ready. */
export async function startServe(env: Record<string, string>, opts: StartServeOptions = {}): Promise<ServeProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first (npm test does it).`);
  const ownCwd = opts.cwd === undefined;
  const cwd = opts.cwd ?? mkdtempSync(join(tmpdir(), 'vmk-serve-'));
  const child = spawn(process.execPath, [CLI, 'serve'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', VMK_STORE: 'memory', LOG_FORMAT: 'json', NODE_ENV: 'production', VMK_PLAYGROUND: 'on', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      process.removeListener('exit', reap);
      if (ownCwd) rmSync(cwd, { recursive: true, force: true });
      resolve({ code, signal });
    }),
  );
  let all = '';
  let onLine: (() => void) | null = null;
  child.stdout?.on('data', (d: Buffer) => (all += d.toString('utf8')));
  const lines = collectJsonLines(child.stdout, () => onLine?.());
  child.stderr?.on('data', (d: Buffer) => (all += d.toString('utf8')));

  const readyLine = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`vmk serve was not ready within ${opts.readyTimeoutMs ?? 20_000} ms:\n${all.slice(-3000)}`)), opts.readyTimeoutMs ?? 20_000);
    const fail = (err: Error) => {
      clearTimeout(timer);
      onLine = null;
      child.kill('SIGKILL');
      reject(err);
    };
    onLine = () => {
      const hit = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('vmk is ready'));
      if (hit) {
        clearTimeout(timer);
        onLine = null;
        resolve(hit);
      }
    };
    void exited.then(({ code, signal }) => fail(new Error(`vmk serve exited (${code ?? signal}) before it was ready:\n${all.slice(-3000)}`)));
    onLine();
  });

  const url = String(readyLine.url).replace(/\/$/, '');
  return {
    child,
    pid: child.pid as number,
    url,
    lines,
    output: () => all,
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

/** A redis-server with `requirepass`, on a free loopback port. */
export type PasswordRedis = TestRedisServer;

export function startPasswordRedis(password: string): Promise<PasswordRedis> {
  return startRedisServer({ password });
}

/**
 * Collects a child's stdout as JSON log records, one per line (a line that is
 * not JSON becomes `{ raw }`), calling `onLine` after each.
 */
export function collectJsonLines(stream: NodeJS.ReadableStream | null, onLine: () => void): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  let pending = '';
  stream?.on('data', (d: Buffer) => {
    pending += d.toString('utf8');
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ raw: line });
      }
      onLine();
    }
  });
  return lines;
}
