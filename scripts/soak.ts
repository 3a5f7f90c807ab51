/**
 * The soak: `npm run soak [-- --seconds N --connections N --timeout S --heap-mib N --request-log]`.
 *
 * Starts `node dist/src/cli.js serve` as a child (SQLite store in a temporary
 * folder, Slack and Teams on), with a local fake Slack Web API and a local fake
 * Bot Framework connector in this process, then keeps 200 connections busy
 * for 60 s with a mix of signed Slack slash commands, signed Slack events,
 * Teams activities and playground turns (autocannon's programmatic API).
 *
 * Prints the child's RSS every 5 s and, at the end, the zero-errors check
 * (no socket errors, no timeouts, no non-2xx answers, every Slack event and
 * Teams message answered, the child still alive) and RSS first/last/max.
 * Exits 1 when the check fails. Not a CI gate: run it by hand.
 * `--heap-mib N` runs the child with --max-old-space-size=N, to tell a leak
 * (the child runs out of memory) from V8 using its heap headroom lazily.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IDENTITY_COOKIE, identityCookieValue } from '../adapters/web/identity.js';
import { SERVE_NODE_ARGS } from '../bench/lib.js';
import { PROJECT_ROOT } from '../src/paths.js';

// autocannon ships no types: the part of its programmatic API used here.
interface RequestParams {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface AutocannonOptions {
  url: string;
  connections: number;
  duration: number;
  timeout: number;
  requests: (RequestParams & { setupRequest?: (req: RequestParams) => RequestParams })[];
}
interface Histogram {
  average: number;
  p50: number;
  p99: number;
  max: number;
  total: number;
}
interface AutocannonResult {
  requests: Histogram;
  latency: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
  '2xx': number;
  '4xx': number;
  '5xx': number;
  statusCodeStats?: Record<string, { count: number }>;
}
type Autocannon = (opts: AutocannonOptions) => EventEmitter & PromiseLike<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const SECRET = 'soak-signing-secret';
const PLAYGROUND_SECRET = 'soak-playground-secret-0123456789abcdefgh';
const PLAYGROUND_COOKIE = `${IDENTITY_COOKIE}=${identityCookieValue(PLAYGROUND_SECRET, 'soak-browser-000000000')}`;
const CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli.js');

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`--${name} needs a positive whole number`);
    process.exit(2);
  }
  return n;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function drain(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** A Slack Web API and response_url that answer ok and count what vmk sends. */
async function fakeSlack(): Promise<{ url: string; posts: Set<string>; responses: number; server: Server }> {
  const state = { posts: new Set<string>(), responses: 0 };
  let ts = 0;
  const server = createServer((req, res) => {
    void drain(req).then((raw) => {
      res.setHeader('content-type', 'application/json');
      const path = req.url ?? '';
      if (path.startsWith('/response/')) {
        state.responses += 1;
        res.end('{"ok":true}');
        return;
      }
      const method = path.replace(/^\/api\//, '');
      if (method === 'auth.test') {
        res.end(JSON.stringify({ ok: true, user_id: 'UBOTSOAK', bot_id: 'BBOTSOAK', team_id: 'TSOAK' }));
        return;
      }
      const channel = new URLSearchParams(raw).get('channel') ?? (raw.startsWith('{') ? String((JSON.parse(raw) as { channel?: string }).channel) : '');
      if (method === 'chat.postMessage') state.posts.add(channel);
      res.end(JSON.stringify({ ok: true, channel, ts: `${Math.floor(Date.now() / 1000)}.${String(++ts).padStart(6, '0')}` }));
    });
  });
  const url = await listen(server);
  return {
    url,
    server,
    get posts() {
      return state.posts;
    },
    get responses() {
      return state.responses;
    },
  };
}

/** A Bot Framework connector that accepts every send and update and counts the conversations answered. */
async function fakeConnector(): Promise<{ url: string; answered: Set<string>; server: Server }> {
  const answered = new Set<string>();
  let id = 0;
  const server = createServer((req, res) => {
    void drain(req).then(() => {
      const m = /^\/v3\/conversations\/([^/]+)\/activities/.exec(req.url ?? '');
      if (m?.[1]) answered.add(decodeURIComponent(m[1]));
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `soak-${++id}` }));
    });
  });
  return { url: `${await listen(server)}/`, answered, server };
}

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Starts vmk serve on a free port and resolves once /readyz answers 200. */
async function startVmk(env: Record<string, string>, nodeArgs: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve'], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_FORMAT: 'json', LOG_LEVEL: 'warn', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vmk serve exited (${child.exitCode}):\n${out.slice(-2000)}`);
    const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) return { child, url, output: () => out };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`vmk serve was not ready within 20 s:\n${out.slice(-2000)}`);
}

/** The process's resident set in MiB; NaN once it has gone. */
function rssMiB(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return Number.NaN;
  }
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round((kb / 1024) * 10) / 10;
}

