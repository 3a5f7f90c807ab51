import { App, ExpressReceiver, LogLevel, webApi, type Logger as BoltLogger } from '@slack/bolt';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { hostname } from 'node:os';
import type { SlackConfig } from '../../src/config.js';
import type { Express } from 'express';
import type { Engine } from '../../src/engine.js';
import { VmkError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { noMetrics, type Metrics } from '../../src/metrics.js';
import type { StateStore } from '../../src/store/types.js';
import { ACTION_ID_PATTERN, SLACK_COMMAND, SLACK_EVENTS, type SlackEventName } from './constants.js';
import { DEFAULT_RETRY, describe, taggingFetch, webClientRetryConfig, type RetryPolicy } from './deliver.js';
import { SlackTurns } from './turns.js';
import {
  MAX_TAKEOVERS,
  MAX_WORK_AGE_MS,
  OUTBOX_LEASE_MS,
  OUTBOX_POLL_MS,
  parseWorkData,
  Work,
  WorkTakenOverError,
  type WorkData,
  type WorkKind,
  type WorkPersistence,
} from './work.js';

export { SLACK_COMMAND, SLACK_EVENTS, SLACK_SCOPES } from './constants.js';
export { renderReply, renderHomeView } from './render.js';
export { parseActionValue, serializeAction } from './actions.js';

/** How long a slash command may work before its ack must go out without the answer (Slack allows 3 s). */
export const ACK_BUDGET_MS = 1_500;
/** The largest ack budget accepted: Bolt itself answers 404 to a request not acked within about 3 s. */
const MAX_ACK_BUDGET_MS = 2_500;

/** Resolves with the promise's value, or with 'late' once `ms` have passed first. */
function withinBudget<T>(work: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Acked events and clicks that may wait for a turn before new ones are refused (about 1 s of work at 1,000 turns a second). */
export const DEFAULT_MAX_QUEUED_TURNS = 1_000;
/**
 * How long a new event or click may wait for room in a full queue before it is
 * refused: holding the request (well inside Slack's 3 s) slows the sender down
 * without an error; only a queue that stays full gets 503.
 */
const SHED_HOLD_MS = 2_000;
/** Seconds a refused request is told to wait (Retry-After); Slack itself retries events after about 1 and 5 minutes. */
const SHED_RETRY_AFTER_S = 5;
/** At most one warning about refused requests per this many ms (with the count since the last one). */
const SHED_LOG_EVERY_MS = 10_000;
/**
 * When the oldest accepted event or click still unanswered has waited this
 * long, /readyz reports the delivery queue as stuck (503). Under a heavy burst
 * answers queue for up to about 10 s; 30 s means they are not moving.
 */
export const DEFAULT_QUEUE_STUCK_MS = 30_000;

/**
 * What a request to /slack/events is, from its raw body: only events and
 * clicks are queued after the ack, so only they are refused when the queue is
 * full. Slash commands are answered inside their own request (nothing waits
 * in the queue), and url_verification and ssl_check cost nothing.
 */
export function slackRequestKind(rawBody: string, contentType: string | undefined): 'event' | 'interaction' | 'command' | 'other' {
  if (contentType?.startsWith('application/json')) {
    try {
      const type = (JSON.parse(rawBody) as { type?: unknown } | null)?.type;
      return type === 'event_callback' ? 'event' : 'other';
    } catch {
      return 'other';
    }
  }
  const form = new URLSearchParams(rawBody);
  if (form.has('payload')) return 'interaction';
  if (form.has('command')) return 'command';
  return 'other';
}

/** The largest body read while refusing work (Slack's own payloads are far smaller). */
const SLACK_BODY_LIMIT = 4 * 1024 * 1024;

/** Reads a request body; resolves null when it is larger than `limit` (the rest is discarded). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : null));
    req.on('error', reject);
  });
}

/** The most of a refused upload read and thrown away before its connection is closed outright. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/**
 * Reads and discards what is left of a request whose response is already out.
 * Bolt answers an oversized body with 413 without reading the rest, and the
 * connection is later closed with those bytes unread, which resets it: a
 * client that writes the whole body before it reads the answer then sees
 * ECONNRESET instead of the 413.
 */
function drainAfterResponse(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > DRAIN_LIMIT) req.socket.destroy();
  });
  req.on('error', () => {});
  req.resume();
}

