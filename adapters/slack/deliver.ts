import http from 'node:http';
import https from 'node:https';
import type { webApi } from '@slack/bolt';
import type { Logger } from '../../src/logger.js';
import type { RenderedMessage } from './render.js';

/**
 * Sending to Slack. Web API calls go through the WebClient, which retries
 * with backoff (429 honours Retry-After; 5xx and network errors back off) as
 * configured by `retryConfig`. `response_url` posts are plain HTTP, so they
 * get the same treatment here.
 *
 * Every call has a time limit (`timeoutMs`), so a hung Slack cannot hold a
 * turn slot for ever. A call that timed out, or whose connection dropped
 * after the request was written, may still have been carried out by Slack:
 * such a call is retried only when repeating it cannot post twice (replacing
 * or deleting a message through a response_url, chat.update, views.publish);
 * a new message is not sent again (Slack's Web API has no idempotency key), so
 * a reply is at worst missing, never duplicated. Failures that prove the
 * request never arrived (connection refused, DNS) and answers that say it was
 * not carried out (429, 5xx) are retried as before.
 */

export interface RetryPolicy {
  retries: number;
  factor: number;
  minTimeout: number;
  /** Upper bound for one wait, Retry-After included. */
  maxTimeout: number;
  /** How long one attempt may take, from sending to the whole answer (VMK_SLACK_TIMEOUT_MS). */
  timeoutMs: number;
  /** Called before each retry (metrics). */
  onRetry?: () => void;
}

/** The default time limit of one Slack call: well above Slack's usual answer time, below the 5 s a hung call may delay later work. */
export const DEFAULT_SLACK_TIMEOUT_MS = 4_000;

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, factor: 2, minTimeout: 200, maxTimeout: 30_000, timeoutMs: DEFAULT_SLACK_TIMEOUT_MS };

/** Error codes that prove a request never reached the server: repeating it cannot do anything twice. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_INVALID_URL']);

function errorCodes(err: unknown, depth = 0): string[] {
  if (depth > 4 || typeof err !== 'object' || err === null) return [];
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown; original?: unknown };
  const own = typeof e.code === 'string' ? [e.code] : [];
  const nested = [e.cause, e.original, ...(Array.isArray(e.errors) ? e.errors : [])].flatMap((x) => errorCodes(x, depth + 1));
  return [...own, ...nested];
}

/**
 * Whether a request that failed without an HTTP answer may have been carried
 * out all the same: it timed out, or its connection dropped after the request
 * went out. A failure to connect at all means it was not.
 */
export function mayHaveLanded(err: unknown): boolean {
  if (err instanceof ResponseUrlError && err.status !== undefined) return false;
  return !errorCodes(err).some((c) => NOT_SENT_CODES.has(c));
}

/** Thrown instead of a retry when a call that posts something failed in a way that may have posted it. */
export class DeliveryUncertainError extends Error {
  readonly code = 'VMK_SLACK_DELIVERY_UNCERTAIN';
  constructor(what: string, cause: unknown) {
    super(`${what} failed after the request may have reached Slack (${describe(cause).message}); not sent again, so the reply may be missing but is never duplicated`, { cause });
    this.name = 'DeliveryUncertainError';
  }
}

/** Web API methods that may be repeated safely: the same call twice leaves the same result. */
const REPEATABLE_METHODS = new Set(['chat.update', 'views.publish', 'auth.test', 'apps.connections.open']);

/** The Web API method a failed request was for, set by `taggingFetch`. */
const METHOD = Symbol('vmk.slackMethod');

/**
 * The WebClient's fetch, unchanged except that a failure carries the Web API
 * method it was for, so the retry decision can tell a repeatable call from
 * one that posts a message.
 */
export const taggingFetch: webApi.FetchFunction = async (input, init) => {
  try {
    // Node's Response is what the WebClient uses by default; only the declared types differ.
    return (await fetch(input, init as RequestInit)) as unknown as Awaited<ReturnType<webApi.FetchFunction>>;
  } catch (err) {
    if (typeof err === 'object' && err !== null) {
      const url = typeof input === 'string' ? input : input.href;
      (err as Record<symbol, unknown>)[METHOD] = url.slice(url.lastIndexOf('/') + 1).split('?')[0];
    }
    throw err;
  }
};

/**
 * The WebClient's retry settings: its backoff, except that a call whose
 * request may have been carried out is not repeated unless repeating is
 * harmless (the failure then surfaces as DeliveryUncertainError).
 */
