/**
 * Property-based reliability checks on the turn engine itself (memory store):
 * whatever text arrives, the reply is valid and renders safely on both
 * platforms; whatever a person clicks or types, in whatever order, the stored
 * dialog stays valid and no given answer is lost.
 *
 * The advisor-level dialog properties (without the engine and the store) are
 * in advisor-dialog.test.ts; these go through engine.handle and the store.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderReply } from '../adapters/slack/render.js';
import { renderCard } from '../adapters/teams/render.js';
import { buildEngineCore, type Core } from '../src/core.js';
import { MemoryStore } from '../src/store/memory.js';
import type { StateKey } from '../src/store/types.js';
import type { Action, InboundMessage, Reply, ReplyKind } from '../src/types.js';
import type { DialogState } from '../src/advisor/index.js';

const KINDS: readonly ReplyKind[] = [
  'topic',
  'platform',
  'overview',
  'guidance',
  'help',
  'greeting',
  'thanks',
  'fallback',
  'clarify',
  'question',
  'recommendation',
  'review',
  'notice',
  'error',
];

let core: Core;
let store: MemoryStore;

beforeAll(() => {
  store = new MemoryStore();
  core = buildEngineCore({ store });
});

/** Everything a reply must satisfy, whatever the input. */
function expectValidReplies(replies: Reply[], input: string): void {
  expect(replies.length, `no reply for ${JSON.stringify(input).slice(0, 200)}`).toBeGreaterThan(0);
  for (const reply of replies) {
    expect(KINDS).toContain(reply.kind);
    expect(reply.summary.trim().length).toBeGreaterThan(0);
    expect(reply.kind).not.toBe('error');
    const slack = JSON.stringify(renderReply(reply));
    // Escaped user text never becomes a mention or a broadcast.
    expect(slack).not.toMatch(/<[!@#]/);
    const teams = renderCard(reply);
    expect(teams.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(JSON.stringify(teams)).not.toMatch(/<at>/i);
  }
}

/** Text users really send, plus hostile fragments, glued together at random. */
const fragment = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '<!channel>',
    '<!here>',
    '<!everyone>',
    '<@U12345>',
    '<#C123|general>',
    '<!subteam^S1|@ops>',
    '<https://evil.example|click me>',
    '<script>alert(1)</script>',
    '<at>vmk</at>',
    '[click](https://evil.example)',
    '&lt;!channel&gt;',
    '\u200b\u200c\u200d\u2060\ufeff',
    '\u202e\u202d\u2066\u2069',
    'مرحبا، هل أستخدم كوبرنيتس؟',
    'שלום',
    '🚀🔥👩‍💻🏳️‍🌈',
    'e\u0301\u0301\u0301',
    '\ud800',
    '\u0000\u0007\u001b[31m',
    'should we run our legacy monolith on VMs or Kubernetes?',
    'what about isolation?',
    'help',
    'yes',
    '   ',
    '\n\n\t',
  ),
);
const anyText = fc.array(fragment, { maxLength: 6 }).map((parts) => parts.join(' '));

let seq = 0;
function message(text: string, user = 'U1', conversation = `C${++seq}`, action?: Action): InboundMessage {
  return { platform: 'slack', workspace: 'T1', conversation, user, text, ...(action ? { action } : {}) };
}

describe('any text through engine.handle', () => {
  it('gets a valid reply that renders safely on Slack and Teams (property)', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        const result = await core.engine.handle(message(text));
        expectValidReplies(result.replies, text);
      }),
      { numRuns: 250, seed: 8_2024 },
    );
  });

  it('a 40,000-character message is answered, not rejected or crashed on', async () => {
    const long = 'we run a stateless web API that must scale with traffic '.repeat(800).slice(0, 40_000);
    expect(long).toHaveLength(40_000);
    const result = await core.engine.handle(message(long));
    expectValidReplies(result.replies, long);
  });

  it('typed text in the middle of a dialog gets a valid reply too (property)', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (text) => {
        const conversation = `D${++seq}`;
        await core.engine.handle(message('', 'U1', conversation, { type: 'start' }));
        const result = await core.engine.handle(message(text, 'U1', conversation));
        expectValidReplies(result.replies, text);
        const stored = await store.get({ platform: 'slack', workspace: 'T1', conversation, user: 'U1' });
        if (stored?.value.dialog !== undefined) expect(core.advisor.parse(stored.value.dialog)).not.toBeNull();
      }),
      { numRuns: 120, seed: 4242 },
    );
  });
});

type Move =
  | { kind: 'choice'; index: number }
  | { kind: 'nav'; type: 'skip' | 'back' | 'restart' | 'cancel' }
  | { kind: 'typed'; text: string }
  | { kind: 'stale'; back: number }
  | { kind: 'stranger'; index: number }
  | { kind: 'start' }
  | { kind: 'question'; text: string };