const sign = (body: string) => {
  const t = Math.floor(Date.now() / 1000);
  return { 'x-slack-request-timestamp': String(t), 'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${t}:${body}`).digest('hex')}` };
};

const QUESTIONS = [
  'how do VMs and Kubernetes compare on isolation?',
  'which one scales better?',
  'what about portability?',
  'we run a legacy Java monolith on Windows with a vendor that only supports VMs',
  'is Kubernetes cheaper to run than VMs?',
  'help',
  'what about snapshots and live migration?',
  'our stateless web API must scale with spiky traffic and ships several times a day',
];

async function main(): Promise<void> {
  const seconds = flag('seconds', 60);
  const connections = flag('connections', 200);
  /** Seconds before autocannon counts a request as timed out. */
  const timeoutS = flag('timeout', 10);
  // The child runs with the Node flags of `npm start` (its V8 heap limits), so the soak measures what is deployed.
  // --heap-mib N overrides the old-space cap: if RSS growth were a leak, the child would run out of memory.
  const heapMiB = process.argv.includes('--heap-mib') ? flag('heap-mib', 0) : 0;
  const nodeArgs = heapMiB
    ? [...SERVE_NODE_ARGS.filter((a) => !a.startsWith('--max-old-space-size=')), `--max-old-space-size=${heapMiB}`]
    : SERVE_NODE_ARGS;
  const slack = await fakeSlack();
  const connector = await fakeConnector();
  const dataDir = mkdtempSync(join(tmpdir(), 'vmk-soak-'));
  // --request-log: the child logs every request (path, status, ms), summarised per path at the end.
  const requestLog = process.argv.includes('--request-log');
  const vmk = await startVmk({
    ...(requestLog ? { LOG_LEVEL: 'info' } : {}),
    VMK_STORE: 'sqlite',
    VMK_DATA_DIR: dataDir,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: 'xoxb-soak',
    SLACK_API_URL: `${slack.url}/api/`,
    // All playground turns come from one address with one identity (signed here with the same secret).
    VMK_PLAYGROUND: 'on',
    VMK_PLAYGROUND_RATE_LIMIT: '0',
    VMK_PLAYGROUND_SECRET: PLAYGROUND_SECRET,
    VMK_TEAMS_LOCAL: 'on',
  }, nodeArgs);
  const pid = vmk.child.pid as number;
  let exitedEarly = false;
  vmk.child.once('exit', (code, signal) => {
    exitedEarly = true;
    console.error(`vmk serve exited during the soak (code ${code}, signal ${signal}); its last output:\n${vmk.output().slice(-4000)}`);
  });
  console.log(`soak: ${connections} connections for ${seconds} s against ${vmk.url} (pid ${pid}, SQLite in ${dataDir}${heapMiB ? `, V8 old space capped at ${heapMiB} MiB` : ''})`);

  let n = 0;
  const sent = { events: new Set<string>(), teams: new Set<string>() };
  const requests: AutocannonOptions['requests'] = [
    {
      method: 'POST',
      path: '/slack/events',
      setupRequest: (req) => {
        const i = ++n;
        const body = new URLSearchParams({
          token: 't', team_id: 'TSOAK', channel_id: `CSOAK${i % 97}`, user_id: `USOAK${i % 89}`, command: '/vmk-advise',
          text: i % 5 === 0 ? '' : (QUESTIONS[i % QUESTIONS.length] as string), response_url: `${slack.url}/response/${i}`, trigger_id: `${i}.t`, api_app_id: 'A1',
        }).toString();
        return { ...req, body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...sign(body) } };
      },
    },
    {
      method: 'POST',
      path: '/slack/events',
      setupRequest: (req) => {
        const i = ++n;
        const channel = `DSOAK${i}`;
        sent.events.add(channel);
        const body = JSON.stringify({
          token: 't', team_id: 'TSOAK', api_app_id: 'A1', type: 'event_callback', event_id: `EvSOAK${i}`, event_time: Math.floor(Date.now() / 1000),
          event: { type: 'message', channel_type: 'im', channel, user: `USOAK${i % 89}`, text: QUESTIONS[i % QUESTIONS.length], ts: `${Math.floor(Date.now() / 1000)}.${String(i).padStart(6, '0')}` },
        });
        return { ...req, body, headers: { 'content-type': 'application/json', ...sign(body) } };
      },
    },
    {
      method: 'POST',
      path: '/api/messages',
      setupRequest: (req) => {
        const i = ++n;
        const conversation = `a:soak-${i}`;
        sent.teams.add(conversation);
        const body = JSON.stringify({
          type: 'message', id: `act-${i}`, channelId: 'msteams', serviceUrl: connector.url, text: QUESTIONS[i % QUESTIONS.length],
          from: { id: `29:user-${i % 83}`, name: 'Soak', aadObjectId: `aad-${i % 83}` }, recipient: { id: '28:bot', name: 'vmk' },
          conversation: { id: conversation, conversationType: 'personal', tenantId: 'tenant-soak' }, channelData: { tenant: { id: 'tenant-soak' } },
        });
        return { ...req, body, headers: { 'content-type': 'application/json' } };
      },
    },
    {
      method: 'POST',
      path: '/api/playground/turn',
      setupRequest: (req) => {
        const i = ++n;
        const body = JSON.stringify(
          i % 4 === 0 ? { conversation: `pg-${i % 71}`, action: { type: 'start' } } : { conversation: `pg-${i % 71}`, text: QUESTIONS[i % QUESTIONS.length] },
        );
        return { ...req, body, headers: { 'content-type': 'application/json', cookie: PLAYGROUND_COOKIE } };
      },
    },
  ];

  const samples: { t: number; rss: number }[] = [];
  const started = Date.now();
  const sample = () => {
    const s = { t: Math.round((Date.now() - started) / 1000), rss: rssMiB(pid) };
    samples.push(s);
    console.log(`  t=${String(s.t).padStart(3)} s  RSS ${s.rss} MiB`);
  };
  sample();
  const timer = setInterval(sample, 5_000);
  const result = await autocannon({ url: vmk.url, connections, duration: seconds, timeout: timeoutS, requests });
  clearInterval(timer);
  sample();

  // Answers posted after the ack: give the queue a moment to drain.
  const loadEnded = Date.now();
  for (let i = 0; i < 100; i++) {
    const missing = [...sent.events].filter((c) => !slack.posts.has(c)).length + [...sent.teams].filter((c) => !connector.answered.has(c)).length;
    if (missing === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const drainMs = Date.now() - loadEnded;
  // Idle for 10 s: what the process holds once the burst is over.
  await new Promise((r) => setTimeout(r, 10_000));
  const idleRss = rssMiB(pid);
  const eventsAnswered = [...sent.events].filter((c) => slack.posts.has(c)).length;
  const teamsAnswered = [...sent.teams].filter((c) => connector.answered.has(c)).length;
  const alive = vmk.child.exitCode === null && vmk.child.signalCode === null;
  const health = alive ? (await fetch(`${vmk.url}/healthz`)).status : 0;
  const errorLines = vmk.output().split('\n').filter((l) => /"level":(50|60)/.test(l));

  const rss = samples.map((s) => s.rss).filter((r) => !Number.isNaN(r));
  const first = rss[0] as number;
  const last = rss[rss.length - 1] as number;
  const max = Math.max(...rss);
  // Flat: after warm-up (the 10 s sample), the end is within 15% of it.
  const warm = samples.find((s) => s.t >= 10)?.rss ?? first;
  const flat = last <= warm * 1.15;

  const checks: [string, boolean, string][] = [
    ['socket errors', result.errors === 0, String(result.errors)],
    ['timeouts', result.timeouts === 0, String(result.timeouts)],
    ['non-2xx answers', result.non2xx === 0, `${result.non2xx} (4xx ${result['4xx']}, 5xx ${result['5xx']})`],
    ['Slack events answered', eventsAnswered === sent.events.size, `${eventsAnswered} of ${sent.events.size}`],
    ['Teams messages answered', teamsAnswered === sent.teams.size, `${teamsAnswered} of ${sent.teams.size}`],
    ['error lines in the log', errorLines.length === 0, `${errorLines.length}${errorLines[0] ? `: ${errorLines[0].slice(0, 300)}` : ''}`],
    ['process alive, /healthz 200', alive && health === 200, alive ? `healthz ${health}` : 'exited'],
    ['RSS flat after warm-up (end within 15% of the 10 s sample)', flat, `first ${first} MiB, at 10 s ${warm} MiB, last ${last} MiB, max ${max} MiB`],
  ];
  console.log('');
  console.log(`requests: ${result.requests.total} in ${seconds} s (${Math.round(result.requests.average)}/s), 2xx ${result['2xx']}`);
  console.log(`latency: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`);
  console.log(`answers still queued when the load stopped were all sent within ${drainMs} ms; RSS after 10 s idle: ${idleRss} MiB`);
  console.log(`slash-command replies via response_url: ${slack.responses} (the rest travelled in the ack)`);
  for (const [name, ok, detail] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
  if (requestLog) {
    const byPath = new Map<string, number[]>();
    for (const line of vmk.output().split('\n')) {
      if (!line.includes('"msg":"request"')) continue;
      const r = JSON.parse(line) as { path: string; ms: number };
      const list = byPath.get(r.path) ?? [];
      list.push(r.ms);
      byPath.set(r.path, list);
    }
    for (const [path, ms] of byPath) {
      ms.sort((a, b) => a - b);
      const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
      console.log(`  ${path}: ${ms.length} requests, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${ms[ms.length - 1]} ms, over 2 s: ${ms.filter((m) => m > 2000).length}`);
    }
  }
  const passed = checks.every(([, ok]) => ok);
  console.log(passed ? '\nsoak: zero errors' : '\nsoak: FAILED');

  if (!exitedEarly) {
    vmk.child.removeAllListeners('exit');
    vmk.child.kill('SIGTERM');
    await new Promise((r) => vmk.child.once('exit', r));
  }
  slack.server.close();
  connector.server.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(passed ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