/** The path Slack posts events, slash commands and interactivity to (HTTP mode). */
export const SLACK_EVENTS_PATH = '/slack/events';

/** The typed Slack part of the configuration (src/config.ts parses it once). */
export type { SlackConfig };

export interface MountSlackOptions {
  config: SlackConfig;
  engine: Engine;
  store: StateStore;
  logger: Logger;
  /** Backoff and time limit for Web API and response_url calls. Default: 3 retries, factor 2, from 200 ms; config.timeoutMs (else 4 s) per attempt. */
  retry?: Partial<RetryPolicy>;
  /** How long the oldest unanswered event or click may wait before /readyz reports the queue stuck. Default config.queueStuckMs, else 30 s. */
  queueStuckMs?: number;
  /** How long this process's claim on accepted work lasts without renewal (tests shorten it). Default 10 s. */
  outboxLeaseMs?: number;
  /** Turns answered at the same time; more wait in a queue (they are already acked). Default config.maxConcurrentTurns, else 32. */
  maxConcurrentTurns?: number;
  /**
   * How many acked events and clicks may wait for a turn. When that many wait,
   * new event and interactivity requests get 503 with Retry-After before Bolt
   * acknowledges them, so Slack delivers events again later (deduplication by
   * event id makes the retry safe). Default config.maxQueuedTurns, else
   * DEFAULT_MAX_QUEUED_TURNS.
   */
  maxQueuedTurns?: number;
  /** Largest request body accepted on /slack/events (VMK_MAX_BODY_BYTES); larger ones get 413. Default Bolt's 4 MiB. */
  maxBodyBytes?: number;
  /**
   * How long a slash command's turn may take for its first reply to travel in
   * the acknowledgement; a slower turn is acked empty and answered through
   * response_url. Default ACK_BUDGET_MS (1.5 s); at most 2.5 s.
   */
  ackBudgetMs?: number;
  /** Where delivery retries and failures and the queue depth are reported (src/metrics.ts); default: nowhere. */
  metrics?: Metrics;
}

export interface SlackHealth {
  ok: boolean;
  /** Why not, for /readyz. */
  reason?: string;
}

export interface SlackHandle {
  /** Stops taking new Slack work and waits for turns in flight. */
  stop(): Promise<void>;
  /** Whether accepted events and clicks are being answered (for /readyz). */
  health(): SlackHealth;
}

function required(value: string | undefined, problem: string): string {
  if (!value) throw new VmkError('VMK_SLACK_CONFIG', problem);
  return value;
}

/** Bolt's logger interface on top of vmk's logger. */
function boltLogger(logger: Logger): BoltLogger {
  let level = LogLevel.INFO;
  const text = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg: unknown[]) => logger.debug({ source: 'bolt' }, text(msg)),
    info: (...msg: unknown[]) => logger.info({ source: 'bolt' }, text(msg)),
    warn: (...msg: unknown[]) => logger.warn({ source: 'bolt' }, text(msg)),
    error: (...msg: unknown[]) => logger.error({ source: 'bolt' }, text(msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/**
 * Why the start-up token check failed, in words that point at the fix: a
 * network failure (no answer, DNS, a refused connection) or an HTTP error is
 * not a wrong token, and only Slack's own refusal (invalid_auth and the like)
 * means the token needs a look.
 */
export function authTestFailure(err: unknown, apiUrl: string | undefined): VmkError {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const where = apiUrl ?? 'https://slack.com/api/';
  const { message } = describe(err);
  if (code === 'slack_webapi_request_error') {
    const system = systemErrorCode(err);
    return new VmkError(
      'VMK_SLACK_UNREACHABLE',
      `Could not reach Slack at ${where} to check SLACK_BOT_TOKEN: the network request failed (${system ? `${system}: ` : ''}${message}). This is not a problem with the token: check that this host can reach ${where} (DNS, proxy, firewall${apiUrl ? ', SLACK_API_URL' : ''}) and start vmk again.`,
      { cause: err },
    );
  }
  if (code === 'slack_webapi_http_error' || code === 'slack_webapi_rate_limited_error') {
    return new VmkError(
      'VMK_SLACK_UNREACHABLE',
      `Slack at ${where} did not answer the token check (${message}). This is not a problem with the token: Slack or a proxy in between failed; start vmk again in a minute${apiUrl ? ', and check SLACK_API_URL' : ''}.`,
      { cause: err },
    );
  }
  return new VmkError(
    'VMK_SLACK_AUTH',
    `Slack did not accept SLACK_BOT_TOKEN (auth.test failed: ${message}). Check the bot token (xoxb-...) under OAuth & Permissions${apiUrl ? ` and SLACK_API_URL=${apiUrl}` : ''}.`,
    { cause: err },
  );
}

/** The system error behind a failed request (ECONNREFUSED, ENOTFOUND, ETIMEDOUT...), found along its causes. */
function systemErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(c)) return c;
    const next = e as { original?: unknown; cause?: unknown };
    e = next.original ?? next.cause;
  }
  return undefined;
}

