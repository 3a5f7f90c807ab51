/**
 * The outside world, faked locally in the benchmark process: the Slack Web
 * API (SLACK_API_URL), Slack `response_url`s, and the Bot Framework connector
 * a Teams activity's `serviceUrl` points at. Each answers at once and counts
 * what it received, so the benchmark can check the replies were really sent.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeCounts {
  webApi: Record<string, number>;
  responseUrl: number;
  connector: number;
}

/** Which requests got an answer: response_url ids, thread timestamps replied in, Teams activity ids replied to. */
export interface Answered {
  slashCommands: Set<string>;
  mentions: Set<string>;
  teamsActivities: Set<string>;
}

export interface Fakes {
  /** e.g. http://127.0.0.1:4321 */
  base: string;
  slackApiUrl: string;
  responseUrl(id: string | number): string;
  /** The serviceUrl for Teams activities (trailing slash, as the Bot Framework sends it). */
  serviceUrl: string;
  counts: FakeCounts;
  answered: Answered;
  /** Everything the server sent so far (Web API calls, response_url posts and connector calls). */
  total(): number;
  close(): Promise<void>;
}

export const BOT_USER_ID = 'U0VMKBOT';
export const BOT_ID = 'B0VMKBOT';
export const TEAM_ID = 'T0BENCH';

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The thread_ts of a chat.postMessage call (the Web API client sends form-encoded or JSON bodies). */
function threadOf(body: string, contentType: string | undefined): string | undefined {
  try {
    if (contentType?.includes('application/json')) {
      const v = (JSON.parse(body) as { thread_ts?: unknown }).thread_ts;
      return typeof v === 'string' ? v : undefined;
    }
    return new URLSearchParams(body).get('thread_ts') ?? undefined;
  } catch {
    return undefined;
  }
}

export async function startFakes(): Promise<Fakes> {
  const counts: FakeCounts = { webApi: {}, responseUrl: 0, connector: 0 };
  const answered: Answered = { slashCommands: new Set(), mentions: new Set(), teamsActivities: new Set() };
  let ts = 0;
  let activity = 0;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (url.startsWith('/api/')) {
        const method = url.slice(5).split('?')[0] ?? '';
        counts.webApi[method] = (counts.webApi[method] ?? 0) + 1;
        if (method === 'chat.postMessage') {
          const thread = threadOf(Buffer.concat(chunks).toString('utf8'), req.headers['content-type']);
          if (thread) answered.mentions.add(thread);
        }
        switch (method) {
          case 'auth.test':
            return json(res, 200, { ok: true, url: 'https://bench.slack.com/', team: 'Bench', user: 'vmk', team_id: TEAM_ID, user_id: BOT_USER_ID, bot_id: BOT_ID });
          case 'chat.postMessage':
          case 'chat.postEphemeral':
          case 'chat.update':
            return json(res, 200, { ok: true, channel: 'C0BENCH', ts: `1700000000.${String(++ts).padStart(6, '0')}`, message_ts: `1700000000.${String(ts).padStart(6, '0')}` });
          default:
            return json(res, 200, { ok: true });
        }
      }
      if (url.startsWith('/response/')) {
        counts.responseUrl++;
        answered.slashCommands.add(url.slice('/response/'.length));
        return json(res, 200, { ok: true });
      }
      if (url.startsWith('/v3/conversations/')) {
        counts.connector++;
        // POST .../activities/{replyToId}: the activity this is a reply to.
        const replyTo = /\/activities\/([^/?]+)$/.exec(url)?.[1];
        if (req.method === 'POST' && replyTo) answered.teamsActivities.add(decodeURIComponent(replyTo));
        return json(res, 200, { id: `activity-${++activity}` });
      }
      return json(res, 404, { ok: false, error: 'unknown_path' });
    });
  };

  const server = createServer({ keepAliveTimeout: 30_000 }, handle);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    slackApiUrl: `${base}/api/`,
    responseUrl: (id) => `${base}/response/${id}`,
    serviceUrl: `${base}/`,
    counts,
    answered,
    total: () => Object.values(counts.webApi).reduce((s, n) => s + n, 0) + counts.responseUrl + counts.connector,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
