import { checkEventId, checkExpectedVersion, checkOutboxArgs, checkTtl, parseState, serializeState, stateKeyId } from './common.js';
import { StoreUnavailableError } from './types.js';
import type { ConversationState, Outbox, OutboxEntry, StateKey, StateStore, Versioned } from './types.js';

export interface MemoryStoreOptions {
  /** The clock TTLs are measured against (tests pass a fake one). */
  now?: () => number;
  /** Most conversation states kept; the least recently used go first. Default 10,000. */
  maxKeys?: number;
  /** Most handled-event ids kept; the oldest claims go first. Default 10,000. */
  maxEvents?: number;
}

interface Entry {
  json: string;
  version: number;
  expiresAt: number;
}

export const DEFAULT_MEMORY_MAX_KEYS = 10_000;

/**
 * An in-process store for unit tests and one-shot commands. Values are kept as
 * JSON, so a caller mutating an object after `set` (or after `get`) cannot
 * change what is stored, just as with the other stores. Bounded: past
 * `maxKeys` the least recently used state is dropped, so memory stays flat
 * however many conversations pass through.
 */
export class MemoryStore implements StateStore {
  readonly kind = 'memory' as const;
  private readonly now: () => number;
  private readonly maxKeys: number;
  private readonly maxEvents: number;
  /** Map iteration order is insertion order: re-inserting on use makes it an LRU list. */
  private readonly states = new Map<string, Entry>();
  private readonly events = new Map<string, { expiresAt: number; owner: string }>();
  private readonly pending = new Map<string, OutboxEntry & { holder: string; leaseUntil: number }>();
  private closed = false;
  readonly outbox: Outbox;

  constructor(opts: MemoryStoreOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.maxKeys = positiveInt(opts.maxKeys ?? DEFAULT_MEMORY_MAX_KEYS, 'maxKeys');
    this.maxEvents = positiveInt(opts.maxEvents ?? DEFAULT_MEMORY_MAX_KEYS, 'maxEvents');
    this.outbox = this.makeOutbox();
  }

  /** How many states and event ids are held (expired ones included until swept). */
  get size(): { states: number; events: number } {
    return { states: this.states.size, events: this.events.size };
  }

  async get(key: StateKey): Promise<Versioned<ConversationState> | null> {
    this.assertOpen();
    const id = stateKeyId(key);
    const entry = this.live(id);
    if (!entry) return null;
    this.states.delete(id);
    this.states.set(id, entry);
    return { value: parseState(entry.json).state, version: entry.version };
  }

  async set(key: StateKey, value: ConversationState, expectedVersion: number | null, ttlMs: number): Promise<number | null> {
    this.assertOpen();
    checkExpectedVersion(expectedVersion);
    checkTtl(ttlMs);
    const id = stateKeyId(key);
    const json = serializeState(value);
    const current = this.live(id);
    if ((current?.version ?? null) !== expectedVersion) return null;
    const version = (current?.version ?? 0) + 1;
    this.states.delete(id);
    this.states.set(id, { json, version, expiresAt: this.now() + ttlMs });
    this.evict(this.states, this.maxKeys);
    return version;
  }

  async delete(key: StateKey): Promise<void> {
    this.assertOpen();
    this.states.delete(stateKeyId(key));
  }

  async claimEvent(id: string, ttlMs: number, owner?: string): Promise<boolean> {
    this.assertOpen();
    checkEventId(id);
    checkTtl(ttlMs);
    const held = this.events.get(id);
    if (held !== undefined && held.expiresAt > this.now()) return owner !== undefined && owner !== '' && held.owner === owner;
    this.events.delete(id);
    this.events.set(id, { expiresAt: this.now() + ttlMs, owner: owner ?? '' });
    this.evict(this.events, this.maxEvents);
    return true;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.states.clear();
    this.events.clear();
    this.pending.clear();
  }

  private makeOutbox(): Outbox {
    const pending = this.pending;
    return {
      add: async (id, data, holder, leaseMs) => {
        this.assertOpen();
        checkOutboxArgs(id, holder, leaseMs);
        pending.set(id, { id, data, createdAt: this.now(), takeovers: 0, holder, leaseUntil: this.now() + leaseMs });
      },
      save: async (id, data, holder, leaseMs) => {
        this.assertOpen();
        checkOutboxArgs(id, holder, leaseMs);
        const entry = pending.get(id);
        if (!entry || entry.holder !== holder) return false;
        entry.data = data;
        entry.leaseUntil = this.now() + leaseMs;
        return true;
      },
      renew: async (ids, holder, leaseMs) => {
        this.assertOpen();
        for (const id of ids) {
          const entry = pending.get(id);
          if (entry && entry.holder === holder) entry.leaseUntil = this.now() + leaseMs;
        }
      },
      remove: async (id) => {
        this.assertOpen();
        pending.delete(id);
      },
      takeExpired: async (holder, leaseMs, limit) => {
        this.assertOpen();
        checkOutboxArgs('-', holder, leaseMs);
        const now = this.now();
        const expired = [...pending.values()].filter((e) => e.leaseUntil <= now).sort((a, b) => a.createdAt - b.createdAt).slice(0, Math.max(0, limit));
        return expired.map((e) => {
          e.holder = holder;
          e.leaseUntil = now + leaseMs;
          e.takeovers += 1;
          return { id: e.id, data: e.data, createdAt: e.createdAt, takeovers: e.takeovers };
        });
      },
    };
  }

  /** The entry when present and not expired; an expired one is dropped on the way. */
  private live(id: string): Entry | undefined {
    const entry = this.states.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.states.delete(id);
      return undefined;
    }
    return entry;
  }

  /** Over the cap: drop the least recently used (the front of the map). O(1) per write. */
  private evict<V>(map: Map<string, V>, cap: number): void {
    for (const k of map.keys()) {
      if (map.size <= cap) break;
      map.delete(k);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreUnavailableError('The in-memory store has been closed; create a new one.');
  }
}

function positiveInt(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${String(n)}`);
  return n;
}
