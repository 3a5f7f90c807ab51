/**
 * 1 MiB of adversarial text (helpers/adversarial.ts) on every text path, each
 * while a guided dialog waits for a typed answer, where a quadratic trim used
 * to stall the process for minutes. Every turn reads at most 4,000 characters
 * and says so; the bounds on time are generous (a shared two-core machine),
 * far below what the stall took. The /healthz p99 while such requests run is
 * measured by `npm run stall` (scripts/stall.ts), see RELIABILITY.md.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TURN_CHARS } from '../src/engine.js';
import { PROJECT_ROOT } from '../src/paths.js';
import type { Reply } from '../src/types.js';
import { adversarialText, MIB } from './helpers/adversarial.js';
import { teamsActivity } from './fixtures/teams/load.js';
import { startFakeConnector, type FakeConnector } from './helpers/fake-connector.js';
import { eventCallback, FAKE_BOT_USER_ID, postForAck, postToSlackEndpoint, slashCommand, startFakeSlack, type FakeSlack } from './helpers/fake-slack.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SECRET = 'stall-signing-secret';
/** Per request or command: the stall took minutes; a normal answer takes milliseconds. */
const BOUND_MS = 10_000;
const NOTE = /I read only the first 4,000\./;
const BIN = join(PROJECT_ROOT, 'dist', 'src', 'cli.js');

const TEXT = adversarialText(MIB);

let fake: FakeSlack;
let connector: FakeConnector;
let srv: TestServer;
let seq = 0;
const uniq = (prefix: string) => `${prefix}${Date.now().toString(36)}${++seq}`.toUpperCase();
const ts = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;

beforeAll(async () => {
  fake = await startFakeSlack();
  connector = await startFakeConnector();
  srv = await startTestServer({
    // Room for 1 MiB of text after JSON or form encoding, so all of it reaches the adapters and the core.
    env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-stall', SLACK_API_URL: fake.apiUrl, VMK_TEAMS_LOCAL: 'on', VMK_MAX_BODY_BYTES: String(8 * MIB), LOG_LEVEL: 'info' },
  });
});

afterAll(async () => {
  await srv?.close();
  await connector?.close();
  await fake?.close();
});

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

async function healthy(): Promise<void> {
  const { value, ms } = await timed(() => fetch(`${srv.url}/healthz`));
  expect(value.status).toBe(200);
  expect(ms).toBeLessThan(1_000);
  expect(srv.logs.filter((l) => l.msg === 'turn failed' || l.msg === 'request failed')).toEqual([]);
}

const blockText = (body: Record<string, unknown>) => JSON.stringify(body.blocks ?? []);

