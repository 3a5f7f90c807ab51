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
   * app_mention + message pair, a second instance).
   */
  claimEvent(id: string, ttlMs: number): Promise<boolean>;
  /** Throws when the backing service is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Thrown when the backing service is down: the user gets "try again in a moment". */
export class StoreUnavailableError extends Error {
  readonly code = 'VMK_STORE_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
