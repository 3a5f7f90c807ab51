import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { silentLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import {
  checkEventId,
  checkExpectedVersion,
  checkOutboxArgs,
  checkTtl,
  encodePart,
  parseState,
  serializeState,
  stateKeyId,
} from './common.js';
import { StoreUnavailableError } from './types.js';
import type { ConversationState, Outbox, OutboxEntry, StateKey, StateStore, Versioned } from './types.js';

export const REDIS_STATE_PREFIX = 'vmk:state:';
export const REDIS_EVENT_PREFIX = 'vmk:event:';
/** One hash per outbox entry {data, holder, created, takeovers}, plus one sorted set of ids scored by lease end. */
export const REDIS_OUTBOX_PREFIX = 'vmk:outbox:';
export const REDIS_OUTBOX_LEASES = 'vmk:outbox-leases';
/** An outbox hash outlives any sensible lease; this only bounds what a bug could leave behind. */
const OUTBOX_ENTRY_TTL_MS = 24 * 60 * 60 * 1000;
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

/** An event id claimed by `owner` (ARGV[1], '' for none): 1 when newly taken or already held by that same non-empty owner. */
const CLAIM_SCRIPT = `
if redis.call('SET', KEYS[1], ARGV[1] == '' and '1' or ('o:' .. ARGV[1]), 'PX', ARGV[2], 'NX') then return 1 end
if ARGV[1] ~= '' and redis.call('GET', KEYS[1]) == ('o:' .. ARGV[1]) then return 1 end
return 0
`;
/** KEYS: entry hash, lease set. ARGV: id, data, holder, lease end, now, entry ttl. */
const OUTBOX_ADD_SCRIPT = `
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'holder', ARGV[3], 'created', ARGV[5], 'takeovers', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
`;
/** KEYS: entry hash, lease set. ARGV: id, data ('' keeps it), holder, lease end. */
const OUTBOX_SAVE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'holder') ~= ARGV[3] then return 0 end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[1], 'data', ARGV[2]) end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
return 1
`;
/** KEYS: lease set. ARGV: hash prefix, holder, now, new lease end, limit. Returns id, data, created, takeovers for each entry taken. */
const OUTBOX_TAKE_SCRIPT = `
local out = {}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[3], 'LIMIT', 0, tonumber(ARGV[5]))
for _, id in ipairs(ids) do
  local key = ARGV[1] .. id
  local data = redis.call('HGET', key, 'data')
  if data then
    redis.call('HSET', key, 'holder', ARGV[2])
    local takeovers = redis.call('HINCRBY', key, 'takeovers', 1)
    redis.call('ZADD', KEYS[1], ARGV[4], id)
    table.insert(out, id)
    table.insert(out, data)
    table.insert(out, redis.call('HGET', key, 'created') or '0')
    table.insert(out, tostring(takeovers))
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
`;

export function redisOutboxKey(id: string): string {
  return REDIS_OUTBOX_PREFIX + encodePart(id);
}

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
  readonly outbox: Outbox = this.makeOutbox();

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

  async claimEvent(id: string, ttlMs: number, owner?: string): Promise<boolean> {
    checkEventId(id);
    checkTtl(ttlMs);
    const k = redisEventKey(id);
    if (!owner) {
      const reply = await this.call(() => this.client.set(k, '1', 'PX', Math.ceil(ttlMs), 'NX'));
      return reply === 'OK';
    }
    return Number(await this.call(() => this.client.eval(CLAIM_SCRIPT, 1, k, owner, String(Math.ceil(ttlMs))))) === 1;
  }

  private makeOutbox(): Outbox {
    // Lease ends are measured on this process's clock; instances sharing Redis are assumed to keep time within a second or so.
    return {
      add: async (id, data, holder, leaseMs) => {
        checkOutboxArgs(id, holder, leaseMs);
        const now = Date.now();
        await this.call(() =>
          this.client.eval(OUTBOX_ADD_SCRIPT, 2, redisOutboxKey(id), REDIS_OUTBOX_LEASES, encodePart(id), data, holder, String(now + leaseMs), String(now), String(OUTBOX_ENTRY_TTL_MS)),
        );
      },
      save: async (id, data, holder, leaseMs) => {
        checkOutboxArgs(id, holder, leaseMs);
        const reply = await this.call(() =>
          this.client.eval(OUTBOX_SAVE_SCRIPT, 2, redisOutboxKey(id), REDIS_OUTBOX_LEASES, encodePart(id), data, holder, String(Date.now() + leaseMs)),
        );
        return Number(reply) === 1;
      },
      renew: async (ids, holder, leaseMs) => {
        if (ids.length === 0) return;
        checkOutboxArgs(ids[0] as string, holder, leaseMs);
        const until = String(Date.now() + leaseMs);
        const batch = this.client.pipeline();
        for (const id of ids) batch.eval(OUTBOX_SAVE_SCRIPT, 2, redisOutboxKey(id), REDIS_OUTBOX_LEASES, encodePart(id), '', holder, until);
        await this.call(() => batch.exec());
      },
      remove: async (id) => {
        await this.call(() => this.client.multi().del(redisOutboxKey(id)).zrem(REDIS_OUTBOX_LEASES, encodePart(id)).exec());
      },
      takeExpired: async (holder, leaseMs, limit) => {
        checkOutboxArgs('-', holder, leaseMs);
        const now = Date.now();
        const flat = (await this.call(() =>
          this.client.eval(OUTBOX_TAKE_SCRIPT, 1, REDIS_OUTBOX_LEASES, REDIS_OUTBOX_PREFIX, holder, String(now), String(now + leaseMs), String(Math.max(0, Math.floor(limit)))),
        )) as string[];
        const taken: OutboxEntry[] = [];
        for (let i = 0; i + 3 < flat.length; i += 4) {
          taken.push({ id: decodeURIComponent(flat[i] as string), data: flat[i + 1] as string, createdAt: Number(flat[i + 2]), takeovers: Number(flat[i + 3]) });
        }
        return taken;
      },
    };
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
