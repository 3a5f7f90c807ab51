import type { IntentId, Side, Topic } from '../types.js';

/** Conversation state is keyed by who is talking where. */
export interface StateKey {
  platform: string;
  workspace: string;
  conversation: string;
  user: string;
}

export interface Versioned<T> {
  value: T;
  /** Monotonic per key; starts at 1 on first write. */
  version: number;
}

/** What vmk remembers about one person in one conversation. */
export interface ConversationState {
  /** For follow-ups: "what about security?", "and for VMs?". */
  context: {
    lastIntent?: IntentId;
    lastTopic?: Topic;
    lastPlatform?: Side;
  };
  /** The guided dialog in progress or finished (finished ones are kept for "Share in channel"). Shape owned by src/advisor. */
  dialog?: unknown;
}

/**
 * One store interface, three implementations (memory, SQLite, Redis).
 * Writes are compare-and-set on the version, so two clicks at once, or two
 * instances, can never interleave into a corrupt dialog.
 */
export interface StateStore {
  readonly kind: 'memory' | 'sqlite' | 'redis';
  get(key: StateKey): Promise<Versioned<ConversationState> | null>;
  /**
   * Writes `value` when the stored version equals `expectedVersion`
   * (`null`: only when nothing is stored). Returns the new version, or `null`
   * when another write got there first (the caller re-reads and retries).
   * The entry expires `ttlMs` after this write.
   */
  set(key: StateKey, value: ConversationState, expectedVersion: number | null, ttlMs: number): Promise<number | null>;
  delete(key: StateKey): Promise<void>;
  /**
   * Records that an inbound event was handled. Returns true the first time an
   * id is claimed within `ttlMs`, false for every later claim (retries, the
   * app_mention + message pair, a second instance). With `owner`, a later
   * claim by the same owner is true again: work resumed after a crash keeps
   * the ids it had claimed, while everyone else still sees them taken.
   */
  claimEvent(id: string, ttlMs: number, owner?: string): Promise<boolean>;
  /**
   * Accepted platform work that must survive a crash (see Outbox). The three
   * stores have one; a store without it (a test double) runs that work
   * without crash protection.
   */
  readonly outbox?: Outbox;
  /** Throws when the backing service is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One piece of accepted work in the outbox. */
export interface OutboxEntry {
  id: string;
  /** What the adapter stored: the request and how far its answer got (JSON, opaque to the store). */
  data: string;
  /** When the work was accepted (ms since epoch, the store's clock). */
  createdAt: number;
  /** How many times the work has been taken over from a holder that stopped renewing it. */
  takeovers: number;
}

/**
 * Accepted work, written before the platform is told it arrived and removed
 * when it is done, so a process killed in between leaves it behind for the
 * next one. Each entry has a holder and a lease: the holder renews the lease
 * while it works, and work whose lease ran out (its holder died) is taken
 * over by `takeExpired`, by this process after a restart or by another
 * instance sharing the store.
 */
export interface Outbox {
  /** Records new work held by `holder` for `leaseMs`; resolves once it is durable. */
  add(id: string, data: string, holder: string, leaseMs: number): Promise<void>;
  /**
   * Replaces the work's data (its progress) and extends the lease. Resolves
   * false when `holder` no longer holds it (it was done, or taken over).
   */
  save(id: string, data: string, holder: string, leaseMs: number): Promise<boolean>;
  /** Extends the lease of each listed entry that `holder` still holds. */
  renew(ids: readonly string[], holder: string, leaseMs: number): Promise<void>;
  /** Removes finished work (a missing id is fine). */
  remove(id: string): Promise<void>;
  /** Gives `holder` up to `limit` entries whose lease has run out, oldest first, each with a new lease and one more takeover. */
  takeExpired(holder: string, leaseMs: number, limit: number): Promise<OutboxEntry[]>;
}

/** Thrown when the backing service is down: the user gets "try again in a moment". */
export class StoreUnavailableError extends Error {
  readonly code = 'VMK_STORE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
