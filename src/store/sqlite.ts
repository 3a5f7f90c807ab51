import { mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db, Statement } from 'better-sqlite3';
import { silentLogger } from '../logger.js';
import type { Logger } from '../logger.js';
import {
  checkEventId,
  checkExpectedVersion,
  checkOutboxArgs,
  checkTtl,
  describeCause,
  parseState,
  serializeState,
  stateKeyId,
} from './common.js';
import { StoreUnavailableError } from './types.js';
import type { ConversationState, Outbox, OutboxEntry, StateKey, StateStore, Versioned } from './types.js';

export const SQLITE_FILE_NAME = 'vmk.sqlite';
/** 2: handled_events.owner and the outbox table. A version 1 file is upgraded in place on open. */
export const SQLITE_SCHEMA_VERSION = 2;
/** How long a write waits for another process holding the file's write lock. */
export const SQLITE_BUSY_TIMEOUT_MS = 5_000;
export const DEFAULT_SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * WAL with synchronous=NORMAL: a commit is in the WAL file (the OS's page
 * cache) before `set` returns, so a process killed with SIGKILL loses no
 * committed write; only an operating-system crash or power cut can drop the
 * last few commits. FULL would fsync every commit to survive that too, at a
 * cost a chat turn does not need.
 */
export const SQLITE_PRAGMAS = [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  `busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`,
] as const;