const moveArb: fc.Arbitrary<Move> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('choice' as const), index: fc.nat({ max: 6 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('nav' as const), type: fc.constantFrom('skip' as const, 'back' as const, 'restart' as const, 'cancel' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('typed' as const), text: fc.constantFrom('yes', 'no', 'mostly', 'not sure', '1', '2', '3', '9', 'we need GPUs', 'legacy monolith') }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('stale' as const), back: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stranger' as const), index: fc.nat({ max: 6 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'start' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('question' as const), text: fc.constantFrom('what about isolation?', 'thanks', 'help') }) },
);

/** The newest reply that belongs to a dialog (question, recommendation or review). */
function dialogReply(replies: Reply[]): Reply | undefined {
  return [...replies].reverse().find((r) => r.dialog !== undefined);
}

describe('random clicks and typing through engine.handle', () => {
  it('never leave an invalid dialog in the store and never lose an answer (property)', async () => {
    const checked: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(fc.array(moveArb, { minLength: 1, maxLength: 40 }), async (moves) => {
        const conversation = `P${++seq}`;
        const key: StateKey = { platform: 'slack', workspace: 'T1', conversation, user: 'U1' };
        const readDialog = async (): Promise<DialogState | null> => {
          const stored = await store.get(key);
          if (stored?.value.dialog === undefined) return null;
          const parsed = core.advisor.parse(stored.value.dialog) as DialogState | null;
          expect(parsed, `stored dialog is invalid: ${JSON.stringify(stored.value.dialog)}`).not.toBeNull();
          return parsed;
        };
        let shown = dialogReply((await core.engine.handle(message('', 'U1', conversation, { type: 'start' }))).replies);
        const clicked: Action[] = [];
        for (const move of moves) {
          const before = await readDialog();
          const active = before !== null && !before.done;
          let msg: InboundMessage | null = null;
          let expectation: ((after: DialogState | null) => void) | null = null;
          const choices = shown?.choices ?? [];
          const navs = shown?.actions ?? [];
          switch (move.kind) {
            case 'choice': {
              const choice = choices[move.index % Math.max(1, choices.length)];
              if (!choice) break;
              msg = message('', 'U1', conversation, choice.action);
              const a = choice.action;
              if (active && a.type === 'answer' && a.dialog === before.id && a.step === before.answers.length && before.current !== null) {
                // The answer is recorded after every earlier one, none of which is lost.
                expectation = (after) => {
                  expect(after).not.toBeNull();
                  expect(after!.answers.slice(0, before.answers.length)).toEqual(before.answers);
                  expect(after!.answers[before.answers.length]).toEqual({ question: before.current, option: a.value });
                };
              }
              break;
            }
            case 'nav': {
              const nav = navs.find((c) => c.action.type === move.type);
              if (!nav) break;
              msg = message('', 'U1', conversation, nav.action);
              const a = nav.action;
              if (active && 'step' in a && a.dialog === before.id && a.step === before.answers.length) {
                if (move.type === 'skip') expectation = (after) => expect(after!.answers.slice(0, before.answers.length)).toEqual(before.answers);
                if (move.type === 'back') expectation = (after) => expect(after!.answers).toEqual(before.answers.slice(0, Math.max(0, before.answers.length - 1)));
                if (move.type === 'restart') expectation = (after) => expect(after!.answers).toEqual([]);
              }
              break;
            }
            case 'typed':
              msg = message(move.text, 'U1', conversation);
              if (active) expectation = (after) => expect(after!.answers.slice(0, before.answers.length)).toEqual(before.answers);
              break;
            case 'question':
              msg = message(move.text, 'U1', conversation);
              if (active) expectation = (after) => expect(after!.answers.slice(0, before.answers.length)).toEqual(before.answers);
              break;
            case 'stale': {
              const old = clicked[clicked.length - move.back];
              if (!old) break;
              msg = message('', 'U1', conversation, old);
              if (before && 'step' in old && (old.dialog !== before.id || old.step !== before.answers.length)) {
                // A replayed click from an earlier step changes nothing.
                expectation = (after) => expect(after).toEqual(before);
              }
              break;
            }
            case 'stranger': {
              const choice = choices[move.index % Math.max(1, choices.length)];
              if (!choice) break;
              // Someone else in the same conversation: their state is their own, the owner's dialog does not move.
              const result = await core.engine.handle({ ...message('', 'U2', conversation, choice.action) });
              expectValidReplies(result.replies, 'stranger click');
              expect(await readDialog()).toEqual(before);
              continue;
            }
            case 'start':
              msg = message('', 'U1', conversation, { type: 'start' });
              break;
          }
          if (!msg) continue;
          if (msg.action) clicked.push(msg.action);
          const result = await core.engine.handle(msg);
          expectValidReplies(result.replies, JSON.stringify(move));
          const after = await readDialog();
          if (expectation) {
            expectation(after);
            checked[move.kind] = (checked[move.kind] ?? 0) + 1;
          }
          if (after) expect(after.answers.length).toBeLessThanOrEqual(12);
          shown = dialogReply(result.replies) ?? shown;
        }
      }),
      { numRuns: 150, seed: 1_188 },
    );
    // The run really exercised accepted answers, navigation, typing and replays.
    for (const kind of ['choice', 'nav', 'typed', 'stale']) expect(checked[kind] ?? 0, JSON.stringify(checked)).toBeGreaterThan(20);
  });
});
