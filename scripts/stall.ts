/**
 * The stall probe: `npm run stall [-- --seconds N --concurrency N --max-body-bytes N]`.
 *
 * Starts `node dist/src/cli.js serve` as a child (Slack over HTTP against a
 * fake Web API in this process, Teams local mode against a fake connector,
 * the playground; memory store; the Node flags of `npm start`), then for N
 * seconds (default 20) keeps `concurrency` (default 4) senders busy with up to
 * 1 MiB of adversarial text (scripts/adversarial.ts) on every server text path, each
 * while a guided dialog waits for a typed answer: a signed Slack DM, a signed
 * mention in a thread, a signed /vmk-advise, a Teams personal message, and a
 * playground turn (12,000 characters, its limit; 1 MiB there is a 400).
 * vmk runs with VMK_MAX_BODY_BYTES = --max-body-bytes (default 1048576, vmk's
 * own default); each path's text is the longest part of the 1 MiB that fits
 * in that limit once encoded (the slash command's form encoding triples most
 * of these characters), and the figures name the length sent.
 * Meanwhile it asks GET /healthz every 20 ms on its own connection.
 *
 * Prints the /healthz latency (p50, p99, max) and, per path, the requests
 * sent and their latency. Exits 1 when /healthz p99 is 100 ms or more, or a
 * request failed. Not a CI gate: run it by hand (RELIABILITY.md has figures).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SERVE_NODE_ARGS } from '../bench/lib.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { adversarialText, MIB } from './adversarial.js';

const SECRET = 'stall-signing-secret';
const CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli.js');
const TARGET_P99_MS = 100;

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

function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.on('data', () => {});
    req.on('end', () => resolve());
  });
}

/** A Slack Web API, response_url and Bot Framework connector that accept everything. */
async function fakes(): Promise<{ slackApi: string; connector: string; close(): void }> {
  let ts = 0;
  const slack = createServer((req, res) => {
    void drain(req).then(() => {
      res.setHeader('content-type', 'application/json');
      if ((req.url ?? '').endsWith('auth.test')) return res.end(JSON.stringify({ ok: true, user_id: 'UBOTSTALL', bot_id: 'BBOTSTALL', team_id: 'TSTALL' }));
      res.end(JSON.stringify({ ok: true, channel: 'D1', ts: `${Math.floor(Date.now() / 1000)}.${String(++ts).padStart(6, '0')}` }));
    });
  });
  const connector = createServer((req, res) => {
    void drain(req).then(() => {
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: `stall-${++ts}` }));
    });
  });
  const [s, c] = await Promise.all([listen(slack), listen(connector)]);
  return {
    slackApi: `${s}/api/`,
    connector: `${c}/`,
    close() {
      slack.close();
      connector.close();
    },
  };
}

async function startVmk(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const probe = createServer();
  const port = Number(new URL(await listen(probe)).port);
  await new Promise((resolve) => probe.close(resolve));
  const child = spawn(process.execPath, [...SERVE_NODE_ARGS, CLI, 'serve'], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), LOG_FORMAT: 'json', LOG_LEVEL: 'warn', NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; ) {
    if (child.exitCode !== null) throw new Error(`vmk serve exited (${child.exitCode}):\n${out.slice(-2000)}`);
    if ((await fetch(`${url}/readyz`).then((r) => r.status, () => 0)) === 200) return { child, url, output: () => out };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`vmk serve was not ready within 20 s:\n${out.slice(-2000)}`);
}

/** The /healthz prober (run with node -e): asks every 20 ms until the deadline, prints {ms, failed} as JSON. */
const PROBER = `
import { Agent, get } from 'node:http';
const [url, until] = [process.argv[1], Number(process.argv[2])];
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const ms = [];
let failed = 0;
while (Date.now() < until) {
  const started = performance.now();
  const status = await new Promise((resolve) => get(url, { agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', () => resolve(0)));
  if (status === 200) ms.push(performance.now() - started); else failed += 1;
  await new Promise((r) => setTimeout(r, 20));
}
agent.destroy();
process.stdout.write(JSON.stringify({ ms, failed }));
`;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const fmt = (ms: number) => (Number.isNaN(ms) ? '-' : ms.toFixed(1));

