import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { createStore, MemoryStore } from '../src/store/index.js';
import { RedisStore, redactRedisUrl, redisStateKey } from '../src/store/redis.js';
import { SQLITE_FILE_NAME, SqliteStore } from '../src/store/sqlite.js';
import { StoreUnavailableError } from '../src/store/types.js';
import type { ConversationState, StateKey, StateStore } from '../src/store/types.js';
import { freePort, sleep, startRedisServer, testRedisUrl } from './helpers/redis.js';
import type { TestRedisServer } from './helpers/redis.js';
import { compileSqliteStore, runSqliteChild, spawnSqliteChild } from './helpers/sqlite-process.js';

const DAY = 24 * 60 * 60 * 1000;

/** A clock tests move by hand. */
function fakeClock(start = 1_700_000_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

const tmpDirs: string[] = [];
function tmpDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vmk-store-'));
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
});

/** Each test gets its own key space, so a shared Redis never leaks between tests. */
function keyFor(overrides: Partial<StateKey> = {}): StateKey {
  const run = randomUUID();
  return { platform: 'slack', workspace: `T-${run}`, conversation: 'D1', user: 'U1', ...overrides };
}

function state(step: number, extra: Record<string, unknown> = {}): ConversationState {
  return { context: { lastIntent: 'start_advice' }, dialog: { step, answers: Array.from({ length: step }, (_, i) => `a${i}`), ...extra } };
}

interface Harness {
  store: StateStore;
  /** Lets `ms` pass for TTL purposes: a fake clock for memory and SQLite, real time for Redis. */
  elapse(ms: number): Promise<void>;
  /** A TTL short enough for `elapse` to pass it quickly. */
  shortTtl: number;
}

interface Backend {
  name: 'memory' | 'sqlite' | 'redis';
  setup(): Promise<void>;
  make(): Promise<Harness>;
  teardown(): Promise<void>;
}

let redis: { url: string; dispose(): Promise<void> } | undefined;

const backends: Backend[] = [
  {
    name: 'memory',
    setup: async () => {},
    make: async () => {
      const clock = fakeClock();
      return { store: new MemoryStore({ now: clock.now }), elapse: async (ms) => clock.advance(ms), shortTtl: 1_000 };
    },
    teardown: async () => {},
  },
  {
    name: 'sqlite',
    setup: async () => {},
    make: async () => {
      const clock = fakeClock();
      return { store: new SqliteStore({ dataDir: tmpDir(), now: clock.now }), elapse: async (ms) => clock.advance(ms), shortTtl: 1_000 };
    },
    teardown: async () => {},
  },
  {
    name: 'redis',
    setup: async () => {
      redis = await testRedisUrl();
    },
    make: async () => {
      if (!redis) throw new Error('Redis was not set up');
      return { store: await RedisStore.connect({ url: redis.url }), elapse: (ms) => sleep(ms), shortTtl: 150 };
    },
    teardown: async () => {
      await redis?.dispose();
      redis = undefined;
    },
  },
];

