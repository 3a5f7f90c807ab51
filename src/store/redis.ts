import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { silentLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import {
  checkEventId,
  checkExpectedVersion,
  checkTtl,
  encodePart,
  parseState,
  serializeState,
  stateKeyId,
} from './common.js';
import { StoreUnavailableError } from './types.js';
import type { ConversationState, StateKey, StateStore, Versioned } from './types.js';

export const REDIS_STATE_PREFIX = 'vmk:state:';
export const REDIS_EVENT_PREFIX = 'vmk:event:';
export const DEFAULT_CONNECT_TIMEOUT_MS = 1_500;
export const DEFAULT_COMMAND_TIMEOUT_MS = 2_000;

/** `vmk:state:<platform>:<workspace>:<conversation>:<user>`, each part URI-encoded so ':' inside an id cannot collide. */
export function redisStateKey(key: StateKey): string {
  return REDIS_STATE_PREFIX + stateKeyId(key);
}

export function redisEventKey(id: string): string {
  return REDIS_EVENT_PREFIX + encodePart(id);
}

/**
 * Compare-and-set in one atomic step on the server. The state is a hash
 * {version, value}. ARGV: expected version ('' = nothing stored), value JSON,
 * TTL in ms. Returns the new version, or 0 when the stored version differs.
 */
export const REDIS_CAS_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'version')
if ARGV[1] == '' then
  if current then return 0 end
elseif current ~= ARGV[1] then
  return 0
end
local nextVersion = (tonumber(current) or 0) + 1
redis.call('HSET', KEYS[1], 'version', nextVersion, 'value', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return nextVersion
`;
const CAS_SHA = createHash('sha1').update(REDIS_CAS_SCRIPT).digest('hex');

/** The URL with any password replaced by ***, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'the configured REDIS_URL (not a valid URL)';
  }
}

export interface RedisStoreOptions {
  url: string;
  logger?: Logger;
  /** How long one connection attempt may take. Default 1500 ms. */
  connectTimeoutMs?: number;
  /** How long one command may wait for its reply. Default 2000 ms. */
  commandTimeoutMs?: number;
  /** Longest pause between reconnection attempts. Default 1000 ms. */
  maxReconnectDelayMs?: number;
}

/**
 * State in Redis, for several vmk instances behind a load balancer.
 * Fails fast while Redis is down (no offline queue, no per-command retries,
 * short timeouts), so a turn gets StoreUnavailableError within about two
 * seconds instead of hanging, and keeps reconnecting in the background, so
 * vmk recovers on its own when Redis is back.
 */
export class RedisStore implements StateStore {
  readonly kind = 'redis' as const;
  /** The URL with its password redacted. */
  readonly where: string;
  private readonly client: Redis;
  private readonly logger: Logger;
  private lastError: Error | undefined;
  private down = false;
  private closed = false;

  private constructor(opts: RedisStoreOptions) {
    this.where = redactRedisUrl(opts.url);
    this.logger = (opts.logger ?? silentLogger).child({ store: 'redis', redis: this.where });
    const maxDelay = opts.maxReconnectDelayMs ?? 1_000;
    this.client = new Redis(opts.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      commandTimeout: opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt - 1, 10), maxDelay),
      connectionName: 'vmk',
    });
    this.client.on('error', (err: Error) => {
      this.lastError = err;
      if (!this.down && !this.closed) {
        this.down = true;
        this.logger.warn({ err: errorSummary(err) }, 'Redis is unreachable; state reads and writes fail until it is back (reconnecting in the background)');
      }
    });
    this.client.on('ready', () => {
      if (this.down) this.logger.info('Redis is reachable again');
      this.down = false;
      this.lastError = undefined;
    });
  }

  /** Connects once and fails with a fix-it message when Redis cannot be reached. */
  static async connect(opts: RedisStoreOptions): Promise<RedisStore> {
    const store = new RedisStore(opts);
    // A server that accepts the connection but never answers would otherwise hold startup for many seconds.
    const limitMs = (opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS) + (opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${limitMs / 1000} s`)), limitMs);
    });
    try {
      await Promise.race([store.client.connect().then(() => store.client.ping()), deadline]);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('no answer within')) store.lastError = err;
      const error = store.unavailable(err);
      store.closed = true;
      store.client.disconnect();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return store;
  }

  async get(key: StateKey): Promise<Versioned<ConversationState> | null> {
    const k = redisStateKey(key);
    const [version, value] = await this.call(() => this.client.hmget(k, 'version', 'value'));
    if (version == null || value == null) return null;
    const v = Number(version);
    const { state, damaged } = parseState(value);
    if (damaged) this.logger.warn({ version: v }, 'stored conversation state was not a valid state; starting it afresh');
    return { value: state, version: v };
  }

  async set(key: StateKey, value: ConversationState, expectedVersion: number | null, ttlMs: number): Promise<number | null> {
    checkExpectedVersion(expectedVersion);
    checkTtl(ttlMs);
    const k = redisStateKey(key);
    const args = [expectedVersion === null ? '' : String(expectedVersion), serializeState(value), String(Math.ceil(ttlMs))];
    const result = await this.call(async () => {
      try {
        return await this.client.evalsha(CAS_SHA, 1, k, ...args);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return this.client.eval(REDIS_CAS_SCRIPT, 1, k, ...args);
        throw err;
      }
    });
    const next = Number(result);
    return next > 0 ? next : null;
  }

  async delete(key: StateKey): Promise<void> {
    const k = redisStateKey(key);
    await this.call(() => this.client.del(k));
  }

  async claimEvent(id: string, ttlMs: number): Promise<boolean> {
    checkEventId(id);
    checkTtl(ttlMs);
    const k = redisEventKey(id);
    const reply = await this.call(() => this.client.set(k, '1', 'PX', Math.ceil(ttlMs), 'NX'));
    return reply === 'OK';
  }

  async ping(): Promise<void> {
    await this.call(() => this.client.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // fall through to a hard disconnect
      }
    }
    this.client.disconnect();
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError(`The Redis store (${this.where}) has been closed.`);
    try {
      return await fn();
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  /** A fix-it StoreUnavailableError naming the cause; the URL's password never appears. */
  private unavailable(err: unknown): StoreUnavailableError {
    const cause = this.lastError ?? (err instanceof Error ? err : new Error(String(err)));
    const summary = errorSummary(cause);
    if (/^(WRONGPASS|NOAUTH|NOPERM)/.test(cause.message)) {
      return new StoreUnavailableError(
        `Redis at ${this.where} refused vmk (${summary}); check the user name and password in REDIS_URL.`,
        { cause: err },
      );
    }
    if (isReplyError(cause)) {
      return new StoreUnavailableError(
        `Redis at ${this.where} rejected a command (${summary}); check the server's state (memory, replica mode) or unset REDIS_URL to use the embedded SQLite store.`,
        { cause: err },
      );
    }
    return new StoreUnavailableError(
      `Redis at ${this.where} is unreachable (${summary}); start it or unset REDIS_URL to use the embedded SQLite store.`,
      { cause: err },
    );
  }
}

function isReplyError(err: Error): boolean {
  return err.name === 'ReplyError';
}

/** The error's code when it has one (ECONNREFUSED, ETIMEDOUT...), else its first line. */
function errorSummary(err: Error): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code) return code;
  if (/timed out/i.test(err.message)) return 'timed out';
  if (/enableOfflineQueue|Connection is closed|MaxRetriesPerRequest|max retries/i.test(err.message)) return 'connection lost';
  return err.message.split('\n')[0] ?? err.name;
}