export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS conversation_state (
  key        TEXT    PRIMARY KEY,
  value      TEXT    NOT NULL CHECK (json_valid(value)),
  version    INTEGER NOT NULL CHECK (version >= 1),
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS conversation_state_expires_at ON conversation_state (expires_at);
CREATE TABLE IF NOT EXISTS handled_events (
  id         TEXT    PRIMARY KEY,
  expires_at INTEGER NOT NULL,
  owner      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS handled_events_expires_at ON handled_events (expires_at);
CREATE TABLE IF NOT EXISTS outbox (
  id          TEXT    PRIMARY KEY,
  data        TEXT    NOT NULL,
  holder      TEXT    NOT NULL,
  lease_until INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  takeovers   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS outbox_lease_until ON outbox (lease_until);
`;

/** Upgrades a version 1 file: its handled_events table has no owner column. */
const SQLITE_ADD_OWNER = "ALTER TABLE handled_events ADD COLUMN owner TEXT NOT NULL DEFAULT ''";

/** Each statement is one atomic step, so two processes sharing the file cannot interleave inside it. */
export const SQLITE_SQL = {
  get: 'SELECT value, version FROM conversation_state WHERE key = ? AND expires_at > ?',
  /** First write: succeeds when no row exists, or only an expired one (which it replaces at version 1). */
  insert: `INSERT INTO conversation_state (key, value, version, expires_at) VALUES (@key, @value, 1, @expiresAt)
    ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = 1, expires_at = excluded.expires_at
    WHERE conversation_state.expires_at <= @now`,
  /** Later writes: succeeds only when the stored, unexpired version is the one the caller read. */
  update: `UPDATE conversation_state SET value = @value, version = version + 1, expires_at = @expiresAt
    WHERE key = @key AND version = @expected AND expires_at > @now`,
  delete: 'DELETE FROM conversation_state WHERE key = ?',
  /** A new or expired id is taken (by `owner`); a live one only counts again for the same non-empty owner. */
  claim: `INSERT INTO handled_events (id, expires_at, owner) VALUES (@id, @expiresAt, @owner)
    ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, owner = excluded.owner
    WHERE handled_events.expires_at <= @now`,
  claimedBy: "SELECT 1 AS ok FROM handled_events WHERE id = ? AND owner = ? AND owner <> '' AND expires_at > ?",
  outboxAdd: `INSERT INTO outbox (id, data, holder, lease_until, created_at) VALUES (@id, @data, @holder, @leaseUntil, @now)
    ON CONFLICT (id) DO UPDATE SET data = excluded.data, holder = excluded.holder, lease_until = excluded.lease_until`,
  outboxSave: 'UPDATE outbox SET data = @data, lease_until = @leaseUntil WHERE id = @id AND holder = @holder',
  outboxRenew: 'UPDATE outbox SET lease_until = @leaseUntil WHERE id = @id AND holder = @holder',
  outboxRemove: 'DELETE FROM outbox WHERE id = ?',
  outboxExpired: 'SELECT id, data, created_at AS createdAt, takeovers FROM outbox WHERE lease_until <= ? ORDER BY created_at LIMIT ?',
  outboxTake: 'UPDATE outbox SET holder = @holder, lease_until = @leaseUntil, takeovers = takeovers + 1 WHERE id = @id AND lease_until <= @now',
  sweepStates: 'DELETE FROM conversation_state WHERE expires_at <= ?',
  sweepEvents: 'DELETE FROM handled_events WHERE expires_at <= ?',
  ping: 'SELECT 1 AS ok',
} as const;

export interface SqliteStoreOptions {
  /** The folder holding vmk.sqlite; created when missing. */
  dataDir: string;
  now?: () => number;
  logger?: Logger;
  /** How often expired rows are deleted (they are ignored on read either way). Default 10 minutes. */
  sweepIntervalMs?: number;
}

interface InsertParams {
  key: string;
  value: string;
  expiresAt: number;
  now: number;
}
interface UpdateParams extends InsertParams {
  expected: number;
}
interface ClaimParams {
  id: string;
  expiresAt: number;
  now: number;
  owner: string;
}
interface OutboxParams {
  id: string;
  data: string;
  holder: string;
  leaseUntil: number;
  now: number;
}
type LeaseParams = Pick<OutboxParams, 'id' | 'holder' | 'leaseUntil'>;

interface Statements {
  get: Statement<[string, number], { value: string; version: number }>;
  insert: Statement<[InsertParams]>;
  update: Statement<[UpdateParams]>;
  delete: Statement<[string]>;
  claim: Statement<[ClaimParams]>;
  claimedBy: Statement<[string, string, number], { ok: number }>;
  outboxAdd: Statement<[OutboxParams]>;
  outboxSave: Statement<[Omit<OutboxParams, 'now'>]>;
  outboxRenew: Statement<[LeaseParams]>;
  outboxRemove: Statement<[string]>;
  outboxExpired: Statement<[number, number], OutboxEntry>;
  outboxTake: Statement<[LeaseParams & { now: number }]>;
  sweepStates: Statement<[number]>;
  sweepEvents: Statement<[number]>;
  ping: Statement<[], { ok: number }>;
}

/**
 * Creates `dir` and any missing parents, one level at a time. Node's own
 * `mkdirSync(dir, { recursive: true })` never returns under /proc (mkdir there
 * answers ENOENT even though the parent exists, and Node retries forever in
 * native code, where SIGTERM cannot stop it); this fails with that error.
 */
export function makeFolder(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    try {
      if (!statSync(at).isDirectory()) throw Object.assign(new Error(`${at} is not a folder`), { code: 'ENOTDIR' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const parent = dirname(at);
      if (parent === at) throw err;
      missing.push(at);
      at = parent;
    }
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * The embedded default: one SQLite file under the data folder. Survives
 * restarts and SIGKILL; several processes may share the file (compare-and-set
 * holds across them).
 */
export class SqliteStore implements StateStore {
  readonly kind = 'sqlite' as const;
  readonly path: string;
  private readonly db: Db;
  private readonly stmts: Statements;
  private readonly now: () => number;
  private readonly logger: Logger;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;
  readonly outbox: Outbox;

  constructor(opts: SqliteStoreOptions) {
    this.now = opts.now ?? Date.now;
    this.logger = opts.logger ?? silentLogger;
    const dir = resolve(opts.dataDir);
    this.path = join(dir, SQLITE_FILE_NAME);
    try {
      makeFolder(dir);
    } catch (err) {
      throw new StoreUnavailableError(
        `vmk cannot create its data folder ${dir} (${describeCause(err)}); set VMK_DATA_DIR to a writable folder.`,
        { cause: err },
      );
    }
    let db: Db | undefined;
    try {
      db = new Database(this.path);
      for (const pragma of SQLITE_PRAGMAS) db.pragma(pragma);
      db.exec(SQLITE_SCHEMA);
      const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('handled_events')").all();
      if (!columns.some((c) => c.name === 'owner')) db.exec(SQLITE_ADD_OWNER);
      db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
      this.stmts = {
        get: db.prepare<[string, number], { value: string; version: number }>(SQLITE_SQL.get),
        insert: db.prepare<[InsertParams]>(SQLITE_SQL.insert),
        update: db.prepare<[UpdateParams]>(SQLITE_SQL.update),
        delete: db.prepare<[string]>(SQLITE_SQL.delete),
        claim: db.prepare<[ClaimParams]>(SQLITE_SQL.claim),
        claimedBy: db.prepare<[string, string, number], { ok: number }>(SQLITE_SQL.claimedBy),
        outboxAdd: db.prepare<[OutboxParams]>(SQLITE_SQL.outboxAdd),
        outboxSave: db.prepare<[Omit<OutboxParams, 'now'>]>(SQLITE_SQL.outboxSave),
        outboxRenew: db.prepare<[LeaseParams]>(SQLITE_SQL.outboxRenew),
        outboxRemove: db.prepare<[string]>(SQLITE_SQL.outboxRemove),
        outboxExpired: db.prepare<[number, number], OutboxEntry>(SQLITE_SQL.outboxExpired),
        outboxTake: db.prepare<[LeaseParams & { now: number }]>(SQLITE_SQL.outboxTake),
        sweepStates: db.prepare<[number]>(SQLITE_SQL.sweepStates),
        sweepEvents: db.prepare<[number]>(SQLITE_SQL.sweepEvents),
        ping: db.prepare<[], { ok: number }>(SQLITE_SQL.ping),
      };
    } catch (err) {
      db?.close();
      throw new StoreUnavailableError(
        `The SQLite store ${this.path} cannot be opened (${describeCause(err)}); ${openAdvice(err)}`,
        { cause: err },
      );
    }
    this.db = db;
    this.outbox = this.makeOutbox();
    this.sweep();
    const every = opts.sweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS;
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  async get(key: StateKey): Promise<Versioned<ConversationState> | null> {
    const id = stateKeyId(key);
    const row = this.run('read', () => this.stmts.get.get(id, this.now()));
    if (!row) return null;
    const { state, damaged } = parseState(row.value);
    if (damaged) this.logger.warn({ store: 'sqlite', version: row.version }, 'stored conversation state was not a valid state; starting it afresh');
    return { value: state, version: row.version };
  }

  async set(key: StateKey, value: ConversationState, expectedVersion: number | null, ttlMs: number): Promise<number | null> {
    checkExpectedVersion(expectedVersion);
    checkTtl(ttlMs);
    const id = stateKeyId(key);
    const json = serializeState(value);
    const now = this.now();
    const expiresAt = now + ttlMs;
    return this.run('write', () => {
      if (expectedVersion === null) {
        return this.stmts.insert.run({ key: id, value: json, expiresAt, now }).changes === 1 ? 1 : null;
      }
      const { changes } = this.stmts.update.run({ key: id, value: json, expiresAt, now, expected: expectedVersion });
      return changes === 1 ? expectedVersion + 1 : null;
    });
  }

  async delete(key: StateKey): Promise<void> {
    const id = stateKeyId(key);
    this.run('write', () => this.stmts.delete.run(id));
  }

  async claimEvent(id: string, ttlMs: number, owner?: string): Promise<boolean> {
    checkEventId(id);
    checkTtl(ttlMs);
    const now = this.now();
    const who = owner ?? '';
    return this.run('write', () => {
      if (this.stmts.claim.run({ id, expiresAt: now + ttlMs, now, owner: who }).changes === 1) return true;
      return who !== '' && this.stmts.claimedBy.get(id, who, now) !== undefined;
    });
  }

  private makeOutbox(): Outbox {
    const take = this.db.transaction((holder: string, leaseMs: number, limit: number): OutboxEntry[] => {
      const now = this.now();
      const taken: OutboxEntry[] = [];
      for (const entry of this.stmts.outboxExpired.all(now, limit)) {
        if (this.stmts.outboxTake.run({ id: entry.id, holder, leaseUntil: now + leaseMs, now }).changes === 1) {
          taken.push({ ...entry, takeovers: entry.takeovers + 1 });
        }
      }
      return taken;
    });
    const renew = this.db.transaction((ids: readonly string[], holder: string, leaseUntil: number) => {
      for (const id of ids) this.stmts.outboxRenew.run({ id, holder, leaseUntil });
    });
    return {
      add: async (id, data, holder, leaseMs) => {
        checkOutboxArgs(id, holder, leaseMs);
        const now = this.now();
        this.run('write', () => this.stmts.outboxAdd.run({ id, data, holder, leaseUntil: now + leaseMs, now }));
      },
      save: async (id, data, holder, leaseMs) => {
        checkOutboxArgs(id, holder, leaseMs);
        return this.run('write', () => this.stmts.outboxSave.run({ id, data, holder, leaseUntil: this.now() + leaseMs }).changes === 1);
      },
      renew: async (ids, holder, leaseMs) => {
        if (ids.length === 0) return;
        checkOutboxArgs(ids[0] as string, holder, leaseMs);
        this.run('write', () => renew(ids, holder, this.now() + leaseMs));
      },
      remove: async (id) => {
        this.run('write', () => this.stmts.outboxRemove.run(id));
      },
      // BEGIN IMMEDIATE: two processes sharing the file cannot take the same entry.
      takeExpired: async (holder, leaseMs, limit) => {
        checkOutboxArgs('-', holder, leaseMs);
        return this.run('write', () => take.immediate(holder, leaseMs, Math.max(0, Math.floor(limit))));
      },
    };
  }

  async ping(): Promise<void> {
    this.run('read', () => this.stmts.ping.get());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    this.db.close();
  }

  /** Deletes expired states and event ids; returns how many went. Failures are logged, not thrown. */
  sweep(): { states: number; events: number } {
    if (this.closed) return { states: 0, events: 0 };
    try {
      const now = this.now();
      const states = this.stmts.sweepStates.run(now).changes;
      const events = this.stmts.sweepEvents.run(now).changes;
      if (states + events > 0) this.logger.debug({ store: 'sqlite', states, events }, 'swept expired rows');
      return { states, events };
    } catch (err) {
      this.logger.warn({ store: 'sqlite', err: describeCause(err) }, 'sweeping expired rows failed; will retry');
      return { states: 0, events: 0 };
    }
  }

  private run<T>(what: 'read' | 'write', fn: () => T): T {
    if (this.closed) throw new StoreUnavailableError(`The SQLite store ${this.path} has been closed.`);
    try {
      return fn();
    } catch (err) {
      throw new StoreUnavailableError(
        `Cannot ${what} the SQLite store ${this.path} (${describeCause(err)}); ${runtimeAdvice(err)}`,
        { cause: err },
      );
    }
  }
}

function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function openAdvice(err: unknown): string {
  const code = sqliteCode(err);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return 'the file is damaged or not a database: move it aside (vmk creates a fresh one) or set VMK_DATA_DIR to another folder.';
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return 'another process holds the file locked; stop it or set VMK_DATA_DIR to another folder.';
  }
  return 'check that VMK_DATA_DIR points to a writable folder on a local disk.';
}

function runtimeAdvice(err: unknown): string {
  const code = sqliteCode(err);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return `another process held the file locked for over ${SQLITE_BUSY_TIMEOUT_MS / 1000} s; try again in a moment.`;
  }
  if (code.startsWith('SQLITE_FULL')) return 'the disk is full; free some space.';
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR')) {
    return 'check that VMK_DATA_DIR is writable and its disk is healthy.';
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return 'the file is damaged: stop vmk, move it aside and start again.';
  }
  return 'check the data folder (VMK_DATA_DIR) and try again.';
}