describe.each(backends)('StateStore contract: $name', (backend) => {
  let h: Harness;
  const open: StateStore[] = [];
  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  const fresh = async () => {
    h = await backend.make();
    open.push(h.store);
    return h;
  };
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
  });

  it('reports its kind and answers ping', async () => {
    const { store } = await fresh();
    expect(store.kind).toBe(backend.name);
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('returns null for a key never written', async () => {
    const { store } = await fresh();
    expect(await store.get(keyFor())).toBeNull();
  });

  it('writes version 1 first, then counts up on each compare-and-set', async () => {
    const { store } = await fresh();
    const key = keyFor();
    expect(await store.set(key, state(1), null, DAY)).toBe(1);
    expect(await store.get(key)).toEqual({ value: state(1), version: 1 });
    expect(await store.set(key, state(2), 1, DAY)).toBe(2);
    expect(await store.set(key, state(3), 2, DAY)).toBe(3);
    expect(await store.get(key)).toEqual({ value: state(3), version: 3 });
  });

  it('refuses a write with a stale or wrong version and keeps the stored value', async () => {
    const { store } = await fresh();
    const key = keyFor();
    await store.set(key, state(1), null, DAY);
    await store.set(key, state(2), 1, DAY);
    expect(await store.set(key, state(9), 1, DAY)).toBeNull();
    expect(await store.set(key, state(9), 3, DAY)).toBeNull();
    expect(await store.set(key, state(9), null, DAY)).toBeNull();
    expect(await store.get(key)).toEqual({ value: state(2), version: 2 });
    expect(await store.set(keyFor(), state(1), 1, DAY)).toBeNull();
  });

  it('lets exactly one of 20 simultaneous writes with the same expected version win', async () => {
    const { store } = await fresh();
    const key = keyFor();
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(key, state(1, { writer: i }), null, DAY)));
    expect(first.filter((v) => v === 1)).toHaveLength(1);
    expect(first.filter((v) => v === null)).toHaveLength(19);
    const winner = first.indexOf(1);
    expect((await store.get(key))?.value.dialog).toMatchObject({ writer: winner });

    const second = await Promise.all(Array.from({ length: 20 }, (_, i) => store.set(key, state(2, { writer: i }), 1, DAY)));
    expect(second.filter((v) => v === 2)).toHaveLength(1);
    expect(second.filter((v) => v === null)).toHaveLength(19);
    expect(await store.get(key)).toEqual({ value: state(2, { writer: second.indexOf(2) }), version: 2 });
  });

  it('keeps keys apart by every part, even when parts contain ":"', async () => {
    const { store } = await fresh();
    const base = keyFor({ conversation: 'C1:thread:1700000000.0001', user: 'U1' });
    await store.set(base, state(1), null, DAY);
    const variants: StateKey[] = [
      { ...base, platform: 'teams' },
      { ...base, workspace: `${base.workspace}x` },
      { ...base, conversation: 'C1:thread:1700000000.0002' },
      { ...base, user: 'U2' },
      // The same characters, split differently across parts: a naive "a:b:c:d" join would collide.
      { ...base, workspace: `${base.workspace}:C1`, conversation: 'thread:1700000000.0001' },
      { ...base, conversation: 'C1:thread', user: '1700000000.0001:U1' },
      { ...base, platform: `slack:${base.workspace}`, workspace: 'C1', conversation: 'thread:1700000000.0001' },
      { ...base, conversation: 'C1%3Athread%3A1700000000.0001' },
    ];
    for (const v of variants) expect(await store.get(v), JSON.stringify(v)).toBeNull();
    for (const [i, v] of variants.entries()) expect(await store.set(v, state(i + 2), null, DAY)).toBe(1);
    expect(await store.get(base)).toEqual({ value: state(1), version: 1 });
    for (const [i, v] of variants.entries()) expect((await store.get(v))?.value).toEqual(state(i + 2));
  });

  it('round-trips unusual text and keeps no reference to the caller object', async () => {
    const { store } = await fresh();
    const key = keyFor({ user: 'ユーザー 🚀 "quoted" \\ back' });
    const value: ConversationState = { context: { lastTopic: 'security' }, dialog: { note: 'línea\nnueva 🚀 \u2028', n: [1, 2.5, null] } };
    await store.set(key, value, null, DAY);
    (value.dialog as { note: string }).note = 'changed after set';
    const got = await store.get(key);
    expect(got?.value).toEqual({ context: { lastTopic: 'security' }, dialog: { note: 'línea\nnueva 🚀 \u2028', n: [1, 2.5, null] } });
  });

  it('expires a state ttl after its last write; a later write restarts at version 1', async () => {
    const { store, elapse, shortTtl } = await fresh();
    const key = keyFor();
    await store.set(key, state(1), null, shortTtl);
    await elapse(shortTtl / 3);
    expect((await store.get(key))?.version).toBe(1);
    // Each write pushes the expiry out again.
    expect(await store.set(key, state(2), 1, shortTtl)).toBe(2);
    await elapse((shortTtl * 2) / 3);
    expect((await store.get(key))?.version).toBe(2);
    await elapse(shortTtl + 50);
    expect(await store.get(key)).toBeNull();
    expect(await store.set(key, state(3), 2, shortTtl)).toBeNull();
    expect(await store.set(key, state(1), null, DAY)).toBe(1);
    expect(await store.get(key)).toEqual({ value: state(1), version: 1 });
  });

  it('claims an event id once, and again only after its ttl', async () => {
    const { store, elapse, shortTtl } = await fresh();
    const id = `Ev-${randomUUID()}:with:colons`;
    expect(await store.claimEvent(id, shortTtl)).toBe(true);
    expect(await store.claimEvent(id, shortTtl)).toBe(false);
    expect(await store.claimEvent(`${id}-other`, shortTtl)).toBe(true);
    const racers = await Promise.all(Array.from({ length: 20 }, () => store.claimEvent(`${id}-race`, DAY)));
    expect(racers.filter(Boolean)).toHaveLength(1);
    await elapse(shortTtl + 50);
    expect(await store.claimEvent(id, shortTtl)).toBe(true);
    expect(await store.claimEvent(id, shortTtl)).toBe(false);
  });

  it('a claim with an owner is true again for that owner only, and owners never unlock an id claimed without one', async () => {
    const { store, shortTtl, elapse } = await fresh();
    const id = `ev-${randomUUID()}`;
    expect(await store.claimEvent(id, DAY, 'work-a')).toBe(true);
    expect(await store.claimEvent(id, DAY, 'work-a')).toBe(true);
    expect(await store.claimEvent(id, DAY, 'work-b')).toBe(false);
    expect(await store.claimEvent(id, DAY)).toBe(false);
    const plain = `ev-${randomUUID()}`;
    expect(await store.claimEvent(plain, DAY)).toBe(true);
    expect(await store.claimEvent(plain, DAY, '')).toBe(false);
    expect(await store.claimEvent(plain, DAY, 'work-a')).toBe(false);
    const racers = await Promise.all(Array.from({ length: 10 }, (_, i) => store.claimEvent(`${id}-race`, DAY, `w${i}`)));
    expect(racers.filter(Boolean)).toHaveLength(1);
    const short = `ev-${randomUUID()}`;
    expect(await store.claimEvent(short, shortTtl, 'work-a')).toBe(true);
    await elapse(shortTtl + 50);
    expect(await store.claimEvent(short, shortTtl, 'work-b')).toBe(true);
    expect(await store.claimEvent(short, shortTtl, 'work-a')).toBe(false);
  });

  it('outbox: work added stays until removed; only expired leases are taken over, oldest first, once each', async () => {
    const { store, shortTtl, elapse } = await fresh();
    const outbox = store.outbox;
    expect(outbox, 'every store has an outbox').toBeDefined();
    if (!outbox) return;
    const run = randomUUID();
    const ids = [`${run}-1`, `${run}-2`, `${run}-3`];
    for (const [i, id] of ids.entries()) {
      await outbox.add(id, JSON.stringify({ n: i, text: 'ünïcode "quoted" \u0000' }), 'proc-a', shortTtl);
      await elapse(5);
    }
    // Nothing is taken while leases run.
    expect((await outbox.takeExpired('proc-b', DAY, 100)).filter((e) => e.id.startsWith(run))).toEqual([]);
    expect(await outbox.save(ids[0] as string, '{"n":0,"sent":1}', 'proc-a', DAY)).toBe(true);
    expect(await outbox.save(ids[1] as string, '{}', 'proc-z', DAY)).toBe(false);
    await outbox.remove(ids[2] as string);
    await outbox.remove(`${run}-never-added`);
    await elapse(shortTtl + 50);
    // ids[0] was renewed for a day by its save; ids[1] expired; ids[2] is gone.
    const taken = (await outbox.takeExpired('proc-b', DAY, 100)).filter((e) => e.id.startsWith(run));
    expect(taken.map((e) => e.id)).toEqual([ids[1]]);
    expect(taken[0]).toMatchObject({ data: JSON.stringify({ n: 1, text: 'ünïcode "quoted" \u0000' }), takeovers: 1 });
    expect(typeof taken[0]?.createdAt).toBe('number');
    // Now held by proc-b: the old holder cannot save, the new one can; nobody else takes it.
    expect(await outbox.save(ids[1] as string, '{"n":1}', 'proc-a', DAY)).toBe(false);
    expect(await outbox.save(ids[1] as string, '{"n":1,"sent":1}', 'proc-b', DAY)).toBe(true);
    expect((await outbox.takeExpired('proc-c', DAY, 100)).filter((e) => e.id.startsWith(run))).toEqual([]);
    await outbox.remove(ids[0] as string);
    await outbox.remove(ids[1] as string);
    await elapse(shortTtl + 50);
    expect((await outbox.takeExpired('proc-c', DAY, 100)).filter((e) => e.id.startsWith(run))).toEqual([]);
  });

  it('outbox: renew keeps a holder\'s work, takeovers count up, and twenty simultaneous takers share the work without overlap', async () => {
    const { store, shortTtl, elapse } = await fresh();
    const outbox = store.outbox;
    if (!outbox) throw new Error('no outbox');
    const run = randomUUID();
    await outbox.add(`${run}-kept`, '{}', 'proc-a', shortTtl);
    await outbox.add(`${run}-lost`, '{}', 'proc-a', shortTtl);
    await elapse(shortTtl / 2);
    await outbox.renew([`${run}-kept`], 'proc-a', DAY);
    await outbox.renew([`${run}-lost`], 'proc-x', DAY);
    await elapse(shortTtl / 2 + 50);
    const first = (await outbox.takeExpired('proc-b', shortTtl, 100)).filter((e) => e.id.startsWith(run));
    expect(first.map((e) => [e.id, e.takeovers])).toEqual([[`${run}-lost`, 1]]);
    await elapse(shortTtl + 50);
    const second = (await outbox.takeExpired('proc-c', DAY, 100)).filter((e) => e.id.startsWith(run));
    expect(second.map((e) => [e.id, e.takeovers])).toEqual([[`${run}-lost`, 2]]);
    await outbox.remove(`${run}-lost`);

    const many = Array.from({ length: 30 }, (_, i) => `${run}-m${String(i).padStart(2, '0')}`);
    for (const id of many) await outbox.add(id, '{}', 'dead', shortTtl);
    await elapse(shortTtl + 50);
    const takers = await Promise.all(Array.from({ length: 20 }, (_, i) => outbox.takeExpired(`taker-${i}`, DAY, 3)));
    const all = takers.flat().filter((e) => e.id.startsWith(run)).map((e) => e.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(many);
    for (const id of [...many, `${run}-kept`]) await outbox.remove(id);
  });

  it('deletes a state; deleting a missing one is fine', async () => {
    const { store } = await fresh();
    const key = keyFor();
    await store.set(key, state(1), null, DAY);
    await store.delete(key);
    expect(await store.get(key)).toBeNull();
    await expect(store.delete(key)).resolves.toBeUndefined();
    expect(await store.set(key, state(1), null, DAY)).toBe(1);
  });

  it('rejects bad arguments with a clear error', async () => {
    const { store } = await fresh();
    const key = keyFor();
    await expect(store.set(key, state(1), null, 0)).rejects.toThrow(/ttlMs must be a positive/);
    await expect(store.set(key, state(1), null, Number.NaN)).rejects.toThrow(/ttlMs/);
    await expect(store.set(key, state(1), 0, DAY)).rejects.toThrow(/expectedVersion must be null or a positive integer/);
    await expect(store.set(key, state(1), 1.5, DAY)).rejects.toThrow(/expectedVersion/);
    await expect(store.claimEvent('', DAY)).rejects.toThrow(/non-empty event id/);
    await expect(store.get({ ...key, user: undefined as unknown as string })).rejects.toThrow(/"user" must be a string/);
    expect(await store.get(key)).toBeNull();
  });

  it('after close, every call fails with StoreUnavailableError; close twice is fine', async () => {
    const { store } = await fresh();
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
    for (const call of [() => store.get(keyFor()), () => store.set(keyFor(), state(1), null, DAY), () => store.delete(keyFor()), () => store.claimEvent('e', DAY), () => store.ping()]) {
      await expect(call()).rejects.toBeInstanceOf(StoreUnavailableError);
    }
  });
});

