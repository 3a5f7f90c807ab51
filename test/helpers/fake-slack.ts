/**
 * A local stand-in for the Slack Web API and for `response_url`s. Point
 * SLACK_API_URL at `fake.apiUrl`, give requests `fake.responseUrl(id)`, and
 * every call the bot makes is recorded in `fake.calls`.
 *
 *   const fake = await startFakeSlack();
 *   fake.failNext(2, { status: 429, retryAfter: 1 });  // the next two calls are rate limited
 *   await fake.waitFor((c) => c.method === 'chat.postMessage');
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAKE_BOT_USER_ID = 'UBOTVMK';
export const FAKE_BOT_ID = 'BBOTVMK';
export const FAKE_TEAM_ID = 'T0FAKE';

export interface RecordedCall {
  /** Web API method (`chat.postMessage`), or `response_url` for posts to a response URL. */
  method: string;
  /** For response_url posts: the id in the URL. */
  responseUrlId?: string;
  /** Parsed body (JSON, or form fields). */
  body: Record<string, unknown>;
  /** The raw request body, to search for forbidden text. */
  raw: string;
  /** What the fake answered. */
  status: number;
  at: number;
}

export interface Failure {
  status: 429 | 500 | 503 | 404;
  /** Seconds, sent as Retry-After (429 only). */
  retryAfter?: number;
  /** Only calls to this method (or 'response_url') fail. */
  method?: string;
}

export interface FakeSlack {
  /** Base URL for SLACK_API_URL, ending in `/api/`. */
  apiUrl: string;
  /** A response_url on the fake. */
  responseUrl(id: string): string;
  /** Successful calls only, in order. */
  readonly calls: RecordedCall[];
  /** Every request, failed ones included. */
  readonly attempts: RecordedCall[];
  /** The next `n` matching requests get `failure` instead of a normal answer. */
  failNext(n: number, failure: Failure): void;
  /** Waits until some successful call matches (default 5 s). */
  waitFor(pred: (c: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  /** Waits until `count` successful calls match. */
  waitForCount(pred: (c: RecordedCall) => boolean, count: number, timeoutMs?: number): Promise<RecordedCall[]>;
  reset(): void;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return { _unparsed: raw };
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    // The WebClient form-encodes arrays and objects as JSON strings.
    if (k === 'blocks' || k === 'view' || k === 'attachments') {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        /* keep the string */
      }
    }
    out[k] = v;
  }
  return out;
}

let tsCounter = 0;
function nextTs(): string {
  tsCounter += 1;
  return `${Math.floor(Date.now() / 1000)}.${String(tsCounter).padStart(6, '0')}`;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: RecordedCall[] = [];
  const attempts: RecordedCall[] = [];
  let failures: { remaining: number; failure: Failure }[] = [];
  const waiters = new Set<() => void>();

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://fake');
      const isResponseUrl = url.pathname.startsWith('/response/');
      const method = isResponseUrl ? 'response_url' : url.pathname.replace(/^\/api\//, '');
      const body = parseBody(raw, req.headers['content-type']);
      const call: RecordedCall = {
        method,
        ...(isResponseUrl ? { responseUrlId: decodeURIComponent(url.pathname.slice('/response/'.length)) } : {}),
        body,
        raw,
        status: 200,
        at: Date.now(),
      };

      const pending = failures.find((f) => f.remaining > 0 && (!f.failure.method || f.failure.method === method));
      if (pending) {
        pending.remaining -= 1;
        call.status = pending.failure.status;
        attempts.push(call);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (pending.failure.status === 429 && pending.failure.retryAfter !== undefined) headers['retry-after'] = String(pending.failure.retryAfter);
        res.writeHead(pending.failure.status, headers);
        res.end(JSON.stringify({ ok: false, error: pending.failure.status === 429 ? 'ratelimited' : 'internal_error' }));
        return;
      }
      failures = failures.filter((f) => f.remaining > 0);
      attempts.push(call);
      calls.push(call);
      for (const wake of [...waiters]) wake();

      res.writeHead(200, { 'content-type': 'application/json' });
      if (isResponseUrl) {
        res.end(JSON.stringify({ ok: true }));
        return;
      }
      switch (method) {
        case 'auth.test':
          res.end(JSON.stringify({ ok: true, url: 'https://fake.slack.test/', team: 'Fake', user: 'vmk', team_id: FAKE_TEAM_ID, user_id: FAKE_BOT_USER_ID, bot_id: FAKE_BOT_ID }));
          return;
        case 'chat.postMessage': {
          const channel = String(body.channel ?? '');
          // Posting to a user id opens the app's DM with that user.
          const resolved = channel.startsWith('U') ? `D${channel.slice(1)}` : channel;
          res.end(JSON.stringify({ ok: true, channel: resolved, ts: nextTs(), message: { text: body.text } }));
          return;
        }
        case 'chat.postEphemeral':
          res.end(JSON.stringify({ ok: true, message_ts: nextTs() }));
          return;
        case 'chat.update':
          res.end(JSON.stringify({ ok: true, channel: body.channel, ts: body.ts, text: body.text }));
          return;
        case 'views.publish':
          res.end(JSON.stringify({ ok: true, view: { id: 'VFAKE', type: 'home' } }));
          return;
        default:
          res.end(JSON.stringify({ ok: false, error: 'unknown_method' }));
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  const waitForCount = (pred: (c: RecordedCall) => boolean, count: number, timeoutMs = 5_000): Promise<RecordedCall[]> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const matched = calls.filter(pred);
        if (matched.length >= count) {
          resolve(matched);
          return true;
        }
        return false;
      };
      if (check()) return;
      const wake = () => {
        if (check()) {
          waiters.delete(wake);
          clearTimeout(timer);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(wake);
        reject(new Error(`fake Slack: expected ${count} matching call(s) within ${timeoutMs} ms; got ${calls.filter(pred).length}. Calls: ${calls.map((c) => c.method).join(', ')}`));
      }, timeoutMs);
      waiters.add(wake);
    });

  return {
    apiUrl: `${base}/api/`,
    responseUrl: (id) => `${base}/response/${encodeURIComponent(id)}`,
    calls,
    attempts,
    failNext(n, failure) {
      failures.push({ remaining: n, failure });
    },
    waitFor: async (pred, timeoutMs) => (await waitForCount(pred, 1, timeoutMs))[0] as RecordedCall,
    waitForCount,
    reset() {
      calls.length = 0;
      attempts.length = 0;
      failures = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
