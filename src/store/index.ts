import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { MemoryStore } from './memory.js';
import type { StateStore } from './types.js';

export { MemoryStore } from './memory.js';
export type { RedisStore } from './redis.js';
export type { SqliteStore } from './sqlite.js';
export { StoreUnavailableError } from './types.js';
export type { ConversationState, Outbox, OutboxEntry, StateKey, StateStore, Versioned } from './types.js';

export interface CreateStoreOptions {
  kind: 'memory' | 'sqlite' | 'redis';
  /** Where the SQLite file lives (VMK_DATA_DIR). */
  dataDir: string;
  /** Needed when kind is 'redis' (REDIS_URL). */
  redisUrl?: string;
  /** The clock TTLs are measured against (memory and SQLite; Redis expires keys itself). */
  now?: () => number;
  logger?: Logger;
}

/**
 * Opens the configured store. Throws StoreUnavailableError (with how to fix
 * it) when the SQLite file cannot be opened or Redis cannot be reached.
 */
export async function createStore(opts: CreateStoreOptions): Promise<StateStore> {
  switch (opts.kind) {
    case 'memory':
      return new MemoryStore({ now: opts.now });
    case 'sqlite':
      // The backends' drivers are imported only when chosen: they cost start-up time.
      return new (await import('./sqlite.js')).SqliteStore({ dataDir: opts.dataDir, now: opts.now, logger: opts.logger });
    case 'redis':
      if (!opts.redisUrl) {
        throw new ConfigError([{ variable: 'REDIS_URL', message: 'the Redis store needs REDIS_URL, e.g. redis://localhost:6379' }]);
      }
      return (await import('./redis.js')).RedisStore.connect({ url: opts.redisUrl, logger: opts.logger });
    default: {
      const kind: never = opts.kind;
      throw new ConfigError([{ variable: 'store kind', message: `unknown store "${String(kind)}"; use memory, sqlite or redis` }]);
    }
  }
}
