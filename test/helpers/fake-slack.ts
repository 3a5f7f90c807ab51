/**
 * A local stand-in for the Slack Web API and for `response_url`s. Point
 * SLACK_API_URL at `fake.apiUrl`, give requests `fake.responseUrl(id)`, and
 * every call the bot makes is recorded in `fake.calls`.
 *
 *   const fake = await startFakeSlack();
 *   fake.failNext(2, { status: 429, retryAfter: 1 });  // the next two calls are rate limited
 *   fake.faultNext(1, { kind: 'drop', method: 'chat.postMessage' });  // carried out, then the connection drops
 *   fake.stall({ method: 'chat.postMessage' });  // every such call hangs (carried out, never answered) ...
 *   fake.recover();                              // ... until now
 *   await fake.waitFor((c) => c.method === 'chat.postMessage');
 *
 * Slash commands are answered in their acknowledgement: `sendSlashCommand`
 * returns the parsed ack body; later replies arrive at the response_url.
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export const FAKE_BOT_USER_ID = 'UBOTVMK';
export const FAKE_BOT_ID = 'BBOTVMK';
export const FAKE_TEAM_ID = 'T0FAKE';
/** A token the fake rejects with `invalid_auth`, as Slack does for a revoked one. */
export const REVOKED_TOKEN = 'xoxb-revoked';

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

/**
 * A network fault. `drop`: the call is carried out (recorded in `calls`), then
 * the connection is closed without an answer, as when a connection breaks
 * after the request arrived. `hang`: no answer at all while the fault lasts;
 * with `landed` (the default) the call is carried out and recorded first, as
 * a server that did the work but never replied; with `landed: false` it is
 * only recorded in `attempts`.
 */
