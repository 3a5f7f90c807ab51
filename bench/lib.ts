/**
 * Shared helpers for the benchmark: statistics, the machine description,
 * free ports, child servers and polling.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { cpus, platform, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/paths.js';

export const CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli.js');
export const BARE_BOLT = join(PROJECT_ROOT, 'dist', 'bench', 'bare-bolt.js');

/**
 * The Node flags `npm start` runs the server with (V8 heap limits), read from
 * package.json's start script so the benchmark measures exactly what
 * `npm start` runs. The bare Bolt app gets the same flags.
 */
export function serveNodeArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
  const start = pkg.scripts?.start ?? '';
  const m = /\bnode((?:\s+--[\w-]+(?:=\S+)?)*)\s+dist\/src\/cli\.js serve\b/.exec(start);
  if (!m) throw new Error(`package.json's start script does not run "node [flags] dist/src/cli.js serve": ${start}`);
  return (m[1] ?? '').trim().split(/\s+/).filter(Boolean);
}
export const SERVE_NODE_ARGS = serveNodeArgs();

export interface Machine {
  os: string;
  cpuModel: string;
  cores: number;
  totalMemoryMB: number;
}

export function machine(): Machine {
  const list = cpus();
  return {
    os: `${osType()} ${release()} (${platform()})`,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    totalMemoryMB: Math.round(totalmem() / 2 ** 20),
  };
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

export interface LatencySummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
}

/** Summarises durations measured in nanoseconds (bigint from process.hrtime.bigint()). */
export function summariseNs(ns: readonly bigint[]): LatencySummary {
  const ms = ns.map((v) => Number(v) / 1e6).sort((a, b) => a - b);
  const total = ms.reduce((s, v) => s + v, 0);
  return {
    samples: ms.length,
    p50Ms: round(percentile(ms, 50), 4),
    p99Ms: round(percentile(ms, 99), 4),
    meanMs: round(total / Math.max(1, ms.length), 4),
    maxMs: round(ms[ms.length - 1] ?? Number.NaN, 4),
  };
}

export function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** One GET; resolves with the status code, or 0 when the connection failed. */
export function getStatus(url: string, timeoutMs = 1_000): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A child process with its output kept (the last 16 KiB) for error messages. */
export interface Child {
  proc: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function spawnNode(args: string[], env: Record<string, string>, opts: { nodeArgs?: string[] } = {}): Child {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...args], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString('utf8')).slice(-16_384);
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    pid: proc.pid ?? -1,
    output: () => out,
    exited,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!done) {
        proc.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** Polls `url` every `everyMs` until it answers 200; throws with the child's output when it exits or times out. */
export async function waitFor200(url: string, child: Child, timeoutMs = 30_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void child.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`the server exited (code ${String(exitCode)}) before ${url} answered 200:\n${child.output()}`);
    if ((await getStatus(url, 500)) === 200) return;
    await sleep(everyMs);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms:\n${child.output()}`);
}

/** Resident set size now and at its peak (VmHWM) of a process in MiB, from /proc/<pid>/status (Linux). */
export function procMemory(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    if (!m?.[1]) throw new Error(`no ${name} in /proc/${pid}/status`);
    return round(Number(m[1]) / 1024, 1);
  };
  return { rssMiB: field('VmRSS'), peakMiB: field('VmHWM') };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (clock ticks of 10 ms). */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after it are space-separated.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) * 10;
}
