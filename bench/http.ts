/**
 * Load over HTTP: the real server (`node dist/src/cli.js serve`) in a child
 * process, autocannon in this process, and the fakes (Slack Web API,
 * response_url, Teams connector) in this process too.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type RequestParams, type RequestSpec, type Result } from 'autocannon';
import { BOT_USER_ID, TEAM_ID, type Fakes } from './fakes.js';
import { QUESTIONS } from './inputs.js';
import { BARE_BOLT, CLI, freePort, procCpuMs, procMemory, round, SERVE_NODE_ARGS, sleep, spawnNode, waitFor200, type Child } from './lib.js';

export const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';

export type Scenario = 'slack-command' | 'slack-event' | 'teams-activity';
export type Target = 'vmk' | 'bare-bolt';

export interface LoadResult {
  scenario: Scenario;
  target: Target;
  connections: number;
  durationS: number;
  requests: number;
  /** 2xx responses. */
  ok: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** non-2xx responses + socket errors (timeouts included). */
  errors: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  /** CPU time the server process spent per request (user + system), and the benchmark process (autocannon and the fakes). */
  serverCpuMsPerReq: number;
  loadGenCpuMsPerReq: number;
  /** Server RSS after the run (and its replies) finished, and its peak so far (VmHWM), vmk only. */
  serverRssMiB?: number;
  serverPeakRssMiB?: number;
  /** Requests of this run that got their reply at the fakes (vmk only); should equal the 2xx count. */
  answered?: number;
  /** Requests answered per second, from the start of the load to the last reply. */
  answeredPerSec?: number;
  /** Replies (messages, card updates) the server sent to the fakes for this run (vmk only; replies inside a slash command's ack are not counted). */
  replies?: number;
  /** How long after the load stopped the last reply reached the fakes (vmk only). */
  drainMs?: number;
}

/** A counter shared by every request of the run, so ids and timestamps never repeat. */
let seq = 0;
const tsBase = Math.floor(Date.now() / 1000);

function sign(ts: string, body: string): string {
  return `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
}

function signed(req: RequestParams, body: string, contentType: string): RequestParams {
  const ts = String(Math.floor(Date.now() / 1000));
  return {
    ...req,
    method: 'POST',
    path: '/slack/events',
    body,
    headers: { ...req.headers, 'content-type': contentType, 'x-slack-request-timestamp': ts, 'x-slack-signature': sign(ts, body) },
  };
}

/**
 * `/vmk-advise <question>`, form-encoded, freshly signed for every request.
 * vmk may answer in the acknowledgement itself (first reply in the 200 body)
 * or later through the response_url: both count as answered.
 */
export function slashCommand(fakes: Fakes): RequestSpec {
  return {
    method: 'POST',
    path: '/slack/events',
    setupRequest: (req, context) => {
      const n = ++seq;
      // One request at a time per connection, so the context holds the id of the request being answered.
      context.n = n;
      const body = new URLSearchParams({
        token: 'legacy-verification-token',
        team_id: TEAM_ID,
        team_domain: 'bench',
        channel_id: 'C0BENCH',
        channel_name: 'general',
        user_id: `U0USER${n % 500}`,
        user_name: 'bench',
        command: '/vmk-advise',
        text: QUESTIONS[n % QUESTIONS.length] ?? 'help',
        api_app_id: 'A0BENCH',
        is_enterprise_install: 'false',
        response_url: fakes.responseUrl(n),
        trigger_id: `${n}.1.bench`,
      }).toString();
      return signed(req, body, 'application/x-www-form-urlencoded');
    },
    onResponse: (status, body, context) => {
      if (status === 200 && body.length > 2 && (body.includes('"blocks"') || body.includes('"text"'))) {
        fakes.answered.slashCommands.add(String(context.n));
      }
    },
  };
}

/** An `app_mention` event callback with a unique event_id and message ts. */
export function appMention(): RequestSpec {
  return {
    method: 'POST',
    path: '/slack/events',
    setupRequest: (req) => {
      const n = ++seq;
      const ts = `${tsBase + Math.floor(n / 1e6)}.${String(n % 1e6).padStart(6, '0')}`;
      const body = JSON.stringify({
        token: 'legacy-verification-token',
        team_id: TEAM_ID,
        api_app_id: 'A0BENCH',
        type: 'event_callback',
        event_id: `Ev0BENCH${n}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ enterprise_id: null, team_id: TEAM_ID, user_id: BOT_USER_ID, is_bot: true, is_enterprise_install: false }],
        event: {
          type: 'app_mention',
          user: `U0USER${n % 500}`,
          text: `<@${BOT_USER_ID}> ${QUESTIONS[n % QUESTIONS.length] ?? 'help'}`,
          ts,
          event_ts: ts,
          channel: 'C0BENCH',
          team: TEAM_ID,
        },
      });
      return signed(req, body, 'application/json');
    },
  };
}

