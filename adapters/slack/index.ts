import { App, ExpressReceiver, LogLevel, webApi, type Logger as BoltLogger } from '@slack/bolt';
import type { IncomingMessage } from 'node:http';
import type { SlackConfig } from '../../src/config.js';
import type { Express } from 'express';
import type { Engine } from '../../src/engine.js';
import { VmkError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { noMetrics, type Metrics } from '../../src/metrics.js';
import type { StateStore } from '../../src/store/types.js';
import { ACTION_ID_PATTERN, SLACK_COMMAND, SLACK_EVENTS, type SlackEventName } from './constants.js';
import { DEFAULT_RETRY, describe, type RetryPolicy } from './deliver.js';
import { SlackTurns } from './turns.js';

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

/** The path Slack posts events, slash commands and interactivity to (HTTP mode). */
export const SLACK_EVENTS_PATH = '/slack/events';

/** The typed Slack part of the configuration (src/config.ts parses it once). */
export type { SlackConfig };

export interface MountSlackOptions {
  config: SlackConfig;
  engine: Engine;
  store: StateStore;
  logger: Logger;
  /** Backoff for Web API and response_url calls. Default: 3 retries, factor 2, from 200 ms. */
  retry?: Partial<RetryPolicy>;
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

export interface SlackHandle {
  /** Stops taking new Slack work and waits for turns in flight. */
  stop(): Promise<void>;
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
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...opts.retry, onRetry: () => metrics.deliveryRetry('slack') };
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
  const clientOptions = {
    ...(config.apiUrl ? { slackApiUrl: config.apiUrl.endsWith('/') ? config.apiUrl : `${config.apiUrl}/` } : {}),
    retryConfig: {
      retries: retry.retries,
      factor: retry.factor,
      minTimeout: retry.minTimeout,
      maxTimeout: retry.maxTimeout,
      // The WebClient hands retryConfig to p-retry, which calls this after every failed attempt.
      onFailedAttempt: (err: { retriesLeft?: number }) => {
        if ((err.retriesLeft ?? 0) > 0) metrics.deliveryRetry('slack');
      },
    },
    logger: blog,
  };

  // Check the token first, so a wrong one stops start-up with a clear message before any route is mounted.
  let auth: { user_id?: string; bot_id?: string };
  try {
    auth = await new webApi.WebClient(config.botToken, clientOptions).auth.test();
  } catch (err) {
    throw new VmkError(
      'VMK_SLACK_AUTH',
      `Slack did not accept SLACK_BOT_TOKEN (auth.test failed: ${describe(err).message}). Check the bot token (xoxb-...) under OAuth & Permissions${config.apiUrl ? ` and SLACK_API_URL=${config.apiUrl}` : ''}.`,
      { cause: err },
    );
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
    const receiver = new ExpressReceiver({
      signingSecret: mode.signingSecret,
      app,
      endpoints: SLACK_EVENTS_PATH,
      processBeforeResponse: false,
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

  const registerEvent: Record<SlackEventName, () => void> = {
    app_mention: () => bolt.event('app_mention', ({ body, client }) => track('app_mention', () => turns.onMention(body, client))),
    'message.im': () => bolt.message(({ body, client }) => track('message', () => turns.onMessage(body, client))),
    app_home_opened: () => bolt.event('app_home_opened', ({ body, client }) => track('app_home_opened', () => turns.onHomeOpened(body, client))),
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
    if (inTime === 'late') {
      await ack();
      await track('command', async () => {
        const result = await work;
        if (result) await turns.sendCommandReplies(result.responseUrl, result.bodies, result.log);
      });
      return;
    }
    if (!inTime) return ack();
    const [first, ...rest] = inTime.bodies;
    await ack(first);
    if (rest.length) await track('command', () => turns.sendCommandReplies(inTime.responseUrl, rest, inTime.log));
  });
  bolt.action(ACTION_ID_PATTERN, async ({ ack, body, client }) => {
    await ack();
    await track('block_actions', () => turns.onAction(body, client));
  });
  bolt.error(async (error) => {
    logger.error({ err: describe(error) }, 'Bolt error');
  });

  if (mode.kind === 'socket') await bolt.start();
  logger.info({ mode: config.mode, botUserId: ids.botUserId, apiUrl: config.apiUrl }, 'Slack adapter ready');

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.allSettled([...inflight]);
      if (mode.kind === 'socket') await bolt.stop();
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
