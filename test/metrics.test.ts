/**
 * GET /metrics: scraped from the real server (startServer) with Slack (a
 * local fake Web API), Teams (local mode, a fake connector) and the
 * playground on, and read with a strict parser of the Prometheus text format.
 * Also: the parser itself refuses malformed expositions, and VMK_METRICS /
 * VMK_METRICS_TOKEN turn the route off or protect it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { ConfigError } from '../src/errors.js';
import { createStore } from '../src/store/index.js';
import { StoreUnavailableError, type StateStore } from '../src/store/types.js';
import { teamsActivity } from './fixtures/teams/load.js';
import { startFakeConnector, type FakeConnector } from './helpers/fake-connector.js';
import {
  blockActions,
  buttonsIn,
  eventCallback,
  postToSlackEndpoint,
  sendSlashCommand,
  startFakeSlack,
  type FakeSlack,
  type RecordedCall,
} from './helpers/fake-slack.js';
import { parseExposition, sampleValue, type Family } from './helpers/prometheus.js';
import { startTestServer, type TestServer } from './helpers/server.js';

describe('the strict exposition parser', () => {
  const valid = [
    '# HELP a_total Things, with a \\\\ and a \\n.',
    '# TYPE a_total counter',
    'a_total{kind="x",path="C:\\\\dir \\"q\\"\\nnext"} 3',
    'a_total{kind="y",} 0 1700000000000',
    '# TYPE h histogram',
    'h_bucket{le="0.1"} 1',
    'h_bucket{le="1"} 2',
    'h_bucket{le="+Inf"} 2',
    'h_sum 0.6',
    'h_count 2',
    '# TYPE g gauge',
    'g NaN',
    'g{x="1"} -Inf',
    'u 1e-3',
    '',
  ].join('\n');

  it('reads a valid exposition: escapes, trailing comma, timestamps, special values, histograms', () => {
    const f = parseExposition(valid);
    expect(f.get('a_total')?.help).toBe('Things, with a \\ and a \n.');
    expect(f.get('a_total')?.samples[0]?.labels.path).toBe('C:\\dir "q"\nnext');
    expect(f.get('a_total')?.samples[1]?.timestamp).toBe(1700000000000);
    expect(f.get('h')?.samples).toHaveLength(5);
    expect(() => sampleValue(f, 'g')).toThrow(/found 2/);
    expect(sampleValue(f, 'g', { x: '1' })).toBe(Number.NEGATIVE_INFINITY);
  });

  it.each([
    ['no final line feed', valid.trimEnd()],
    ['a label value without quotes', 'a{x=1} 1\n'],
    ['an unclosed label set', 'a{x="1" 1\n'],
    ['an unclosed label value', 'a{x="1} 1\n'],
    ['an invalid escape in a label value', 'a{x="\\t"} 1\n'],
    ['a bad metric name', '1a 1\n'],
    ['a bad label name', 'a{1x="1"} 1\n'],
    ['a value that is not a number', 'a abc\n'],
    ['no value', 'a{x="1"}\n'],
    ['a timestamp that is not an integer', 'a 1 1.5\n'],
    ['three fields', 'a 1 2 3\n'],
    ['a duplicate label', 'a{x="1",x="2"} 1\n'],
    ['a duplicate series', 'a{x="1"} 1\na{x="1"} 2\n'],
    ['an unknown type', '# TYPE a countr\na 1\n'],
    ['a second TYPE', '# TYPE a counter\n# TYPE a counter\na 1\n'],
    ['TYPE after the samples', 'a 1\n# TYPE a counter\n'],
    ['a family split in two groups', 'a 1\nb 1\na{x="2"} 1\n'],
    ['a negative counter', '# TYPE a_total counter\na_total -1\n'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['a histogram whose buckets shrink', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['a histogram whose +Inf bucket is not its count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'],
    ['a histogram bucket without le', '# TYPE h histogram\nh_bucket 1\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['a histogram without _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});

/** A memory store whose calls fail as unavailable for conversations starting with DOWN, as Redis does when unreachable. */
async function flakyStore(): Promise<StateStore> {
  const inner = await createStore({ kind: 'memory', dataDir: '' });
  const down = (conversation: string) => {
    if (conversation.startsWith('DOWN')) throw new StoreUnavailableError('simulated: the store cannot be reached');
  };
  return {
    kind: inner.kind,
    get: async (key) => {
      down(key.conversation);
      return inner.get(key);
    },
    set: (...args) => inner.set(...args),
    delete: (key) => inner.delete(key),
    claimEvent: (id, ttl) => inner.claimEvent(id, ttl),
    ping: () => inner.ping(),
    close: () => inner.close(),
  };
}