async function main(): Promise<void> {
  const seconds = flag('seconds', 20);
  const maxBody = flag('max-body-bytes', MIB);
  const concurrency = flag('concurrency', 4);
  const text = adversarialText(MIB);
  const f = await fakes();
  const vmk = await startVmk({
    VMK_STORE: 'memory',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: 'xoxb-stall',
    SLACK_API_URL: f.slackApi,
    VMK_TEAMS_LOCAL: 'on',
    VMK_MAX_BODY_BYTES: String(maxBody),
  });
  console.log(`stall: ${concurrency} senders of adversarial text (up to 1 MiB, VMK_MAX_BODY_BYTES=${maxBody}) for ${seconds} s against ${vmk.url} (pid ${vmk.child.pid}); /healthz every 20 ms`);

  let seq = 0;
  const uniq = (p: string) => `${p}${process.pid.toString(36)}${(++seq).toString(36)}`.toUpperCase();
  const slackTs = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
  const signed = (body: string, type: string) => {
    const t = Math.floor(Date.now() / 1000);
    return { 'content-type': type, 'x-slack-request-timestamp': String(t), 'x-slack-signature': `v0=${createHmac('sha256', SECRET).update(`v0:${t}:${body}`).digest('hex')}` };
  };
  const event = (ev: Record<string, unknown>) =>
    JSON.stringify({ type: 'event_callback', team_id: 'TSTALL', api_app_id: 'A1', event_id: uniq('Ev'), event_time: Math.floor(Date.now() / 1000), event: ev });
  interface Req {
    path: string;
    body: Blob;
    headers: Record<string, string>;
  }
  const req = (path: string, body: string, headers: Record<string, string>): Req => ({ path, body: new Blob([body]), headers });
  const send = (r: Req) => fetch(`${vmk.url}${r.path}`, { method: 'POST', headers: r.headers, body: r.body });
  const json = { 'content-type': 'application/json' };
  const slackEvent = (ev: Record<string, unknown>) => {
    const b = event(ev);
    return req('/slack/events', b, signed(b, 'application/json'));
  };

  /** The longest prefix of the text whose request body, built by `make`, fits the body limit (with room for longer ids). */
  const fit = (make: (t: string) => Req): string => {
    let lo = 0;
    let hi = text.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (make(text.slice(0, mid)).body.size <= maxBody - 512) lo = mid;
      else hi = mid - 1;
    }
    return text.slice(0, lo);
  };
  const sent = new Map<string, number>();
  const fittedText = new Map<string, string>();
  const fitted = (name: string, make: (t: string) => Req): string => {
    let t = fittedText.get(name);
    if (t === undefined) {
      t = fit(make);
      fittedText.set(name, t);
      sent.set(name, t.length);
    }
    return t;
  };

  /** Each path: a request that starts a dialog, then the adversarial text as the typed answer. */
  const paths: Record<string, () => [Req, Req]> = {
    'slack DM': () => {
      const channel = uniq('D');
      const dm = (t: string) => slackEvent({ type: 'message', channel_type: 'im', channel, user: 'U1', text: t, ts: slackTs() });
      return [dm('help me choose'), dm(fitted('slack DM', dm))];
    },
    'slack mention': () => {
      const channel = uniq('C');
      const thread = slackTs();
      return [
        slackEvent({ type: 'app_mention', channel, user: 'U2', text: '<@UBOTSTALL> help me choose', ts: thread }),
        slackEvent({ type: 'app_mention', channel, user: 'U2', text: `<@UBOTSTALL> ${fitted('slack mention', (t) => slackEvent({ type: 'app_mention', channel, user: 'U2', text: `<@UBOTSTALL> ${t}`, ts: slackTs(), thread_ts: thread }))}`, ts: slackTs(), thread_ts: thread }),
      ];
    },
    '/vmk-advise': () => {
      const channel = uniq('C');
      const cmd = (t: string) => {
        const b = new URLSearchParams({ command: '/vmk-advise', text: t, team_id: 'TSTALL', channel_id: channel, user_id: 'U3', response_url: `${f.slackApi.replace(/api\/$/, '')}response/1`, trigger_id: '1.2' }).toString();
        return req('/slack/events', b, signed(b, 'application/x-www-form-urlencoded'));
      };
      return [cmd(''), cmd(fitted('/vmk-advise', cmd))];
    },
    'teams message': () => {
      const conversation = { id: uniq('a:'), conversationType: 'personal' };
      const a = (t: string) => JSON.stringify({ type: 'message', id: uniq('act'), channelId: 'msteams', serviceUrl: f.connector, from: { id: '29:u', aadObjectId: 'aad-u' }, recipient: { id: '28:bot' }, conversation, text: t });
      const m = (t: string) => req('/api/messages', a(t), json);
      return [m('help me choose'), m(fitted('teams message', m))];
    },
    'playground (12,000 chars)': () => {
      const conversation = uniq('p');
      const t = (x: string) => req('/api/playground/turn', JSON.stringify({ conversation, user: 'u', text: x }), json);
      const short = text.slice(0, 12_000);
      sent.set('playground (12,000 chars)', short.length);
      return [t('help me choose'), t(short)];
    },
  };

  // Every body is built and signed before the clock starts: the load generator shares the
  // machine's two cores with vmk, and building 1 MiB bodies during the run would take CPU from it.
  const perPath = seconds * 4;
  const names = Object.keys(paths);
  const prepared = new Map(names.map((name) => [name, Array.from({ length: perPath }, () => (paths[name] as () => [Req, Req])())]));
  const stats = new Map<string, { ms: number[]; failed: number }>(names.map((k) => [k, { ms: [], failed: 0 }]));
  const until = Date.now() + seconds * 1000;
  const senders = Array.from({ length: concurrency }, async (_, i) => {
    for (let n = i; Date.now() < until; n++) {
      const name = names[n % names.length] as string;
      const pair = prepared.get(name)?.pop();
      if (!pair) break;
      const s = stats.get(name) as { ms: number[]; failed: number };
      const started = performance.now();
      try {
        await (await send(pair[0])).arrayBuffer();
        const res = await send(pair[1]);
        await res.arrayBuffer();
        if (res.status >= 300) s.failed += 1;
        else s.ms.push(performance.now() - started);
      } catch {
        s.failed += 1;
      }
    }
  });

  // The probe runs in a process of its own (building and signing 1 MiB bodies here
  // would delay its timers), on one kept-alive connection, and prints its timings.
  const prober = new Promise<{ ms: number[]; failed: number }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', PROBER, `${vmk.url}/healthz`, String(until)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      try {
        resolve(JSON.parse(out) as { ms: number[]; failed: number });
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });

  const [, probe] = await Promise.all([Promise.all(senders), prober]);
  const health = probe.ms;
  const healthFailed = probe.failed;
  const errors = vmk.output().split('\n').filter((l) => /"level":(50|60)/.test(l));
  vmk.child.kill('SIGTERM');
  // A child still stuck in a long synchronous step cannot handle SIGTERM: do not leave it behind.
  const killer = setTimeout(() => vmk.child.kill('SIGKILL'), 5_000);
  vmk.child.once('exit', () => clearTimeout(killer));
  f.close();

  health.sort((a, b) => a - b);
  console.log(`/healthz: ${health.length} answered, ${healthFailed} failed; p50 ${fmt(percentile(health, 50))} ms, p99 ${fmt(percentile(health, 99))} ms, max ${fmt(health[health.length - 1] ?? Number.NaN)} ms`);
  let failedRequests = 0;
  for (const [name, s] of stats) {
    s.ms.sort((a, b) => a - b);
    failedRequests += s.failed;
    console.log(`${name.padEnd(26)} ${String(sent.get(name) ?? 0).padStart(8)} chars: ${String(s.ms.length).padStart(4)} ok, ${s.failed} failed; dialog start + answer p50 ${fmt(percentile(s.ms, 50))} ms, p99 ${fmt(percentile(s.ms, 99))} ms, max ${fmt(s.ms[s.ms.length - 1] ?? Number.NaN)} ms`);
  }
  console.log(`error-level log lines in vmk: ${errors.length}`);
  const p99 = percentile(health, 99);
  const ok = p99 < TARGET_P99_MS && healthFailed === 0 && failedRequests === 0 && errors.length === 0;
  console.log(ok ? `PASS: /healthz p99 ${fmt(p99)} ms < ${TARGET_P99_MS} ms, no failures` : `FAIL: /healthz p99 ${fmt(p99)} ms (target < ${TARGET_P99_MS} ms), ${healthFailed + failedRequests} failed requests, ${errors.length} error lines`);
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
