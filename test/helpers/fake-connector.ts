/**
 * A local stand-in for the Bot Framework connector service (the activity's
 * serviceUrl). It records every call to
 *   POST /v3/conversations/:conversationId/activities[/:activityId]  (send / reply)
 *   PUT  /v3/conversations/:conversationId/activities/:activityId    (update)
 * and answers `{ id }`, so tests can read back what the bot sent.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedCall {
  method: 'POST' | 'PUT' | 'DELETE';
  conversationId: string;
  /** The activity replied to (POST) or updated (PUT), when the path names one. */
  activityId?: string;
  /** The id the fake gave the activity (POST), or the updated id (PUT). */
  id: string;
  authorization?: string;
  body: FakeActivity;
}

/** What the bot sends: loosely typed, read by tests. */
export interface FakeActivity {
  type?: string;
  id?: string;
  text?: string;
  summary?: string;
  replyToId?: string;
  attachments?: { contentType: string; content: unknown }[];
  [key: string]: unknown;
}

export interface FakeConnector {
  /** e.g. http://127.0.0.1:54321/ (what activities carry as serviceUrl). */
  url: string;
  calls: RecordedCall[];
  /** Answers the next `n` calls with this status (e.g. 429) before behaving normally. */
  failNext(n: number, status: number, headers?: Record<string, string>): void;
  /** Resolves when at least `n` calls have been recorded (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<RecordedCall[]>;
  /** Every request seen, including refused and unknown ones. */
  requests: { method: string; url: string; status: number }[];
  reset(): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const ROUTE = /^\/v3\/conversations\/([^/]+)\/activities(?:\/([^/?]+))?\/?(?:\?.*)?$/;

export async function startFakeConnector(): Promise<FakeConnector> {
  const calls: RecordedCall[] = [];
  const requests: FakeConnector['requests'] = [];
  const failures: { status: number; headers: Record<string, string> }[] = [];
  const waiters: { n: number; resolve: (c: RecordedCall[]) => void }[] = [];
  let counter = 0;

  const notify = () => {
    for (const w of [...waiters]) {
      if (calls.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve([...calls]);
      }
    }
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const url = req.url ?? '';
      const method = req.method ?? 'GET';
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        requests.push({ method, url, status });
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      const match = ROUTE.exec(url);
      if (!match || !['POST', 'PUT', 'DELETE'].includes(method)) return send(404, { error: { code: 'NotFound', message: url } });
      const failure = failures.shift();
      if (failure) return send(failure.status, { error: { code: 'Throttled', message: 'fake failure' } }, failure.headers);
      let body: FakeActivity;
      try {
        body = raw ? (JSON.parse(raw) as FakeActivity) : {};
      } catch {
        return send(400, { error: { code: 'BadSyntax', message: 'invalid JSON' } });
      }
      const conversationId = decodeURIComponent(match[1] ?? '');
      const activityId = match[2] ? decodeURIComponent(match[2]) : undefined;
      const id = method === 'PUT' && activityId ? activityId : `fake-${++counter}`;
      calls.push({
        method: method as RecordedCall['method'],
        conversationId,
        ...(activityId ? { activityId } : {}),
        id,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        body,
      });
      send(method === 'POST' ? 201 : 200, { id });
      notify();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    calls,
    requests,
    failNext(n, status, headers = {}) {
      for (let i = 0; i < n; i++) failures.push({ status, headers });
    },
    waitFor(n, timeoutMs = 5_000) {
      if (calls.length >= n) return Promise.resolve([...calls]);
      return new Promise((resolve, reject) => {
        const w = { n, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            reject(new Error(`fake connector: expected ${n} calls, got ${calls.length} within ${timeoutMs} ms`));
          }
        }, timeoutMs).unref();
      });
    },
    reset() {
      calls.length = 0;
      requests.length = 0;
      failures.length = 0;
    },
    close() {
      return new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