/** A Teams personal-chat message (local mode: no token, loopback serviceUrl). */
export function teamsActivity(fakes: Fakes): RequestSpec {
  return {
    method: 'POST',
    path: '/api/messages',
    setupRequest: (req) => {
      const n = ++seq;
      const user = n % 500;
      const body = JSON.stringify({
        type: 'message',
        id: `bench-${n}`,
        timestamp: new Date().toISOString(),
        channelId: 'msteams',
        serviceUrl: fakes.serviceUrl,
        from: { id: `29:bench-user-${user}`, name: `Bench User ${user}` },
        conversation: { id: `a:bench-personal-${user}`, conversationType: 'personal', tenantId: 'tenant-bench' },
        recipient: { id: '28:vmk-bench', name: 'vmk' },
        text: QUESTIONS[n % QUESTIONS.length] ?? 'help',
        textFormat: 'plain',
        locale: 'en-US',
        channelData: { tenant: { id: 'tenant-bench' } },
      });
      return { ...req, method: 'POST', path: '/api/messages', body, headers: { ...req.headers, 'content-type': 'application/json' } };
    },
  };
}

export async function load(url: string, spec: RequestSpec, connections: number, durationS: number): Promise<Result> {
  return autocannon({ url, connections, duration: durationS, timeout: 10, requests: [spec] });
}

/** Waits until the fakes have received nothing new for `quietMs`; returns when the last thing arrived (ms after `since`). */
export async function drain(fakes: Fakes, since: number, quietMs = 1_000, maxMs = 20_000): Promise<number> {
  let last = fakes.total();
  let lastChange = performance.now();
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    await sleep(25);
    const now = fakes.total();
    if (now !== last) {
      last = now;
      lastChange = performance.now();
    } else if (performance.now() - lastChange >= quietMs) break;
  }
  return Math.max(0, Math.round(lastChange - since));
}

interface CpuMark {
  server: number;
  self: NodeJS.CpuUsage;
}

function cpuMark(pid: number): CpuMark {
  return { server: procCpuMs(pid), self: process.cpuUsage() };
}

/** Runs one load and measures it, including the CPU both sides spent. */
async function measured(url: string, pid: number, spec: RequestSpec, connections: number, durationS: number): Promise<{ r: Result; cpu: { server: number; self: number } }> {
  const before = cpuMark(pid);
  const r = await load(url, spec, connections, durationS);
  const self = process.cpuUsage(before.self);
  return { r, cpu: { server: procCpuMs(pid) - before.server, self: (self.user + self.system) / 1000 } };
}

function summarise(scenario: Scenario, target: Target, connections: number, durationS: number, r: Result, cpu: { server: number; self: number }): LoadResult {
  const n = Math.max(1, r.requests.total);
  return {
    serverCpuMsPerReq: round(cpu.server / n, 3),
    loadGenCpuMsPerReq: round(cpu.self / n, 3),
    scenario,
    target,
    connections,
    durationS,
    requests: r.requests.total,
    ok: r['2xx'],
    reqPerSec: round(r.requests.average, 0),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    errors: r.non2xx + r.errors,
    non2xx: r.non2xx,
    socketErrors: r.errors,
    timeouts: r.timeouts,
  };
}

export interface ServerEnvOptions {
  port: number;
  dataDir: string;
  fakes: Fakes;
  teamsAppId?: string;
}

/** The environment of a vmk server with Slack over HTTP on, Teams local (or authenticated with teamsAppId) and SQLite. */
/** Signs the playground identities the benchmarks send (see bench/process.ts). */
export const PLAYGROUND_SECRET = 'bench-playground-secret-0123456789abcdef';

export function serverEnv(o: ServerEnvOptions): Record<string, string> {
  return {
    PORT: String(o.port),
    HOST: '127.0.0.1',
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_BOT_TOKEN: 'xoxb-0000000000-bench',
    SLACK_API_URL: o.fakes.slackApiUrl,
    VMK_STORE: 'sqlite',
    VMK_DATA_DIR: o.dataDir,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    // The memory benchmark drives the playground from one address, with identities it signs itself.
    VMK_PLAYGROUND: 'on',
    VMK_PLAYGROUND_RATE_LIMIT: '0',
    VMK_PLAYGROUND_SECRET: PLAYGROUND_SECRET,
    ...(o.teamsAppId ? { MicrosoftAppId: o.teamsAppId, MicrosoftAppPassword: 'bench-app-password-not-used', MicrosoftAppType: 'MultiTenant' } : { VMK_TEAMS_LOCAL: 'on' }),
  };
}