export interface NetworkFault {
  kind: 'drop' | 'hang';
  /** Only calls to this method (or 'response_url') are affected. */
  method?: string;
  landed?: boolean;
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
  /** The next `n` matching requests meet `fault`. */
  faultNext(n: number, fault: NetworkFault): void;
  /** Every matching request hangs until `recover()` (a hung Slack API). */
  stall(fault?: Omit<NetworkFault, 'kind'>): void;
  /** Ends `stall`: new requests are answered again (requests already hanging stay unanswered, as their connections would). */
  recover(): void;
  /** How many requests are hanging right now. */
  readonly hanging: number;
  /** Waits until some successful call matches (default 5 s). */
  waitFor(pred: (c: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  /** Waits until `count` successful calls match. */
  waitForCount(pred: (c: RecordedCall) => boolean, count: number, timeoutMs?: number): Promise<RecordedCall[]>;
  reset(): void;
  /** The WebSocket URL `apps.connections.open` returns (Socket Mode). */
  setConnectionsOpenUrl(url: string): void;
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
  let faults: { remaining: number; fault: NetworkFault }[] = [];
  let stalled: Omit<NetworkFault, 'kind'> | null = null;
  const hung = new Set<IncomingMessage>();
  let connectionsOpenUrl: string | null = null;
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

      const matches = (m?: string) => !m || m === method;
      let fault: NetworkFault | null = stalled && matches(stalled.method) ? { kind: 'hang', ...stalled } : null;
      if (!fault) {
        const next = faults.find((f) => f.remaining > 0 && matches(f.fault.method));
        if (next) {
          next.remaining -= 1;
          fault = next.fault;
        }
        faults = faults.filter((f) => f.remaining > 0);
      }
      if (fault) {
        call.status = 0;
        attempts.push(call);
        if (fault.landed !== false) {
          calls.push(call);
          for (const wake of [...waiters]) wake();
        }
        if (fault.kind === 'drop') {
          req.socket.destroy();
          return;
        }
        hung.add(req);
        req.socket.once('close', () => hung.delete(req));
        return;
      }

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
      if (!isResponseUrl && req.headers.authorization === `Bearer ${REVOKED_TOKEN}`) {
        res.end(JSON.stringify({ ok: false, error: 'invalid_auth' }));
        return;
      }
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
        case 'apps.connections.open':
          res.end(JSON.stringify(connectionsOpenUrl ? { ok: true, url: connectionsOpenUrl } : { ok: false, error: 'socket_mode_not_set_up' }));
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
    faultNext(n, fault) {
      faults.push({ remaining: n, fault });
    },
    stall(fault = {}) {
      stalled = fault;
    },
    recover() {
      stalled = null;
    },
    get hanging() {
      return hung.size;
    },
    waitFor: async (pred, timeoutMs) => (await waitForCount(pred, 1, timeoutMs))[0] as RecordedCall,
    waitForCount,
    setConnectionsOpenUrl(url) {
      connectionsOpenUrl = url;
    },
    reset() {
      calls.length = 0;
      attempts.length = 0;
      failures = [];
      faults = [];
      stalled = null;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------
// Signed requests, as Slack sends them.


export interface SignedRequestOptions {
  secret: string;
  /** Seconds since epoch; default now. */
  timestamp?: number;
  /** Replace the signature (bad-signature tests). */
  signature?: string;
  /** Leave out X-Slack-Signature / X-Slack-Request-Timestamp. */
  omitHeaders?: boolean;
  retryNum?: number;
}

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** POSTs a body to /slack/events the way Slack does. */
export async function postToSlackEndpoint(
  baseUrl: string,
  body: string,
  contentType: 'application/json' | 'application/x-www-form-urlencoded',
  opts: SignedRequestOptions,
): Promise<Response> {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const headers: Record<string, string> = { 'content-type': contentType };
  if (!opts.omitHeaders) {
    headers['x-slack-request-timestamp'] = String(timestamp);
    headers['x-slack-signature'] = opts.signature ?? slackSignature(opts.secret, timestamp, body);
  }
  if (opts.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(opts.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  return fetch(`${baseUrl}/slack/events`, { method: 'POST', headers, body });
}

/** A request's acknowledgement as Slack reads it: the HTTP 200 body is the first reply to a slash command. */
export interface Acknowledgement {
  status: number;
  contentType: string | null;
  /** The response body as sent ('' for an empty ack). */
  raw: string;
  /** The parsed body: JSON as is, a plain-text body as `{ text }` (Slack shows it as the message), `{}` when empty. */
  body: Record<string, unknown>;
  /** Milliseconds from sending the request to reading the whole response. */
  ms: number;
}

/** Sends a signed form-encoded request (a slash command or a click) and reads its acknowledgement. */
export async function postForAck(baseUrl: string, formBody: string, opts: SignedRequestOptions): Promise<Acknowledgement> {
  const started = performance.now();
  const res = await postToSlackEndpoint(baseUrl, formBody, 'application/x-www-form-urlencoded', opts);
  const raw = await res.text();
  const ms = performance.now() - started;
  const contentType = res.headers.get('content-type');
  let body: Record<string, unknown> = {};
  if (raw && contentType?.includes('application/json')) body = JSON.parse(raw) as Record<string, unknown>;
  else if (raw) body = { text: raw };
  return { status: res.status, contentType, raw, body, ms };
}

/** Sends a signed slash command and returns its acknowledgement (which carries the reply when vmk answers at once). */
export function sendSlashCommand(baseUrl: string, fields: Parameters<typeof slashCommand>[0], opts: SignedRequestOptions): Promise<Acknowledgement> {
  return postForAck(baseUrl, slashCommand(fields), opts);
}

let eventSeq = 0;

/** An Events API envelope around `event`. */
export function eventCallback(event: Record<string, unknown>, opts: { eventId?: string; team?: string } = {}): string {
  eventSeq += 1;
  const team = opts.team ?? FAKE_TEAM_ID;
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: team,
    api_app_id: 'A0VMK',
    event: { event_ts: event.ts, ...event },
    type: 'event_callback',
    event_id: opts.eventId ?? `Ev${Date.now()}${eventSeq}`,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: team, user_id: FAKE_BOT_USER_ID, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  });
}

/** A form-encoded slash command. */
export function slashCommand(fields: { text: string; user: string; channel: string; responseUrl: string; team?: string; command?: string }): string {
  return new URLSearchParams({
    token: 'legacy-verification-token',
    team_id: fields.team ?? FAKE_TEAM_ID,
    team_domain: 'fake',
    channel_id: fields.channel,
    channel_name: 'general',
    user_id: fields.user,
    user_name: fields.user.toLowerCase(),
    command: fields.command ?? '/vmk-advise',
    text: fields.text,
    api_app_id: 'A0VMK',
    is_enterprise_install: 'false',
    response_url: fields.responseUrl,
    trigger_id: `${Date.now()}.trigger`,
  }).toString();
}

/** A form-encoded block_actions payload for a click on one button. */
export function blockActions(fields: {
  user: string;
  actionId: string;
  value: string;
  responseUrl?: string;
  team?: string;
  /** A click on a message in this channel (ephemeral unless `messageTs` is given). */
  channel?: string;
  messageTs?: string;
  threadTs?: string;
  /** A click on the Home tab instead. */
  homeView?: { privateMetadata?: string };
}): string {
  const team = fields.team ?? FAKE_TEAM_ID;
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    team: { id: team, domain: 'fake' },
    user: { id: fields.user, username: fields.user.toLowerCase(), team_id: team },
    api_app_id: 'A0VMK',
    token: 'legacy-verification-token',
    trigger_id: `${Date.now()}.trigger`,
    actions: [{ type: 'button', action_id: fields.actionId, block_id: 'b', text: { type: 'plain_text', text: 'x' }, value: fields.value, action_ts: `${Date.now() / 1000}` }],
  };
  if (fields.homeView) {
    payload.container = { type: 'view', view_id: 'VHOME' };
    payload.view = { id: 'VHOME', type: 'home', private_metadata: fields.homeView.privateMetadata ?? '', blocks: [] };
  } else {
    const ephemeral = fields.messageTs === undefined;
    payload.container = {
      type: 'message',
      message_ts: fields.messageTs ?? `${Math.floor(Date.now() / 1000)}.000001`,
      channel_id: fields.channel,
      is_ephemeral: ephemeral,
      ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}),
    };
    payload.channel = { id: fields.channel, name: 'general' };
    if (!ephemeral) payload.message = { type: 'message', ts: fields.messageTs, ...(fields.threadTs ? { thread_ts: fields.threadTs } : {}), blocks: [] };
    if (fields.responseUrl) payload.response_url = fields.responseUrl;
  }
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Buttons in recorded blocks: action_id and value (JSON of the core's Action). */
export function buttonsIn(body: Record<string, unknown>): { actionId: string; label: string; value: string; action: Record<string, unknown> }[] {
  const blocks = (body.blocks ?? (body.view as { blocks?: unknown } | undefined)?.blocks ?? []) as { type: string; elements?: { type: string; action_id: string; value?: string; text: { text: string } }[] }[];
  return blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .filter((e) => e.type === 'button' && typeof e.value === 'string')
    .map((e) => ({ actionId: e.action_id, label: e.text.text, value: e.value as string, action: JSON.parse(e.value as string) as Record<string, unknown> }));
}

// ---------------------------------------------------------------------------
// Socket Mode: a minimal WebSocket endpoint (RFC 6455 text frames, ping/pong,
// close), enough for @slack/socket-mode. `apps.connections.open` on the fake
// Web API hands out its URL.

export interface FakeSocketMode {
  /** Resolves when a client has connected and been greeted with `hello`. */
  connected(timeoutMs?: number): Promise<void>;
  /** Sends an envelope (`events_api`, `slash_commands`, `interactive`) and resolves with the client's ack. */
  push(type: 'events_api' | 'slash_commands' | 'interactive', payload: unknown, timeoutMs?: number): Promise<{ envelope_id: string; payload?: unknown }>;
  close(): Promise<void>;
}

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function wsFrame(opcode: number, data: Buffer): Buffer {
  const len = data.length;
  let head: Buffer;
  if (len < 126) head = Buffer.from([0x80 | opcode, len]);
  else if (len < 65536) head = Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff]);
  else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  return Buffer.concat([head, data]);
}

/** Starts the WebSocket side and makes `apps.connections.open` on `fake` point at it. */
export async function startFakeSocketMode(fake: FakeSlack): Promise<FakeSocketMode> {
  const sockets = new Set<Duplex>();
  let current: Duplex | null = null;
  let onConnect: (() => void) | null = null;
  const acks = new Map<string, (msg: { envelope_id: string; payload?: unknown }) => void>();
  let envelopeSeq = 0;

  const server = createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', (req, socket) => {
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') {
      socket.destroy();
      return;
    }
    const accept = createHash('sha1').update(key + WS_GUID).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    sockets.add(socket);
    current = socket;
    socket.on('close', () => {
      sockets.delete(socket);
      if (current === socket) current = null;
    });
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (buf.length < 2) return;
        const opcode = (buf[0] as number) & 0x0f;
        const masked = ((buf[1] as number) & 0x80) !== 0;
        let len = (buf[1] as number) & 0x7f;
        let offset = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          offset = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          offset = 10;
        }
        const maskLen = masked ? 4 : 0;
        if (buf.length < offset + maskLen + len) return;
        const mask = buf.subarray(offset, offset + maskLen);
        const data = Buffer.from(buf.subarray(offset + maskLen, offset + maskLen + len));
        if (masked) for (let i = 0; i < data.length; i++) data[i] = (data[i] as number) ^ (mask[i % 4] as number);
        buf = buf.subarray(offset + maskLen + len);
        if (opcode === 0x9) socket.write(wsFrame(0xa, data));
        else if (opcode === 0x8) socket.end(wsFrame(0x8, Buffer.alloc(0)));
        else if (opcode === 0x1) {
          const msg = JSON.parse(data.toString('utf8')) as { envelope_id: string; payload?: unknown };
          acks.get(msg.envelope_id)?.(msg);
        }
      }
    });
    socket.write(wsFrame(0x1, Buffer.from(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0VMK' }, debug_info: { host: 'fake' } }))));
    onConnect?.();
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  fake.setConnectionsOpenUrl(`ws://127.0.0.1:${port}/link`);

  return {
    connected: (timeoutMs = 5_000) =>
      new Promise<void>((resolve, reject) => {
        if (current) return resolve();
        const timer = setTimeout(() => reject(new Error('no Socket Mode client connected')), timeoutMs);
        onConnect = () => {
          clearTimeout(timer);
          resolve();
        };
      }),
    push: (type, payload, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        if (!current) return reject(new Error('no Socket Mode client connected'));
        const envelope_id = `env-${++envelopeSeq}`;
        const timer = setTimeout(() => reject(new Error(`envelope ${envelope_id} was not acknowledged`)), timeoutMs);
        acks.set(envelope_id, (msg) => {
          clearTimeout(timer);
          resolve(msg);
        });
        const envelope = { envelope_id, type, payload, accepts_response_payload: type !== 'events_api', retry_attempt: 0, retry_reason: '' };
        current.write(wsFrame(0x1, Buffer.from(JSON.stringify(envelope))));
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