export function webClientRetryConfig(policy: RetryPolicy): {
  retries: number;
  factor: number;
  minTimeout: number;
  maxTimeout: number;
  onFailedAttempt: (err: Error) => void;
} {
  return {
    retries: policy.retries,
    factor: policy.factor,
    minTimeout: policy.minTimeout,
    maxTimeout: policy.maxTimeout,
    onFailedAttempt: (err: Error) => {
      // Only a request error has no answer from Slack; 429 and HTTP errors are retried as usual.
      // Only a failure of fetch itself (tagged with its method) came without an answer; a 429
      // (the WebClient waits Retry-After, then fails the attempt) and HTTP errors had one.
      const e = err as Error & { code?: unknown; original?: unknown; retriesLeft?: number };
      if (e.code === 'slack_webapi_request_error') {
        const method = typeof e.original === 'object' && e.original !== null ? (e.original as Record<symbol, unknown>)[METHOD] : undefined;
        if (typeof method === 'string' && !REPEATABLE_METHODS.has(method) && mayHaveLanded(e.original)) throw new DeliveryUncertainError(method, e.original);
      }
      // The WebClient hands this to p-retry, which calls it after every failed attempt: another attempt follows when some are left.
      if ((e.retriesLeft ?? 0) > 0) policy.onRetry?.();
    },
  };
}

export interface ResponseUrlBody extends RenderedMessage {
  response_type?: 'ephemeral' | 'in_channel';
  replace_original?: boolean;
  delete_original?: boolean;
  thread_ts?: string;
}

export class ResponseUrlError extends Error {
  readonly code = 'VMK_SLACK_RESPONSE_URL';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ResponseUrlError';
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Keep-alive agents: a busy vmk posts to the same Slack host over and over. */
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 64 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 64 }),
};

interface PostResult {
  status: number;
  retryAfter?: string;
}

/**
 * One JSON POST over node:http(s). Plain `http.request` with a keep-alive
 * agent costs a fraction of `fetch` per call, which matters when every click
 * (and every slow slash command) is answered through a response_url.
 */
function postJson(url: URL, payload: string, timeoutMs: number): Promise<PostResult> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const req = (secure ? https : http).request(
      url,
      {
        method: 'POST',
        agent: agents[secure ? 'https:' : 'http:'],
        headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const retryAfter = res.headers['retry-after'];
          resolve({ status: res.statusCode ?? 0, ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new ResponseUrlError(`response_url did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Posts to a `response_url`, retrying 429 (after Retry-After), 5xx and
 * failures to connect. A timeout or a connection dropped after sending is
 * retried only for a post that replaces or deletes the original message
 * (repeating it changes nothing); a new message is not posted again.
 */
export async function postToResponseUrl(url: string, body: ResponseUrlBody, logger: Logger, policy: RetryPolicy = DEFAULT_RETRY): Promise<void> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new ResponseUrlError(`not a response_url: ${url.slice(0, 100)}`);
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new ResponseUrlError(`not a response_url: ${target.protocol}`);
  const payload = JSON.stringify(body);
  const repeatable = body.replace_original === true || body.delete_original === true;
  let lastError: unknown;
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    let wait = Math.min(policy.minTimeout * policy.factor ** attempt, policy.maxTimeout);
    try {
      const res = await postJson(target, payload, policy.timeoutMs);
      if (res.status >= 200 && res.status < 300) return;
      lastError = new ResponseUrlError(`response_url answered ${res.status}`, res.status);
      if (res.status !== 429 && res.status < 500) throw lastError;
      const retryAfter = Number.parseInt(res.retryAfter ?? '', 10);
      if (res.status === 429 && Number.isFinite(retryAfter)) wait = Math.min(retryAfter * 1000, policy.maxTimeout);
    } catch (err) {
      if (err instanceof ResponseUrlError && err.status !== undefined && err.status !== 429 && err.status < 500) throw err;
      if (!repeatable && mayHaveLanded(err)) throw new DeliveryUncertainError('response_url post', err);
      lastError = err;
    }
    if (attempt < policy.retries) {
      logger.warn({ attempt: attempt + 1, waitMs: wait, err: describe(lastError) }, 'response_url post failed; retrying');
      policy.onRetry?.();
      await sleep(wait);
    }
  }
  throw lastError instanceof Error ? lastError : new ResponseUrlError(String(lastError));
}

export interface ChannelTarget {
  channel: string;
  threadTs?: string;
}

export async function postMessage(client: webApi.WebClient, target: ChannelTarget, message: RenderedMessage): Promise<{ channel?: string; ts?: string }> {
  const res = await client.chat.postMessage({
    channel: target.channel,
    text: message.text,
    blocks: message.blocks,
    ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
    unfurl_links: false,
    unfurl_media: false,
  });
  return { channel: res.channel, ts: res.ts };
}

export async function postEphemeral(client: webApi.WebClient, target: ChannelTarget & { user: string }, message: RenderedMessage): Promise<void> {
  await client.chat.postEphemeral({
    channel: target.channel,
    user: target.user,
    text: message.text,
    blocks: message.blocks,
    ...(target.threadTs ? { thread_ts: target.threadTs } : {}),
  });
}

export async function updateMessage(client: webApi.WebClient, channel: string, ts: string, message: RenderedMessage): Promise<void> {
  await client.chat.update({ channel, ts, text: message.text, blocks: message.blocks });
}

/** A short, loggable description of any thrown value. */
export function describe(err: unknown): { message: string; code?: string; stack?: string } {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    return { message: err.message, ...(typeof code === 'string' ? { code } : {}), ...(err.stack ? { stack: err.stack } : {}) };
  }
  return { message: String(err) };
}
