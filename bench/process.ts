/**
 * Whole-process measurements: cold start of the server and of `vmk ask`, and
 * the server's memory after many turns.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { Fakes } from './fakes.js';
import { IDENTITY_COOKIE, identityCookieValue } from '../adapters/web/identity.js';
import { PLAYGROUND_SECRET, serverEnv, startVmk } from './http.js';
import { QUESTIONS, REVIEWS } from './inputs.js';
import { CLI, freePort, median, procMemory, round, SERVE_NODE_ARGS, sleep, spawnNode, waitFor200 } from './lib.js';

/** A made-up app id: Teams authentication on (no network call is made at start-up). */
const BENCH_APP_ID = '8f0a8c1e-2b7d-4c55-9a3e-0d6b1f2e7a41';
export const ASK_QUESTION = 'how do VMs and Kubernetes compare on isolation?';

export interface ColdStartResult {
  runs: number;
  msToReady: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  ask: { runs: number; ms: number[]; medianMs: number };
}

export async function benchColdStart(fakes: Fakes, opts: { runs?: number; askRuns?: number } = {}): Promise<ColdStartResult> {
  const msToReady: number[] = [];
  for (let i = 0; i < (opts.runs ?? 7); i++) {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'vmk-bench-cold-'));
    const env = serverEnv({ port, dataDir, fakes, teamsAppId: BENCH_APP_ID });
    const started = performance.now();
    const child = spawnNode([CLI, 'serve'], env, { nodeArgs: SERVE_NODE_ARGS });
    try {
      await waitFor200(`http://127.0.0.1:${port}/readyz`, child, 30_000, 10);
      msToReady.push(Math.round(performance.now() - started));
    } finally {
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  const askMs: number[] = [];
  for (let i = 0; i < (opts.askRuns ?? 5); i++) {
    const started = performance.now();
    const child = spawnNode([CLI, 'ask', ASK_QUESTION], { LOG_LEVEL: 'warn' });
    const code = await child.exited;
    const took = Math.round(performance.now() - started);
    if (code !== 0 || !/isolat/i.test(child.output())) {
      throw new Error(`vmk ask exited with ${String(code)} or did not answer about isolation:\n${child.output()}`);
    }
    askMs.push(took);
  }

  return {
    runs: msToReady.length,
    msToReady,
    medianMs: median(msToReady),
    minMs: Math.min(...msToReady),
    maxMs: Math.max(...msToReady),
    ask: { runs: askMs.length, ms: askMs, medianMs: median(askMs) },
  };
}

/** What one conversation says, turn by turn: questions, the dialog by typed answers, a review. */
const SCRIPT = [
  QUESTIONS[0] ?? 'help',
  'help me choose where to run my workload',
  '1',
  '2',
  '1',
  REVIEWS[0] ?? 'help',
  QUESTIONS[3] ?? 'help',
  QUESTIONS[5] ?? 'help',
  'thanks',
  QUESTIONS[11] ?? 'help',
];

export interface MemoryResult {
  afterStartMiB: number;
  phases: { turns: number; conversations: number; rssMiB: number; peakMiB: number; errors: number; seconds: number }[];
  /** RSS after the 10,000-conversation phase minus RSS after the 1,000-conversation phase. */
  growthMiB: number;
}

async function turns(url: string, total: number, conversations: number, phase: string): Promise<{ errors: number; seconds: number }> {
  let i = -1;
  // Fixed 22-character identities, one per simulated browser.
  const cookies = Array.from({ length: 300 }, (_, u) => `${IDENTITY_COOKIE}=${identityCookieValue(PLAYGROUND_SECRET, `bench-user-${String(u).padStart(11, '0')}`)}`);
  const started = performance.now();
  const r = await autocannon({
    url,
    connections: 16,
    amount: total,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/api/playground/turn',
        setupRequest: (req) => {
          i++;
          const c = i % conversations;
          // 1,000 conversations: each goes through the script in order; 10,000: one turn each, of every kind.
          const k = conversations >= total ? i % SCRIPT.length : Math.floor(i / conversations) % SCRIPT.length;
          const body = JSON.stringify({ conversation: `${phase}-${c}`, text: SCRIPT[k] });
          // 300 browsers: the playground's user is the identity in the signed cookie.
          return { ...req, body, headers: { ...req.headers, 'content-type': 'application/json', cookie: cookies[c % cookies.length]! } };
        },
      },
    ],
  });
  return { errors: r.non2xx + r.errors, seconds: round((performance.now() - started) / 1000, 1) };
}

export async function benchMemory(fakes: Fakes, extraEnv: Record<string, string> = {}, opts: { phases?: 1 | 2; nodeArgs?: string[] } = {}): Promise<MemoryResult> {
  const vmk = await startVmk(fakes, extraEnv, opts.nodeArgs ?? SERVE_NODE_ARGS);
  try {
    await sleep(1_000);
    const afterStartMiB = procMemory(vmk.child.pid).rssMiB;
    const phases: MemoryResult['phases'] = [];
    const plan = [
      [10_000, 1_000, 'mem1k'],
      [10_000, 10_000, 'mem10k'],
    ] as const;
    for (const [total, conversations, name] of plan.slice(0, opts.phases ?? 2)) {
      const r = await turns(vmk.url, total, conversations, name);
      await sleep(500);
      const m = procMemory(vmk.child.pid);
      phases.push({ turns: total, conversations, rssMiB: m.rssMiB, peakMiB: m.peakMiB, ...r });
    }
    const growthMiB = round((phases[1]?.rssMiB ?? Number.NaN) - (phases[0]?.rssMiB ?? Number.NaN), 1);
    // The child must still be healthy after all that.
    await waitFor200(`${vmk.url}/readyz`, vmk.child, 5_000);
    return { afterStartMiB, phases, growthMiB };
  } finally {
    await vmk.stop();
  }
}