describe('1 MiB of adversarial text while a dialog waits', () => {
  it('the text is 1 MiB and its first 4,000 characters hold every kind', () => {
    expect(TEXT.length).toBe(MIB);
    expect(TEXT.slice(0, MAX_TURN_CHARS)).toMatch(/ {1000}/);
    expect(TEXT.slice(0, MAX_TURN_CHARS)).toContain('<@U<@U');
    expect(TEXT.slice(0, MAX_TURN_CHARS)).toContain('<at><at>');
  });

  it('Slack DM: answered within the bound, with the note', async () => {
    const channel = uniq('D');
    const dm = (text: string) => postToSlackEndpoint(srv.url, eventCallback({ type: 'message', channel_type: 'im', channel, user: 'UST1', text, ts: ts() }), 'application/json', { secret: SECRET });
    expect((await dm('help me choose')).status).toBe(200);
    await fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === channel && /Question 1/.test(blockText(c.body)));
    const { value: res, ms } = await timed(async () => {
      const r = await dm(TEXT);
      await fake.waitFor((c) => c.method === 'chat.postMessage' && c.body.channel === channel && NOTE.test(blockText(c.body)), BOUND_MS);
      return r;
    });
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(BOUND_MS);
    await healthy();
  });

  it('Slack mention in a thread: answered within the bound, with the note', async () => {
    const channel = uniq('C');
    const thread = ts();
    const mention = (text: string, threadTs?: string) =>
      postToSlackEndpoint(srv.url, eventCallback({ type: 'app_mention', channel, user: 'UST2', text: `<@${FAKE_BOT_USER_ID}> ${text}`, ts: threadTs ? ts() : thread, ...(threadTs ? { thread_ts: threadTs } : {}) }), 'application/json', { secret: SECRET });
    expect((await mention('help me choose')).status).toBe(200);
    await fake.waitFor((c) => c.body.channel === channel && /Question 1/.test(blockText(c.body)));
    const { ms } = await timed(async () => {
      expect((await mention(TEXT, thread)).status).toBe(200);
      await fake.waitFor((c) => c.body.channel === channel && NOTE.test(blockText(c.body)), BOUND_MS);
    });
    expect(ms).toBeLessThan(BOUND_MS);
    await healthy();
  });

  it('/vmk-advise: the acknowledgement carries the answer and the note, within the bound', async () => {
    const channel = uniq('C');
    const command = (text: string) => postForAck(srv.url, slashCommand({ text, user: 'UST3', channel, responseUrl: fake.responseUrl(uniq('r')) }), { secret: SECRET });
    expect((await command('')).raw).toMatch(/Question 1/);
    const { value: ack, ms } = await timed(() => command(TEXT));
    expect(ack.status).toBe(200);
    expect(ms).toBeLessThan(BOUND_MS);
    expect(ack.raw).toMatch(NOTE);
    await healthy();
  });

  it('Teams local mode, personal chat: answered within the bound, with the note in the card', async () => {
    const conversation = { id: uniq('a:stall'), conversationType: 'personal' };
    const send = (text: string) =>
      fetch(`${srv.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(teamsActivity('personal-message', { id: uniq('act'), serviceUrl: connector.url, text, conversation })),
      });
    expect((await send('help me choose')).status).toBe(200);
    connector.reset();
    const { value: res, ms } = await timed(() => send(TEXT));
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(BOUND_MS);
    const [call] = await connector.waitFor(1);
    expect(JSON.stringify(call?.body)).toMatch(NOTE);
    await healthy();
  });

  it('playground: 1 MiB is refused at once (its limit is 12,000); 12,000 adversarial characters are answered with the note', async () => {
    const turn = (text: string) =>
      fetch(`${srv.url}/api/playground/turn`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ conversation: 'stall', user: 'u', text }) });
    expect((await turn('help me choose')).status).toBe(200);
    const big = await timed(() => turn(TEXT));
    expect(big.value.status).toBe(400);
    expect(big.ms).toBeLessThan(BOUND_MS);
    const { value: res, ms } = await timed(() => turn(TEXT.slice(0, 12_000)));
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(BOUND_MS);
    const replies = ((await res.json()) as { replies: Reply[] }).replies;
    expect(replies[0]?.notes?.join(' ')).toMatch(/12,000 characters long; I read only the first 4,000\./);
    await healthy();
  });
});

/** Runs the built CLI with `args` and `input` on stdin; resolves with its output and how long it took. */
function cli(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? '' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
    child.stdin.end(input);
  });
}

describe('1 MiB of adversarial text on the command line', () => {
  it('vmk ask (the text as several arguments, each under the kernel limit): one answer with the note, within the bound', async () => {
    const args: string[] = [];
    for (let i = 0; i < TEXT.length; i += 64 * 1024) args.push(TEXT.slice(i, i + 64 * 1024));
    const r = await cli(['ask', ...args]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/I read only the first 4,000\./);
    // Process start and knowledge loading are part of the time.
    expect(r.ms).toBeLessThan(BOUND_MS + 5_000);
  });

  it.each([[['review']], [['review', '--json']]])('vmk %j on stdin: a review within the bound', async (args) => {
    const r = await cli(args, TEXT);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.ms).toBeLessThan(BOUND_MS + 5_000);
  });
});