describe('MemoryStore', () => {
  it('stays bounded: past maxKeys the least recently used state goes', async () => {
    const store = new MemoryStore({ maxKeys: 3 });
    const k = (n: number) => ({ platform: 'slack', workspace: 'T', conversation: 'C', user: `U${n}` });
    for (const n of [1, 2, 3]) await store.set(k(n), state(n), null, DAY);
    await store.get(k(1)); // U1 is now the most recently used
    await store.set(k(4), state(4), null, DAY);
    expect(store.size.states).toBe(3);
    expect(await store.get(k(2))).toBeNull();
    for (const n of [1, 3, 4]) expect((await store.get(k(n)))?.value).toEqual(state(n));
  });

  it('holds at most 10,000 states and 10,000 event ids by default', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 10_500; i++) {
      await store.set({ platform: 'p', workspace: 'w', conversation: 'c', user: `u${i}` }, { context: {} }, null, DAY);
      await store.claimEvent(`e${i}`, DAY);
    }
    expect(store.size).toEqual({ states: 10_000, events: 10_000 });
    expect(await store.get({ platform: 'p', workspace: 'w', conversation: 'c', user: 'u0' })).toBeNull();
    expect(await store.get({ platform: 'p', workspace: 'w', conversation: 'c', user: 'u10499' })).not.toBeNull();
  });

  it('refuses a nonsensical cap', () => {
    expect(() => new MemoryStore({ maxKeys: 0 })).toThrow(/maxKeys must be a positive integer/);
  });
});

