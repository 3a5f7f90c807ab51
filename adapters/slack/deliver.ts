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
 */

export interface RetryPolicy {
  retries: number;
  factor: number;
  minTimeout: number;
  /** Upper bound for one wait, Retry-After included. */
  maxTimeout: number;
  /** Called before each retry (metrics). */
  onRetry?: () => void;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, factor: 2, minTimeout: 200, maxTimeout: 30_000 };

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

/** Posts to a `response_url`, retrying 429 (after Retry-After), 5xx and network failures. */
export async function postToResponseUrl(url: string, body: ResponseUrlBody, logger: Logger, policy: RetryPolicy = DEFAULT_RETRY): Promise<void> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new ResponseUrlError(`not a response_url: ${url.slice(0, 100)}`);
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new ResponseUrlError(`not a response_url: ${target.protocol}`);
  const payload = JSON.stringify(body);
  let lastError: unknown;
  for (let attempt = 0; attempt <= policy.retries; attempt++) {
    let wait = Math.min(policy.minTimeout * policy.factor ** attempt, policy.maxTimeout);
    try {
      const res = await postJson(target, payload, 10_000);
      if (res.status >= 200 && res.status < 300) return;
      lastError = new ResponseUrlError(`response_url answered ${res.status}`, res.status);
      if (res.status !== 429 && res.status < 500) throw lastError;
      const retryAfter = Number.parseInt(res.retryAfter ?? '', 10);
      if (res.status === 429 && Number.isFinite(retryAfter)) wait = Math.min(retryAfter * 1000, policy.maxTimeout);
    } catch (err) {
      if (err instanceof ResponseUrlError && err.status !== undefined && err.status !== 429 && err.status < 500) throw err;
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