/**
 * Mounts the Slack adapter. In HTTP mode Bolt's ExpressReceiver adds
 * `POST /slack/events` to the given Express app (signature check, then the
 * listeners); the app must not have a body parser in front of that route.
 * In Socket Mode nothing is mounted and Bolt connects out with the app token.
 *
 * Resolves once the bot token has been checked with `auth.test`; rejects
 * with a VmkError that says what to fix when it is not accepted.
 */
export async function mountSlack(app: Express, opts: MountSlackOptions): Promise<SlackHandle> {
  const { config, engine, store } = opts;
  const logger = opts.logger.child({ component: 'slack' });
  const metrics = opts.metrics ?? noMetrics;
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...(config.timeoutMs ? { timeoutMs: config.timeoutMs } : {}), ...opts.retry, onRetry: () => metrics.deliveryRetry('slack') };
  const queueStuckMs = Math.max(1, opts.queueStuckMs ?? config.queueStuckMs ?? DEFAULT_QUEUE_STUCK_MS);
  const leaseMs = Math.max(1, opts.outboxLeaseMs ?? OUTBOX_LEASE_MS);
  const ackBudgetMs = Math.min(Math.max(opts.ackBudgetMs ?? ACK_BUDGET_MS, 0), MAX_ACK_BUDGET_MS);
  const blog = boltLogger(logger);
  // Configuration problems first, before any network call.
  const mode =
    config.mode === 'socket'
      ? { kind: 'socket' as const, appToken: required(config.appToken, 'Socket Mode needs SLACK_APP_TOKEN (an xapp- token with the connections:write scope).') }
      : {
          kind: 'http' as const,
          signingSecret: required(config.signingSecret, 'HTTP mode needs SLACK_SIGNING_SECRET (Basic Information → App Credentials in the Slack app settings).'),
        };
  // Every Web API call has a time limit, and a call that may have been carried out is not repeated (see deliver.ts).
  const clientOptions = {
    ...(config.apiUrl ? { slackApiUrl: config.apiUrl.endsWith('/') ? config.apiUrl : `${config.apiUrl}/` } : {}),
    retryConfig: webClientRetryConfig(retry),
    timeout: retry.timeoutMs,
    fetch: taggingFetch,
    logger: blog,
  };

  // Check the token first, so a wrong one stops start-up with a clear message before any route is mounted.
  let auth: { user_id?: string; bot_id?: string };
  try {
    auth = await new webApi.WebClient(config.botToken, clientOptions).auth.test();
  } catch (err) {
    throw authTestFailure(err, config.apiUrl);
  }
  if (!auth.user_id || !auth.bot_id) {
    throw new VmkError('VMK_SLACK_AUTH', 'SLACK_BOT_TOKEN is not a bot token (auth.test returned no bot id); use the Bot User OAuth Token (xoxb-...).');
  }
  const ids = { botId: auth.bot_id, botUserId: auth.user_id };

  let stopped = false;
  const inflight = new Set<Promise<unknown>>();
  let bolt: App;

  // Work runs after the ack, at most `maxConcurrent` turns at a time: under a burst the
  // event loop keeps acknowledging new requests (Slack wants that within 3 s) while the
  // answers queue up, instead of every request competing for the CPU at once. The queue
  // is bounded by `maxQueued`: past it, new events and clicks are refused (see below).
  const maxConcurrent = Math.max(1, opts.maxConcurrentTurns ?? config.maxConcurrentTurns ?? 32);
  const maxQueued = Math.max(0, opts.maxQueuedTurns ?? config.maxQueuedTurns ?? DEFAULT_MAX_QUEUED_TURNS);
  let running = 0;
  const queue: (() => void)[] = [];
  metrics.queueDepth('slack', () => queue.length);
  /** Requests held while the queue is full, each woken when a queued turn starts. */
  const waiting: (() => void)[] = [];
  const roomInQueue = (ms: number): Promise<boolean> => {
    if (queue.length < maxQueued) return Promise.resolve(true);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        const i = waiting.indexOf(wake);
        if (i >= 0) waiting.splice(i, 1);
        resolve(queue.length < maxQueued);
      }, ms);
      waiting.push(wake);
    });
  };
  const shed = { count: 0, sinceLog: 0, lastLog: -Infinity };
  const noteShed = (kind: string) => {
    shed.count += 1;
    shed.sinceLog += 1;
    const now = performance.now();
    if (now - shed.lastLog < SHED_LOG_EVERY_MS) return;
    logger.warn(
      { refused: shed.sinceLog, refusedTotal: shed.count, kind, queued: queue.length, running, maxQueuedTurns: maxQueued },
      'Slack work queue full: held new events and clicks, refusing with 503 those still without room after the wait',
    );
    shed.sinceLog = 0;
    shed.lastLog = now;
  };

  if (mode.kind === 'socket') {
    bolt = new App({
      token: config.botToken,
      appToken: mode.appToken,
      socketMode: true,
      logger: blog,
      clientOptions,
      ...ids,
      convoStore: false,
    });
  } else {
    // After stop() the route answers 503 so Slack retries against another instance.
    // While the queue is full, events and clicks get 503 + Retry-After before Bolt acks
    // them: the body is read here (Bolt takes it from req.rawBody) only on that rare path.
    app.use(SLACK_EVENTS_PATH, (req, res, next) => {
      res.once('finish', () => drainAfterResponse(req));
      if (stopped) {
        res.status(503).end();
        return;
      }
      if (queue.length < maxQueued || req.method !== 'POST') {
        next();
        return;
      }
      readBody(req, SLACK_BODY_LIMIT).then(
        (raw) => {
          if (!raw) {
            res.status(413).end();
            return;
          }
          const kind = slackRequestKind(raw.toString('utf8'), req.headers['content-type']);
          const proceed = () => {
            (req as typeof req & { rawBody?: Buffer }).rawBody = raw;
            next();
          };
          if (kind !== 'event' && kind !== 'interaction') return proceed();
          // Wait a little for room (the queue may also have drained while the body arrived).
          return roomInQueue(SHED_HOLD_MS).then((room) => {
            if (room && !stopped) return proceed();
            noteShed(kind);
            res.setHeader('Retry-After', String(SHED_RETRY_AFTER_S));
            res.status(503).end();
          });
        },
        (err: unknown) => next(err),
      );
    });
    // processBeforeResponse: the acknowledgement goes out when the listener returns, and
    // the listeners return as soon as the work is recorded in the outbox (the answer is
    // worked out afterwards), so nothing Slack was told arrived is lost in a crash.
    const receiver = new ExpressReceiver({
      signingSecret: mode.signingSecret,
      app,
      endpoints: SLACK_EVENTS_PATH,
      processBeforeResponse: true,
      logger: blog,
      ...(opts.maxBodyBytes ? { bodyLimit: opts.maxBodyBytes } : {}),
      processEventErrorHandler: async ({ error, response }) => {
        logger.error({ err: describe(error) }, 'Bolt could not process a request');
        if (response.headersSent) return false;
        response.writeHead(500);
        response.end();
        return true;
      },
    });
    bolt = new App({ receiver, token: config.botToken, logger: blog, clientOptions, ...ids, convoStore: false });
  }

  const turns = new SlackTurns({ engine, store, logger, retry, metrics, ...ids });

  /** Work runs after the ack; it is tracked so stop() can wait for it, and it never throws into Bolt. */
  const next = () => {
    if (running >= maxConcurrent) return;
    const start = queue.shift();
    if (!start) return;
    running += 1;
    // One slot freed in the queue: let one held request in.
    waiting.shift()?.();
    start();
  };
  const track = (what: string, work: () => Promise<void>): Promise<void> => {
    if (stopped) return Promise.resolve();
    const p = new Promise<void>((resolve) => {
      queue.push(() => {
        // Started on the next turn of the event loop, after the ack has been written.
        setImmediate(() => {
          work()
            .catch((err: unknown) => logger.error({ err: describe(err), what }, 'Slack listener failed'))
            .finally(() => {
              running -= 1;
              resolve();
              next();
            });
        });
      });
      next();
    });
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
    return p;
  };

  // One registration per subscribed event: the Record type makes a missing one a compile error.
  // Requests vmk has no listener for (another app's command, a shortcut, a modal
  // submission, a button it never rendered) are acknowledged at once and dropped,
  // instead of waiting out Bolt's 3-second timeout and its 404.
  bolt.use(async ({ body, ack, next }) => {
    if (ack && !isForVmk(body)) {
      logger.debug({ type: (body as { type?: unknown }).type }, 'Slack request without a vmk listener acknowledged and ignored');
      await ack();
      return;
    }
    await next();
  });

  // Accepted work: recorded in the store's outbox before the acknowledgement, removed when
  // answered. Work left behind by a process that died is taken over once its lease runs out.
  const outbox = store.outbox ?? null;
  if (!outbox) logger.warn({ store: store.kind }, 'this store has no outbox: acknowledged Slack events and clicks are lost if the process dies before answering them');
  const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const persistence: WorkPersistence | null = outbox ? { outbox, holder, leaseMs, logger } : null;
  /** Work accepted or taken over here and not finished, in the order it came: id → performance.now() then. */
  const held = new Map<string, number>();
  const outboxFailures = { count: 0, lastLog: -Infinity };
  const noteOutboxFailure = (err: unknown, what: string) => {
    outboxFailures.count += 1;
    const now = performance.now();
    if (now - outboxFailures.lastLog < SHED_LOG_EVERY_MS) return;
    outboxFailures.lastLog = now;
    logger.warn({ err: describe(err), failures: outboxFailures.count }, `${what}; answering without crash protection while the store is unavailable`);
  };

  const runWork = (work: Work, client: webApi.WebClient): Promise<void> => {
    switch (work.kind) {
      case 'app_mention':
        return turns.onMention(work.body, client, work);
      case 'message':
        return turns.onMessage(work.body, client, work);
      case 'app_home_opened':
        return turns.onHomeOpened(work.body, client, work);
      case 'block_actions':
        return turns.onAction(work.body, client, work);
      default: {
        const kind: never = work.kind;
        return Promise.reject(new Error(`unknown Slack work kind ${String(kind)}`));
      }
    }
  };
  const start = (work: Work, client: webApi.WebClient): void => {
    if (stopped) return;
    held.set(work.id, performance.now());
    void track(work.kind, async () => {
      try {
        await runWork(work, client);
      } catch (err) {
        if (err instanceof WorkTakenOverError) {
          logger.warn({ work: work.id }, err.message);
          return;
        }
        throw err;
      } finally {
        held.delete(work.id);
      }
      if (outbox) await outbox.remove(work.id).catch((err: unknown) => noteOutboxFailure(err, 'could not remove finished Slack work from the outbox'));
    });
  };
  /** Records new work, then starts it (after the acknowledgement). */
  const accept = async (kind: WorkKind, body: unknown, client: webApi.WebClient): Promise<void> => {
    if (stopped) return;
    const id = randomUUID();
    const data: WorkData = { v: 1, kind, body };
    let saved = false;
    if (outbox) {
      try {
        await outbox.add(id, JSON.stringify(data), holder, leaseMs);
        saved = true;
      } catch (err) {
        noteOutboxFailure(err, 'could not record accepted Slack work in the outbox');
      }
    }
    start(new Work(id, data, saved ? persistence : null), client);
  };
  /** Renews the leases of work held here and takes over work whose holder stopped renewing it. */
  const resume = async (): Promise<void> => {
    if (!outbox || stopped) return;
    if (held.size > 0) await outbox.renew([...held.keys()], holder, leaseMs);
    const room = Math.min(maxQueued - queue.length, 100);
    if (room <= 0) return;
    for (const entry of await outbox.takeExpired(holder, leaseMs, room)) {
      if (held.has(entry.id)) continue;
      const data = parseWorkData(entry.data);
      const age = Date.now() - entry.createdAt;
      if (!data || entry.takeovers > MAX_TAKEOVERS || age > MAX_WORK_AGE_MS) {
        logger.error(
          { work: entry.id, takeovers: entry.takeovers, ageMs: age, parsed: data !== null },
          'dropping Slack work from the outbox: unreadable, too old, or taken over too often without finishing',
        );
        await outbox.remove(entry.id);
        continue;
      }
      logger.info({ work: entry.id, kind: data.kind, takeovers: entry.takeovers, sent: data.sent ?? 0, replies: data.replies?.length }, 'resuming accepted Slack work left unfinished by a stopped process');
      start(new Work(entry.id, data, persistence), bolt.client);
    }
  };
  let resuming: Promise<void> = Promise.resolve();
  const poll = () => {
    resuming = resume().catch((err: unknown) => noteOutboxFailure(err, 'could not renew or resume Slack work in the outbox'));
  };
  const poller = setInterval(poll, Math.max(10, Math.min(OUTBOX_POLL_MS, Math.floor(leaseMs / 4))));
  poller.unref();

  const registerEvent: Record<SlackEventName, () => void> = {
    app_mention: () => bolt.event('app_mention', ({ body, client }) => accept('app_mention', body, client)),
    // Only DMs vmk answers are recorded: edits, its own posts and other noise cost no write.
    'message.im': () => bolt.message(({ body, client }) => (turns.answersMessage(body) ? accept('message', body, client) : Promise.resolve())),
    app_home_opened: () => bolt.event('app_home_opened', ({ body, client }) => accept('app_home_opened', body, client)),
  };
  for (const name of SLACK_EVENTS) registerEvent[name]();

  // A slash command's first reply travels in the acknowledgement when the turn finishes
  // within the ack budget (nearly always: turns take milliseconds), which saves an
  // outbound call per command; further replies follow through response_url. A slower
  // turn gets an empty ack at the budget and all its replies through response_url.
  bolt.command(SLACK_COMMAND, async ({ ack, body }) => {
    if (stopped) return ack();
    // Engine failures already become an apology inside commandReplies; anything else
    // is logged here and the command is acked empty, never left to reject unhandled.
    const work = turns.commandReplies(body).catch((err: unknown) => {
      logger.error({ err: describe(err), what: 'command' }, 'Slack listener failed');
      return null;
    });
    inflight.add(work);
    void work.finally(() => inflight.delete(work));
    const inTime = await withinBudget(work, ackBudgetMs);
    // The acknowledgement goes out when this listener returns: the rest is sent after it.
    if (inTime === 'late') {
      await ack();
      void track('command', async () => {
        const result = await work;
        if (result) await turns.sendCommandReplies(result.responseUrl, result.bodies, result.log);
      });
      return;
    }
    if (!inTime) return ack();
    const [first, ...rest] = inTime.bodies;
    await ack(first);
    if (rest.length) void track('command', () => turns.sendCommandReplies(inTime.responseUrl, rest, inTime.log));
  });
  bolt.action(ACTION_ID_PATTERN, async ({ ack, body, client }) => {
    await accept('block_actions', body, client);
    await ack();
  });
  bolt.error(async (error) => {
    logger.error({ err: describe(error) }, 'Bolt error');
  });

  if (mode.kind === 'socket') await bolt.start();
  logger.info({ mode: config.mode, botUserId: ids.botUserId, apiUrl: config.apiUrl, timeoutMs: retry.timeoutMs }, 'Slack adapter ready');
  // Work a stopped process left behind (ours before a restart, or another instance's).
  poll();

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(poller);
      await resuming;
      await Promise.allSettled([...inflight]);
      if (mode.kind === 'socket') await bolt.stop();
    },
    health() {
      const oldest = held.values().next().value;
      const waitedMs = oldest === undefined ? 0 : performance.now() - oldest;
      if (waitedMs <= queueStuckMs) return { ok: true };
      return {
        ok: false,
        reason:
          `Slack delivery queue stuck: the oldest of ${held.size} accepted events and clicks has waited ${Math.round(waitedMs / 1000)} s for its answer ` +
          `(${running} of ${maxConcurrent} turn slots busy, ${queue.length} queued); check that the Slack Web API answers (each call gives up after VMK_SLACK_TIMEOUT_MS=${retry.timeoutMs})`,
      };
    },
  };
}

/** Whether an acknowledgeable request (command, interaction) is one vmk answers. */
function isForVmk(body: unknown): boolean {
  const b = body as { command?: unknown; type?: unknown; actions?: { action_id?: unknown }[] };
  if (typeof b.command === 'string') return b.command === SLACK_COMMAND;
  if (b.type === 'block_actions') return (b.actions ?? []).some((a) => typeof a.action_id === 'string' && ACTION_ID_PATTERN.test(a.action_id));
  return false;
}