describe('SqliteStore', () => {
  it('creates <dataDir>/vmk.sqlite (and missing folders) in WAL mode with the expected tables', async () => {
    const dataDir = join(tmpDir(), 'nested', 'data');
    const store = new SqliteStore({ dataDir });
    await store.set(keyFor(), state(1), null, DAY);
    const file = join(dataDir, SQLITE_FILE_NAME);
    expect(store.path).toBe(file);
    expect(existsSync(file)).toBe(true);
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['conversation_state', 'handled_events', 'outbox']);
    raw.close();
    await store.close();
  });

  it('upgrades a version 1 file in place: event ids claimed before stay claimed, and owners and the outbox work', async () => {
    const dataDir = tmpDir();
    const old = new Database(join(dataDir, SQLITE_FILE_NAME));
    old.exec(`CREATE TABLE conversation_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, version INTEGER NOT NULL, expires_at INTEGER NOT NULL);
      CREATE TABLE handled_events (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
      PRAGMA user_version = 1;`);
    old.prepare('INSERT INTO handled_events (id, expires_at) VALUES (?, ?)').run('old-event', Date.now() + DAY);
    old.close();
    const store = new SqliteStore({ dataDir });
    expect(await store.claimEvent('old-event', DAY, 'someone')).toBe(false);
    expect(await store.claimEvent('new-event', DAY, 'someone')).toBe(true);
    expect(await store.claimEvent('new-event', DAY, 'someone')).toBe(true);
    await store.outbox.add('w1', '{}', 'me', DAY);
    await store.close();
    const raw = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(2);
    raw.close();
  });

  it('sweeps expired rows on open and on demand, and ignores them on read before that', async () => {
    const dataDir = tmpDir();
    const clock = fakeClock();
    const store = new SqliteStore({ dataDir, now: clock.now });
    await store.set(keyFor(), state(1), null, 1_000);
    await store.set(keyFor(), state(1), null, DAY);
    await store.claimEvent('old', 1_000);
    clock.advance(2_000);
    const count = () => {
      const raw = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
      const n = raw.prepare('SELECT (SELECT count(*) FROM conversation_state) + (SELECT count(*) FROM handled_events)').pluck().get();
      raw.close();
      return n;
    };
    expect(count()).toBe(3);
    expect(store.sweep()).toEqual({ states: 1, events: 1 });
    expect(count()).toBe(1);
    await store.set(keyFor(), state(1), null, 1_000);
    await store.close();
    clock.advance(2_000);
    const reopened = new SqliteStore({ dataDir, now: clock.now });
    expect(count()).toBe(1);
    await reopened.close();
  });

  it('keeps state across close and reopen', async () => {
    const dataDir = tmpDir();
    const key = keyFor();
    const a = new SqliteStore({ dataDir });
    await a.set(key, state(1), null, DAY);
    await a.set(key, state(2), 1, DAY);
    await a.close();
    const b = new SqliteStore({ dataDir });
    expect(await b.get(key)).toEqual({ value: state(2), version: 2 });
    await b.close();
  });

  it('two stores on one file: compare-and-set holds between them', async () => {
    const dataDir = tmpDir();
    const a = new SqliteStore({ dataDir });
    const b = new SqliteStore({ dataDir });
    const key = keyFor();
    expect(await a.set(key, state(1), null, DAY)).toBe(1);
    expect(await b.set(key, state(1), null, DAY)).toBeNull();
    expect(await b.set(key, state(2, { by: 'b' }), 1, DAY)).toBe(2);
    expect(await a.set(key, state(2, { by: 'a' }), 1, DAY)).toBeNull();
    expect(await a.get(key)).toEqual({ value: state(2, { by: 'b' }), version: 2 });
    expect(await a.claimEvent('ev', DAY)).toBe(true);
    expect(await b.claimEvent('ev', DAY)).toBe(false);
    await a.close();
    await b.close();
  });

  it('a damaged stored value comes back as an empty state that the next write replaces', async () => {
    const dataDir = tmpDir();
    const store = new SqliteStore({ dataDir });
    const key = keyFor();
    await store.set(key, state(1), null, DAY);
    const raw = new Database(join(dataDir, SQLITE_FILE_NAME));
    raw.prepare('UPDATE conversation_state SET value = ?').run('[1,2,3]');
    raw.close();
    expect(await store.get(key)).toEqual({ value: { context: {} }, version: 1 });
    expect(await store.set(key, state(2), 1, DAY)).toBe(2);
    await store.close();
  });

  it('says how to fix a data folder that cannot be created', () => {
    const file = join(tmpDir(), 'a-file');
    writeFileSync(file, 'not a folder');
    expect(() => new SqliteStore({ dataDir: join(file, 'data') })).toThrow(StoreUnavailableError);
    expect(() => new SqliteStore({ dataDir: join(file, 'data') })).toThrow(/cannot create its data folder .*a-file.*set VMK_DATA_DIR to a writable folder/);
  });

  it('says how to fix a file that is not a database', () => {
    const dataDir = tmpDir();
    writeFileSync(join(dataDir, SQLITE_FILE_NAME), 'x'.repeat(4096));
    expect(() => new SqliteStore({ dataDir })).toThrow(/vmk\.sqlite cannot be opened \(SQLITE_NOTADB: file is not a database\); the file is damaged or not a database: move it aside/);
  });

  describe('across processes', () => {
    let compiled: ReturnType<typeof compileSqliteStore>;
    beforeAll(() => {
      compiled = compileSqliteStore();
    });
    afterAll(() => compiled.dispose());

    it('loses no acknowledged write when the writing process is killed with SIGKILL', async () => {
      const dataDir = tmpDir();
      const child = spawnSqliteChild(compiled.modulePath, ['write', dataDir]);
      let acked = 0;
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
      await new Promise<void>((resolve, reject) => {
        let buffer = '';
        child.stdout?.on('data', (d: Buffer) => {
          buffer += d.toString();
          const lines = buffer.split('\n');
          buffer = lines.pop() ?? '';
          for (const line of lines) acked = (JSON.parse(line) as { version: number }).version;
          // Kill mid-stream, while it is still writing as fast as it can.
          if (acked >= 200 && child.exitCode === null && !child.killed) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.once('exit', () => (acked >= 200 ? resolve() : reject(new Error(`writer stopped early: ${stderr}`))));
      });
      expect(await exited).toBe('SIGKILL');

      const store = new SqliteStore({ dataDir });
      const got = await store.get({ platform: 'slack', workspace: 'T1', conversation: 'D1', user: 'U1' });
      // Every write the child reported is there; at most one more had committed before the kill.
      expect(got?.version).toBeGreaterThanOrEqual(acked);
      expect(got?.version).toBeLessThanOrEqual(acked + 1);
      const dialog = got?.value.dialog as { step: number; answers: string[] };
      expect(dialog.step).toBe(got?.version);
      expect(dialog.answers).toEqual(Array.from({ length: dialog.step }, (_, i) => `answer-${i + 1}`));
      await store.close();
      const raw = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();
    });

    it('three processes incrementing one counter with compare-and-set lose no update', async () => {
      const dataDir = tmpDir();
      const perChild = 150;
      new SqliteStore({ dataDir }).close(); // create the file first so the children race only on writes
      const startAt = String(Date.now() + 1_000);
      const outputs = await Promise.all([1, 2, 3].map(() => runSqliteChild(compiled.modulePath, ['increment', dataDir, String(perChild), startAt])));
      const conflicts = outputs.map((o) => (JSON.parse(o) as { conflicts: number }).conflicts);
      const store = new SqliteStore({ dataDir });
      const got = await store.get({ platform: 'slack', workspace: 'T1', conversation: 'counter', user: 'U1' });
      expect(got?.version).toBe(3 * perChild);
      expect(got?.value.dialog).toEqual({ n: 3 * perChild });
      await store.close();
      console.log(`cross-process CAS: ${3 * perChild} increments, ${conflicts.join('+')} conflicts retried`);
    });
  });
});

describe('RedisStore', () => {
  let server: TestRedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(() => server?.dispose());

  it('stores each state under vmk:state:<encoded parts> as a hash with a PX expiry', async () => {
    const store = await RedisStore.connect({ url: server.url });
    const key: StateKey = { platform: 'slack', workspace: 'T1:C1', conversation: 'x', user: 'U%1' };
    expect(redisStateKey(key)).toBe('vmk:state:slack:T1%3AC1:x:U%251');
    await store.set(key, state(1), null, 60_000);
    await store.claimEvent('Ev1', 30_000);
    const raw = new Redis(server.url);
    expect(await raw.hgetall('vmk:state:slack:T1%3AC1:x:U%251')).toEqual({ version: '1', value: JSON.stringify(state(1)) });
    const pttl = await raw.pttl('vmk:state:slack:T1%3AC1:x:U%251');
    expect(pttl).toBeGreaterThan(59_000);
    expect(pttl).toBeLessThanOrEqual(60_000);
    expect(await raw.pttl('vmk:event:Ev1')).toBeGreaterThan(29_000);
    // The script is loaded on demand (EVALSHA falls back to EVAL after a SCRIPT FLUSH).
    await raw.script('FLUSH');
    expect(await store.set(key, state(2), 1, 60_000)).toBe(2);
    raw.disconnect();
    await store.close();
  });

  it('fails fast while Redis is down and recovers by itself when it is back', async () => {
    const store = await RedisStore.connect({ url: server.url });
    const key = keyFor();
    expect(await store.set(key, state(1), null, DAY)).toBe(1);

    await server.stop();
    let slowest = 0;
    for (const call of [() => store.get(key), () => store.set(key, state(2), 1, DAY), () => store.claimEvent('x', DAY), () => store.ping()]) {
      const started = Date.now();
      const err = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toMatch(/^Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable \(.+\); start it or unset REDIS_URL/);
      slowest = Math.max(slowest, Date.now() - started);
    }
    expect(slowest).toBeLessThan(2_000);

    const downAt = Date.now();
    await server.start();
    let recoveredAfter = -1;
    while (Date.now() - downAt < 5_000) {
      if (await store.ping().then(() => true, () => false)) {
        recoveredAfter = Date.now() - downAt;
        break;
      }
      await sleep(50);
    }
    expect(recoveredAfter).toBeGreaterThanOrEqual(0);
    // The restarted server is empty (no persistence): the store works from scratch.
    expect(await store.get(key)).toBeNull();
    expect(await store.set(key, state(1), null, DAY)).toBe(1);
    console.log(`Redis down: calls rejected in <= ${slowest} ms; usable again ${recoveredAfter} ms after redis-server restarted`);
    await store.close();
  });

  it('a command in flight when Redis dies rejects promptly', async () => {
    const store = await RedisStore.connect({ url: server.url });
    const raw = new Redis(server.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    raw.on('error', () => {});
    // Hold the server busy so the next command is still waiting when the server dies.
    const blocker = raw.eval('local t = redis.call("TIME"); while true do local n = redis.call("TIME"); if (n[1] - t[1]) * 1000000 + (n[2] - t[2]) > 3000000 then break end end return 1', 0).catch(() => 0);
    await sleep(50);
    const started = Date.now();
    const pending = store.get(keyFor()).then(() => null, (e: unknown) => e);
    await sleep(50);
    await server.stop();
    const err = await pending;
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(2_500);
    raw.disconnect();
    await blocker;
    await store.close();
    await server.start();
  });

  it('refuses to start against an unreachable Redis, with a fix-it message and no password', async () => {
    const port = await freePort();
    const started = Date.now();
    const err = await RedisStore.connect({ url: `redis://vmk:s3cret-pw@127.0.0.1:${port}/0` }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    const message = (err as Error).message;
    expect(message).toBe(`Redis at redis://vmk:***@127.0.0.1:${port}/0 is unreachable (ECONNREFUSED); start it or unset REDIS_URL to use the embedded SQLite store.`);
    expect(message).not.toContain('s3cret');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('says to check the password when Redis refuses it', async () => {
    const raw = new Redis(server.url);
    await raw.config('SET', 'requirepass', 'right-pw');
    raw.disconnect();
    try {
      const err = await RedisStore.connect({ url: `redis://:wrong-pw@127.0.0.1:${server.port}` }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toMatch(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ refused vmk \(WRONGPASS.*\); check the user name and password in REDIS_URL\.$/);
      expect((err as Error).message).not.toContain('wrong-pw');
      const ok = await RedisStore.connect({ url: `redis://:right-pw@127.0.0.1:${server.port}` });
      await ok.ping();
      await ok.close();
    } finally {
      const admin = new Redis(`redis://:right-pw@127.0.0.1:${server.port}`);
      await admin.config('SET', 'requirepass', '');
      admin.disconnect();
    }
  });

  it('does not hang on a server that accepts connections but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const started = Date.now();
      const err = await RedisStore.connect({ url: `redis://127.0.0.1:${port}` }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toMatch(/is unreachable \((no answer within 3\.5 s|timed out)\); start it or unset REDIS_URL/);
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('redacts passwords in URLs', () => {
    expect(redactRedisUrl('redis://user:pw@host:6379/2')).toBe('redis://user:***@host:6379/2');
    expect(redactRedisUrl('rediss://:pw@host:6380')).toBe('rediss://:***@host:6380');
    expect(redactRedisUrl('redis://host:6379')).toBe('redis://host:6379');
    expect(redactRedisUrl('::not a url pw')).toBe('the configured REDIS_URL (not a valid URL)');
  });
});

describe('createStore', () => {
  it('builds each kind from the parsed configuration', async () => {
    const clock = fakeClock();
    const memory = await createStore({ kind: 'memory', dataDir: 'unused', now: clock.now });
    expect(memory.kind).toBe('memory');
    await memory.close();
    const dataDir = join(tmpDir(), 'data');
    const sqlite = await createStore({ kind: 'sqlite', dataDir });
    expect(sqlite.kind).toBe('sqlite');
    expect(existsSync(join(dataDir, SQLITE_FILE_NAME))).toBe(true);
    await sqlite.close();
    const server = await startRedisServer();
    try {
      const redisStore = await createStore({ kind: 'redis', dataDir, redisUrl: server.url });
      expect(redisStore.kind).toBe('redis');
      await redisStore.ping();
      await redisStore.close();
    } finally {
      await server.dispose();
    }
  });

  it('asks for REDIS_URL when the Redis store is chosen without one', async () => {
    await expect(createStore({ kind: 'redis', dataDir: tmpDir() })).rejects.toBeInstanceOf(ConfigError);
    await expect(createStore({ kind: 'redis', dataDir: tmpDir() })).rejects.toThrow(/REDIS_URL: the Redis store needs REDIS_URL/);
  });
});
