/**
 * A whole turn in process: the engine with a memory store, then both
 * platform renderers.
 */
import { renderReply } from '../adapters/slack/render.js';
import { renderCard } from '../adapters/teams/render.js';
import { buildEngineCore } from '../src/core.js';
import { MemoryStore } from '../src/store/memory.js';
import type { Action, InboundMessage, Reply } from '../src/types.js';
import { QUESTIONS, REVIEWS } from './inputs.js';
import { summariseNs, type LatencySummary } from './lib.js';

export interface TurnResult extends LatencySummary {
  conversations: number;
  mix: { topic: number; dialog: number; review: number };
  byKind: { topic: LatencySummary; dialog: LatencySummary; review: LatencySummary };
}

type Kind = 'topic' | 'dialog' | 'review';

/**
 * Full turns: engine.handle with a memory store, then every reply rendered to
 * Block Kit and to an Adaptive Card (and serialised to JSON). Each conversation asks two questions,
 * runs the guided dialog to its end by clicking buttons, and asks for a review.
 */
export async function benchTurn(opts: { conversations?: number; warmConversations?: number } = {}): Promise<TurnResult> {
  const store = new MemoryStore();
  const core = buildEngineCore({ store });
  const samples: Record<Kind, bigint[]> = { topic: [], dialog: [], review: [] };
  let renderedBytes = 0;

  const turn = async (kind: Kind | null, msg: InboundMessage): Promise<Reply[]> => {
    const start = process.hrtime.bigint();
    const result = await core.engine.handle(msg);
    for (const reply of result.replies) {
      // Rendered and serialised, as each adapter puts it on the wire.
      renderedBytes += JSON.stringify(renderReply(reply)).length;
      renderedBytes += JSON.stringify(renderCard(reply)).length;
    }
    const took = process.hrtime.bigint() - start;
    if (kind) samples[kind].push(took);
    return result.replies;
  };

  const conversation = async (i: number, measure: boolean) => {
    const base = { platform: 'slack' as const, workspace: 'TBENCH', conversation: `C${i}`, user: `U${i % 97}`, surface: 'channel' as const };
    const q1 = QUESTIONS[i % QUESTIONS.length] ?? 'help';
    const q2 = QUESTIONS[(i * 7 + 3) % QUESTIONS.length] ?? 'help';
    await turn(measure ? 'topic' : null, { ...base, text: q1 });
    await turn(measure ? 'topic' : null, { ...base, text: q2 });

    // The guided dialog, driven by clicks: start, then one answer per question until the recommendation.
    let replies = await turn(measure ? 'dialog' : null, { ...base, text: '', action: { type: 'start' }, surface: 'button' });
    for (let step = 0; step < 30; step++) {
      const last = replies[replies.length - 1];
      if (!last || last.dialog?.done || !last.choices?.length) break;
      const options = last.choices.filter((c) => c.action.type === 'answer');
      const pick = options[(i + step) % Math.max(1, options.length)] ?? last.choices[0];
      if (!pick) break;
      const action: Action = pick.action;
      replies = await turn(measure ? 'dialog' : null, { ...base, text: '', action, surface: 'button' });
    }

    await turn(measure ? 'review' : null, { ...base, text: REVIEWS[i % REVIEWS.length] ?? '' });
  };

  const warm = opts.warmConversations ?? 200;
  for (let i = 0; i < warm; i++) await conversation(100_000 + i, false);
  const n = opts.conversations ?? 1_000;
  for (let i = 0; i < n; i++) await conversation(i, true);
  await store.close();
  if (renderedBytes === 0) throw new Error('nothing was rendered');

  const all = [...samples.topic, ...samples.dialog, ...samples.review];
  return {
    ...summariseNs(all),
    conversations: n,
    mix: { topic: samples.topic.length, dialog: samples.dialog.length, review: samples.review.length },
    byKind: { topic: summariseNs(samples.topic), dialog: summariseNs(samples.dialog), review: summariseNs(samples.review) },
  };
}