export interface VmkServer {
  url: string;
  child: Child;
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts `node <flags> dist/src/cli.js serve`, by default with the flags `npm start` uses. */
export async function startVmk(fakes: Fakes, extraEnv: Record<string, string> = {}, nodeArgs: string[] = SERVE_NODE_ARGS): Promise<VmkServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'vmk-bench-'));
  const child = spawnNode([CLI, 'serve'], { ...serverEnv({ port, dataDir, fakes }), ...extraEnv }, { nodeArgs });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor200(`${url}/readyz`, child);
  } catch (err) {
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    child,
    dataDir,
    async stop() {
      await child.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function startBareBolt(fakes: Fakes): Promise<{ url: string; child: Child }> {
  const port = await freePort();
  const child = spawnNode([BARE_BOLT], { BENCH_PORT: String(port), SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fakes.slackApiUrl }, { nodeArgs: SERVE_NODE_ARGS });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor200(`${url}/readyz`, child);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { url, child };
}

export interface HttpResults {
  runs: LoadResult[];
  /** vmk req/s divided by bare Bolt req/s for the slash command, by connections. */
  slashRatio: Record<string, number>;
  /** RSS of the vmk child right after the load (MiB), and its peak (VmHWM). */
  vmkRssAfterLoadMiB?: number;
  vmkPeakRssMiB?: number;
}

export interface HttpOptions {
  durationS: number;
  warmupS: number;
  connections: number[];
  log: (line: string) => void;
}

const SCENARIOS: { name: Scenario; answered: (f: Fakes) => number; replies: (f: Fakes) => number; spec: (f: Fakes) => RequestSpec }[] = [
  { name: 'slack-command', answered: (f) => f.answered.slashCommands.size, replies: (f) => f.counts.responseUrl, spec: slashCommand },
  { name: 'slack-event', answered: (f) => f.answered.mentions.size, replies: (f) => f.counts.webApi['chat.postMessage'] ?? 0, spec: () => appMention() },
  { name: 'teams-activity', answered: (f) => f.answered.teamsActivities.size, replies: (f) => f.counts.connector, spec: teamsActivity },
];


export async function benchHttp(fakes: Fakes, opts: HttpOptions): Promise<HttpResults> {
  const runs: LoadResult[] = [];
  const results: HttpResults = { runs, slashRatio: {} };

  const vmk = await startVmk(fakes);
  try {
    for (const s of SCENARIOS) {
      opts.log(`  vmk ${s.name}: warm-up ${opts.warmupS} s`);
      await load(vmk.url, s.spec(fakes), 50, opts.warmupS);
      await drain(fakes, performance.now());
      for (const c of opts.connections) {
        const answered = s.answered(fakes);
        const replies = s.replies(fakes);
        const before = cpuMark(vmk.child.pid);
        const r = await load(vmk.url, s.spec(fakes), c, opts.durationS);
        const stopped = performance.now();
        const drainMs = await drain(fakes, stopped);
        // The server's CPU includes the replies it finished after the load stopped.
        const self = process.cpuUsage(before.self);
        const cpu = { server: procCpuMs(vmk.child.pid) - before.server, self: (self.user + self.system) / 1000 };
        const row: LoadResult = {
          ...summarise(s.name, 'vmk', c, opts.durationS, r, cpu),
          answered: s.answered(fakes) - answered,
          answeredPerSec: round((s.answered(fakes) - answered) / (opts.durationS + drainMs / 1000), 0),
          replies: s.replies(fakes) - replies,
          drainMs,
          serverRssMiB: procMemory(vmk.child.pid).rssMiB,
          serverPeakRssMiB: procMemory(vmk.child.pid).peakMiB,
        };
        runs.push(row);
        opts.log(
          `  vmk ${s.name} c=${c}: ${row.reqPerSec} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, errors ${row.errors}, answered ${row.answered}/${r['2xx']}, last reply ${drainMs} ms after the load, server CPU ${row.serverCpuMsPerReq} ms/req`,
        );
      }
    }
    const m = procMemory(vmk.child.pid);
    results.vmkRssAfterLoadMiB = m.rssMiB;
    results.vmkPeakRssMiB = m.peakMiB;
  } finally {
    await vmk.stop();
  }

  const bare = await startBareBolt(fakes);
  try {
    opts.log(`  bare Bolt slack-command: warm-up ${opts.warmupS} s`);
    await load(bare.url, slashCommand(fakes), 50, opts.warmupS);
    for (const c of opts.connections) {
      const { r, cpu } = await measured(bare.url, bare.child.pid, slashCommand(fakes), c, opts.durationS);
      const row = summarise('slack-command', 'bare-bolt', c, opts.durationS, r, cpu);
      runs.push(row);
      opts.log(`  bare Bolt slack-command c=${c}: ${row.reqPerSec} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms, errors ${row.errors}, server CPU ${row.serverCpuMsPerReq} ms/req`);
    }
  } finally {
    await bare.child.stop();
  }

  for (const c of opts.connections) {
    const v = runs.find((r) => r.target === 'vmk' && r.scenario === 'slack-command' && r.connections === c);
    const b = runs.find((r) => r.target === 'bare-bolt' && r.connections === c);
    if (v && b && b.reqPerSec > 0) results.slashRatio[String(c)] = round(v.reqPerSec / b.reqPerSec, 2);
  }
  return results;
}