const SECRET = 'metrics-signing-secret';
let seq = 0;
const uniq = (prefix: string) => `${prefix}${Date.now().toString(36)}${++seq}`.toUpperCase();
const ts = () => `${Math.floor(Date.now() / 1000)}.${String(++seq).padStart(6, '0')}`;
const to = (channel: string) => (c: RecordedCall) => c.body.channel === channel;

describe('GET /metrics on a real server', () => {
  let srv: TestServer;
  let slack: FakeSlack;
  let connector: FakeConnector;

  beforeAll(async () => {
    slack = await startFakeSlack();
    connector = await startFakeConnector();
    srv = await startTestServer({
      env: { SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: 'xoxb-metrics-test', SLACK_API_URL: slack.apiUrl, VMK_TEAMS_LOCAL: 'on' },
      store: await flakyStore(),
    });
  });
  afterAll(async () => {
    await srv?.close();
    await slack?.close();
    await connector?.close();
  });

  async function scrape(): Promise<Map<string, Family>> {
    const res = await fetch(`${srv.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parseExposition(await res.text());
  }
  const value = async (name: string, labels: Record<string, string> = {}) => sampleValue(await scrape(), name, labels);

  const webTurn = (text: string, conversation = uniq('c')) =>
    fetch(`${srv.url}/api/playground/turn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ conversation, user: 'u1', text }),
    });
  const slackDm = (channel: string, text: string) =>
    postToSlackEndpoint(srv.url, eventCallback({ type: 'message', channel_type: 'im', channel, user: 'U1', text, ts: ts() }), 'application/json', { secret: SECRET });
  const teamsMessage = (text: string) =>
    fetch(`${srv.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...teamsActivity('personal-message', { text, id: uniq('act') }), serviceUrl: connector.url }),
    });

  it('serves a valid exposition with every vmk family and the default process metrics', async () => {
    const families = await scrape();
    for (const [name, type] of [
      ['vmk_turns_total', 'counter'],
      ['vmk_turn_duration_seconds', 'histogram'],
      ['vmk_delivery_retries_total', 'counter'],
      ['vmk_delivery_failures_total', 'counter'],
      ['vmk_store_errors_total', 'counter'],
      ['vmk_queue_depth', 'gauge'],
      ['vmk_in_flight', 'gauge'],
      ['process_cpu_user_seconds_total', 'counter'],
      ['process_resident_memory_bytes', 'gauge'],
      ['nodejs_heap_size_used_bytes', 'gauge'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
    ] as const) {
      expect(families.get(name)?.type, name).toBe(type);
      expect(families.get(name)?.help, name).toBeTruthy();
    }
    // Delivery series exist at 0 before anything failed, so alerts on rate() work from the start.
    for (const platform of ['slack', 'teams']) {
      expect(sampleValue(families, 'vmk_delivery_failures_total', { platform })).toBe(0);
      expect(sampleValue(families, 'vmk_delivery_retries_total', { platform })).toBe(0);
    }
    expect(sampleValue(families, 'vmk_queue_depth', { queue: 'slack' })).toBe(0);
  });

  it('counts turns by platform and intent, with their latency, on the playground, Slack and Teams', async () => {
    const before = await scrape();
    const count = (f: Map<string, Family>, labels: Record<string, string>) => {
      try {
        return sampleValue(f, 'vmk_turns_total', labels);
      } catch {
        return 0;
      }
    };
    const hist = (f: Map<string, Family>, platform: string) => {
      try {
        return sampleValue(f, 'vmk_turn_duration_seconds_count', { platform });
      } catch {
        return 0;
      }
    };

    expect((await webTurn('which one is more secure?')).status).toBe(200);
    expect((await webTurn('help me choose')).status).toBe(200);
    const channel = uniq('D');
    expect((await slackDm(channel, 'what about isolation?')).status).toBe(200);
    await slack.waitFor(to(channel));
    expect((await teamsMessage('how do they compare on scaling?')).status).toBe(200);
    await connector.waitFor(1);

    const after = await scrape();
    const topic = (platform: string) => ({ platform, intent: 'ask_topic', outcome: 'ok' });
    expect(count(after, topic('web')) - count(before, topic('web'))).toBe(1);
    expect(count(after, { platform: 'web', intent: 'start_advice', outcome: 'ok' }) - count(before, { platform: 'web', intent: 'start_advice', outcome: 'ok' })).toBe(1);
    expect(count(after, topic('slack')) - count(before, topic('slack'))).toBe(1);
    expect(count(after, topic('teams')) - count(before, topic('teams'))).toBe(1);
    expect(hist(after, 'web') - hist(before, 'web')).toBe(2);
    expect(hist(after, 'slack') - hist(before, 'slack')).toBe(1);
    expect(hist(after, 'teams') - hist(before, 'teams')).toBe(1);
    expect(sampleValue(after, 'vmk_turn_duration_seconds_sum', { platform: 'web' })).toBeGreaterThan(0);
  });

  it('counts Slack retries (Web API and response_url) and a reply that failed for good', async () => {
    const retries = await value('vmk_delivery_retries_total', { platform: 'slack' });
    const failures = await value('vmk_delivery_failures_total', { platform: 'slack' });

    slack.failNext(2, { status: 500, method: 'chat.postMessage' });
    const channel = uniq('D');
    await slackDm(channel, 'what about snapshots?');
    await slack.waitFor(to(channel), 10_000);
    expect(await value('vmk_delivery_retries_total', { platform: 'slack' })).toBe(retries + 2);
    expect(await value('vmk_delivery_failures_total', { platform: 'slack' })).toBe(failures);

    // Clicks are answered at their response_url: a 503 there is retried; a 404 is not, and the reply is lost.
    const user = uniq('U');
    const cmdChannel = uniq('C');
    const ack = await sendSlashCommand(srv.url, { text: '', user, channel: cmdChannel, responseUrl: slack.responseUrl(uniq('r')) }, { secret: SECRET });
    const answer = buttonsIn(ack.body).find((b) => b.action.type === 'answer');
    expect(answer, JSON.stringify(ack.body).slice(0, 300)).toBeDefined();

    const retried = uniq('r');
    slack.failNext(1, { status: 503, method: 'response_url' });
    await postToSlackEndpoint(srv.url, blockActions({ user, channel: cmdChannel, actionId: answer!.actionId, value: answer!.value, responseUrl: slack.responseUrl(retried) }), 'application/x-www-form-urlencoded', { secret: SECRET });
    await slack.waitFor((c) => c.responseUrlId === retried, 10_000);
    expect(await value('vmk_delivery_retries_total', { platform: 'slack' })).toBe(retries + 3);

    const next = buttonsIn((await slack.waitFor((c) => c.responseUrlId === retried)).body).find((b) => b.action.type === 'answer');
    expect(next).toBeDefined();
    const lost = uniq('r');
    slack.failNext(1, { status: 404, method: 'response_url' });
    await postToSlackEndpoint(srv.url, blockActions({ user, channel: cmdChannel, actionId: next!.actionId, value: next!.value, responseUrl: slack.responseUrl(lost) }), 'application/x-www-form-urlencoded', { secret: SECRET });
    await expect.poll(() => value('vmk_delivery_failures_total', { platform: 'slack' }), { timeout: 5_000 }).toBe(failures + 1);
  });

  it('counts a Teams send retried after 412 and one that failed for good', async () => {
    const retries = await value('vmk_delivery_retries_total', { platform: 'teams' });
    const failures = await value('vmk_delivery_failures_total', { platform: 'teams' });
    connector.reset();
    connector.failNext(1, 412);
    await teamsMessage('what about portability?');
    await connector.waitFor(1);
    expect(await value('vmk_delivery_retries_total', { platform: 'teams' })).toBe(retries + 1);

    connector.reset();
    connector.failNext(1, 403);
    await teamsMessage('what about maintenance?');
    await expect.poll(() => value('vmk_delivery_failures_total', { platform: 'teams' }), { timeout: 5_000 }).toBe(failures + 1);
  });

  it('counts store errors and the turns answered without the store', async () => {
    const families = await scrape();
    const errorsBefore = families.get('vmk_store_errors_total')?.samples.length ?? 0;
    expect(errorsBefore).toBe(0);
    const res = await webTurn('what about isolation?', uniq('DOWN'));
    expect(res.status).toBe(200);
    const after = await scrape();
    expect(sampleValue(after, 'vmk_store_errors_total', { store: 'memory', operation: 'get', kind: 'unavailable' })).toBe(1);
    expect(sampleValue(after, 'vmk_turns_total', { platform: 'web', intent: 'ask_topic', outcome: 'store_unavailable' })).toBe(1);
  });

  it('does not log scrapes at info level', async () => {
    await scrape();
    const infoScrapes = srv.logs.filter((l) => l.path === '/metrics' && (l.level as number) >= 30);
    expect(infoScrapes).toEqual([]);
  });
});

describe('VMK_METRICS and VMK_METRICS_TOKEN', () => {
  it('VMK_METRICS=off: no /metrics route', async () => {
    const srv = await startTestServer({ env: { VMK_METRICS: 'off' } });
    try {
      expect(srv.config.metrics).toEqual({ enabled: false });
      const res = await fetch(`${srv.url}/metrics`);
      expect(res.status).toBe(404);
    } finally {
      await srv.close();
    }
  });

  it('with a token: 401 without it or with a wrong one, 200 with it; the token is never logged', async () => {
    const token = 'metrics-token-0123456789abcdef';
    const srv = await startTestServer({ env: { VMK_METRICS_TOKEN: token } });
    try {
      const none = await fetch(`${srv.url}/metrics`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(await none.text()).not.toContain('vmk_turns_total');
      const wrong = await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${token}x` } });
      expect(wrong.status).toBe(401);
      const basic = await fetch(`${srv.url}/metrics`, { headers: { authorization: token } });
      expect(basic.status).toBe(401);
      const right = await fetch(`${srv.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(right.status).toBe(200);
      parseExposition(await right.text());
      expect(srv.logText()).not.toContain(token);
    } finally {
      await srv.close();
    }
  });

  it.each([
    [{ VMK_METRICS: 'yes' }, 'VMK_METRICS', /must be one of on, off/],
    [{ VMK_METRICS_TOKEN: 'short' }, 'VMK_METRICS_TOKEN', /at least 16 characters; generate one with: openssl rand -hex 32/],
    [{ VMK_METRICS_TOKEN: 'has a space in it, sixteen+' }, 'VMK_METRICS_TOKEN', /printable ASCII without spaces/],
  ])('refuses %j with a fix', (env, variable, message) => {
    let error: unknown;
    try {
      loadConfig(env, { envFile: null });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problem = (error as ConfigError).problems.find((p) => p.variable === variable);
    expect(problem?.message).toMatch(message);
  });

  it('defaults to on, without a token', () => {
    expect(loadConfig({}, { envFile: null }).metrics).toEqual({ enabled: true });
  });
});
