/**
 * Bursts of simultaneous clicks and typed answers against a real Redis
 * (redis-server started on a free port, as in the store contract tests), split
 * across two engines with their own connections, as two vmk instances would be.
 *
 * Targets: no click or message ever gets an error reply; a click that changes
 * nothing writes nothing (the stored version stays); the stored dialog always
 * parses.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEngineCore, type Core } from '../src/core.js';
import { createStore } from '../src/store/index.js';
import type { StateKey, StateStore } from '../src/store/types.js';
import type { Action, InboundMessage, Reply } from '../src/types.js';
import { startRedisServer, type TestRedisServer } from './helpers/redis.js';

let redis: TestRedisServer;
let a: Core;
let b: Core;
const stores: StateStore[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  // Both stores connect first: building a core trains the models when no compiled file matches (seconds of CPU),
  // and a connection waiting meanwhile would time out.
  for (let i = 0; i < 2; i++) stores.push(await createStore({ kind: 'redis', dataDir: '', redisUrl: redis.url }));
  [a, b] = stores.map((store) => buildEngineCore({ store })) as [Core, Core];
});

afterAll(async () => {
  for (const s of stores) await s.close();
  await redis?.dispose();
});

function conversation(): { msg: (send: string | Action) => InboundMessage; key: StateKey } {
  const id = `C-${randomUUID()}`;
  const base = { platform: 'slack' as const, workspace: 'T-race', conversation: id, user: 'U-race' };
  return {
    key: base,
    msg: (send) => (typeof send === 'string' ? { ...base, text: send } : { ...base, text: '', action: send }),
  };
}

const kinds = (replies: Reply[][]) => replies.flat().map((r) => r.kind);
const engineFor = (i: number) => (i % 2 === 0 ? a : b).engine;

async function version(key: StateKey): Promise<number | undefined> {
  return (await a.store.get(key))?.version;
}

async function startDialog(c: ReturnType<typeof conversation>): Promise<Reply> {
  const { replies } = await a.engine.handle(c.msg({ type: 'start' }));
  const question = replies.find((r) => r.kind === 'question');
  if (!question?.choices?.length) throw new Error(`no question with choices: ${JSON.stringify(replies)}`);
  return question;
}

describe('simultaneous clicks on one dialog (Redis, two engines)', () => {
  it('16 clicks of the same button: one is applied, the rest see the current question; no error, one new version', async () => {
    const c = conversation();
    const question = await startDialog(c);
    const before = await version(c.key);
    const click = question.choices![0]!.action;
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => engineFor(i).handle(c.msg(click))));
    const all = results.map((r) => r.replies);
    expect(kinds(all)).not.toContain('error');
    expect(all.every((r) => r.length > 0)).toBe(true);
    expect(await version(c.key)).toBe((before ?? 0) + 1);
    const stored = a.advisor.parse((await a.store.get(c.key))?.value.dialog) as { answers: unknown[] } | null;
    expect(stored?.answers).toHaveLength(1);
  });

  it('a click that changes nothing does not write: the stored version stays the same', async () => {
    const c = conversation();
    const question = await startDialog(c);
    const click = question.choices![0]!.action;
    await a.engine.handle(c.msg(click));
    const v = await version(c.key);
    // The same button again (a replay): the dialog is past that step.
    const replay = await b.engine.handle(c.msg(click));
    expect(kinds([replay.replies])).toContain('notice');
    expect(await version(c.key)).toBe(v);
    // Twelve more replays at once: still no write.
    await Promise.all(Array.from({ length: 12 }, (_, i) => engineFor(i).handle(c.msg(click))));
    expect(await version(c.key)).toBe(v);
  });

  it('12 different buttons of one step clicked at once (every option, skip, back): exactly one applied, no error', async () => {
    const c = conversation();
    const question = await startDialog(c);
    const before = await version(c.key);
    const clicks: Action[] = [...question.choices!.map((ch) => ch.action), ...(question.actions ?? []).map((ch) => ch.action).filter((x) => x.type === 'skip' || x.type === 'back')];
    const burst = Array.from({ length: 12 }, (_, i) => clicks[i % clicks.length]!);
    const results = await Promise.all(burst.map((click, i) => engineFor(i).handle(c.msg(click))));
    expect(kinds(results.map((r) => r.replies))).not.toContain('error');
    expect(await version(c.key)).toBe((before ?? 0) + 1);
  });

  it('20 typed answers at once, each a real change: none gets an error, the stored dialog still parses', async () => {
    const c = conversation();
    await startDialog(c);
    const typed = ['skip', 'not sure', '1', '2', 'skip', 'yes', 'no', 'skip', '1', 'not sure'];
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => engineFor(i).handle(c.msg(typed[i % typed.length]!))));
    const all = results.map((r) => r.replies);
    expect(kinds(all)).not.toContain('error');
    expect(all.every((r) => r.length > 0)).toBe(true);
    const stored = (await a.store.get(c.key))?.value;
    expect(stored?.dialog === undefined || a.advisor.parse(stored.dialog) !== null).toBe(true);
  });
});
