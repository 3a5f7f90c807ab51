import { randomBytes } from 'node:crypto';
import type { Advisor, AdvisorResult } from './advisor/types.js';
import {
  clarifyAnswer,
  dialogFinishedAnswer,
  fallbackAnswer,
  raceLostAnswer,
  greetingAnswer,
  guidanceAnswer,
  helpAnswer,
  internalErrorAnswer,
  nearbyAnswer,
  dialogInProgressAnswer,
  overviewAnswer,
  platformAnswer,
  storeDownAnswer,
  thanksAnswer,
  topicAnswer,
} from './answers.js';
import type { Knowledge } from './knowledge/schema.js';
import { lazyChild, type Logger } from './logger.js';
import { noMetrics, type Metrics } from './metrics.js';
import type { Nlu } from './understanding/types.js';
import { StoreUnavailableError, type ConversationState, type StateKey, type StateStore, type Versioned } from './store/types.js';
import type { Classification, InboundMessage, IntentId, Reply, TurnResult } from './types.js';

/** The turn engine: one inbound message in, replies out. Platform-neutral. */
export interface Engine {
  handle(msg: InboundMessage): Promise<TurnResult>;
}

export interface EngineDeps {
  knowledge: Knowledge;
  nlu: Nlu;
  advisor: Advisor;
  store: StateStore;
  logger: Logger;
  /** How long an untouched conversation (and its dialog) is kept. */
  dialogTtlMs: number;
  now?: () => number;
  /** Where each turn is counted (platform, intent, outcome, latency); default: nowhere. */
  metrics?: Metrics;
}

/**
 * The longest text a turn reads. Longer messages (typed text, or the text of
 * an "ask" button) are cut once, here at the core's entry, whatever platform
 * they came from, and the first reply carries a note saying so. This bounds
 * the work every later step (normalisation, classification, extraction) can
 * be made to do by one message.
 */
export const MAX_TURN_CHARS = 4_000;
/** Classification reads at most this much of the (already capped) text. */
export const CLASSIFY_CHARS = 2_000;
/** What people type to answer a dialog question; after the dialog has finished these get dialogFinishedAnswer(). */
const DIALOG_REPLY =
  /^(?:not sure|unsure|i'?m not sure|(?:i )?don'?t know|dunno|no idea|idk|no clue|maybe|hard to say|(?:it )?depends|skip|next|pass|back|go back|undo|previous|yes|y|yeah|yep|no|n|nope|cancel|(?:option |number |#)?\d{1,2})$/;
/**
 * Compare-and-set attempts per turn. Writes that change nothing are skipped,
 * so only messages that really change the conversation compete; after the
 * last lost attempt the turn answers from the current state (see `turn`).
 */
const MAX_CAS_ATTEMPTS = 8;

/** Cuts text to MAX_TURN_CHARS UTF-16 units without splitting a surrogate pair. */
export function capTurnText(text: string): { text: string; originalLength: number | null } {
  if (text.length <= MAX_TURN_CHARS) return { text, originalLength: null };
  let end = MAX_TURN_CHARS;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return { text: text.slice(0, end), originalLength: text.length };
}

/** The note added to the first reply when a message was cut. */
export function shortenedNote(originalLength: number): string {
  return `Your message was ${thousands(originalLength)} characters long; I read only the first ${thousands(MAX_TURN_CHARS)}.`;
}

/** 1048576 -> "1,048,576" (toLocaleString would load ICU data on the first turn that needs it: tens of ms). */
function thousands(n: number): string {
  return String(Math.trunc(n)).replace(/\B(?=(\d{3})+$)/g, ',');
}

/** Deep equality of two JSON values (conversation state is plain JSON). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameJson(v, bb[i]));
  }
  const ak = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const bk = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** A short id users can quote and the log can be searched for. */
export function referenceId(): string {
  return `vmk-${randomBytes(4).toString('hex')}`;
}

interface Outcome {
  replies: Reply[];
  /** The state to write; undefined means "leave the store alone". */
  next?: ConversationState;
  classification?: Classification;
  intent?: IntentId | 'dialog' | 'action';
  /** Set when the store could not be reached and the turn was answered without it. */
  storeDown?: boolean;
}

/** The message as a turn sees it: its text, and the text of an "ask" button, cut to MAX_TURN_CHARS. */
function capMessage(msg: InboundMessage): InboundMessage {
  const text = capTurnText(msg.text);
  const ask = msg.action?.type === 'ask' ? capTurnText(msg.action.text) : null;
  if (text.originalLength === null && (ask === null || ask.originalLength === null)) return msg;
  return {
    ...msg,
    text: text.text,
    ...(ask && ask.originalLength !== null ? { action: { type: 'ask' as const, text: ask.text } } : {}),
  };
}

/** Adds a note to the first reply (every adapter renders notes under the reply). */
function withNote(replies: Reply[], note: string): Reply[] {
  const [first, ...rest] = replies;
  if (!first) return replies;
  return [{ ...first, notes: [...(first.notes ?? []), note] }, ...rest];
}

export function createEngine(deps: EngineDeps): Engine {
  const { knowledge, nlu, advisor, store, logger, dialogTtlMs } = deps;
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? noMetrics;

  /** Answers a typed question (not a dialog answer). */
  function answerText(text: string, msg: InboundMessage, state: ConversationState, at: number): Outcome {
    const classification = nlu.classify(text.slice(0, CLASSIFY_CHARS), state.context);
    const { intent, topic, platform, alternative } = classification;
    const context: ConversationState['context'] = { ...state.context, lastIntent: intent };
    let replies: Reply[];
    let dialog = state.dialog;

    const nearby = classification.nearby ? nearbyAnswer(knowledge, classification.nearby) : null;
    if (alternative && intent !== 'out_of_scope') {
      replies = [clarifyAnswer(knowledge, intent, alternative.intent, topic)];
    } else if (nearby) {
      replies = [nearby];
      if (topic) context.lastTopic = topic;
    } else {
      switch (intent) {
        case 'ask_topic':
          if (topic) {
            replies = [topicAnswer(knowledge, topic, platform)];
            context.lastTopic = topic;
            if (platform) context.lastPlatform = platform;
            for (const extra of classification.topics.filter((t) => t !== topic).slice(0, 1)) {
              replies.push(topicAnswer(knowledge, extra, platform));
              context.lastTopic = extra;
            }
          } else {
            replies = [overviewAnswer(knowledge)];
          }
          break;
        case 'ask_platform':
          replies = [platformAnswer(knowledge, platform ?? state.context.lastPlatform ?? 'kubernetes')];
          context.lastPlatform = platform ?? state.context.lastPlatform ?? 'kubernetes';
          break;
        case 'compare_overview':
          replies = [overviewAnswer(knowledge)];
          break;
        case 'ask_guidance':
          replies = [guidanceAnswer(knowledge)];
          break;
        case 'start_advice':
        case 'review_workload': {
          if (state.dialog && advisor.isActive(state.dialog)) {
            // A recommendation is waiting for an answer: a new one would throw the answers given so far away.
            const current = advisor.onAction(state.dialog, { type: 'ask', text: '' }, msg.user, at);
            replies = [dialogInProgressAnswer(), ...current.replies];
            break;
          }
          const r = intent === 'review_workload' ? advisor.review(text, msg.user, at) : advisor.start(msg.user, at);
          replies = r.replies;
          dialog = r.dialog ?? undefined;
          break;
        }
        case 'help':
          replies = [helpAnswer(knowledge)];
          break;
        case 'greeting':
          replies = [greetingAnswer()];
          break;
        case 'thanks':
          replies = [thanksAnswer()];
          break;
        case 'out_of_scope':
          replies = [fallbackAnswer('out_of_scope')];
          break;
      }
    }
    return { replies, next: { context, dialog }, classification, intent };
  }

  function fromAdvisor(state: ConversationState, r: AdvisorResult<unknown>, intent: Outcome['intent']): Outcome {
    return { replies: r.replies, next: { context: state.context, dialog: r.dialog ?? undefined }, intent };
  }

  /** Decides the replies for one message against one snapshot of the state. Pure apart from the clock. */
  function decide(msg: InboundMessage, state: ConversationState, at: number): Outcome {
    const dialog = state.dialog === undefined ? undefined : (advisor.parse(state.dialog) ?? undefined);
    const action = msg.action;
    if (action) {
      switch (action.type) {
        case 'ask':
          return answerText(action.text, msg, state, at);
        case 'start':
          return fromAdvisor(state, advisor.start(msg.user, at), 'action');
        default:
          return fromAdvisor(state, advisor.onAction(dialog, action, msg.user, at), 'action');
      }
    }
    const text = msg.text.trim();
    if (dialog && advisor.isActive(dialog) && text) {
      const r = advisor.onText(dialog, text, msg.user, at);
      if (r) return fromAdvisor(state, r, 'dialog');
    }
    // An answer typed after the dialog finished ("not sure", "skip", "2") is no new request: say it is over.
    if (dialog && !advisor.isActive(dialog) && DIALOG_REPLY.test(text.toLowerCase().replace(/[\s.!?,;:'"]+$/, ''))) {
      return { replies: [dialogFinishedAnswer()], intent: 'dialog' };
    }
    if (!text) return { replies: [fallbackAnswer('empty')], intent: 'out_of_scope' };
    return answerText(text, msg, state, at);
  }

  async function turn(msg: InboundMessage, key: StateKey, at: number): Promise<Outcome> {
    for (let attempt = 1; attempt <= MAX_CAS_ATTEMPTS; attempt++) {
      let stored: Versioned<ConversationState> | null;
      try {
        stored = await store.get(key);
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        return storeDown(msg, at, err);
      }
      const state: ConversationState = stored?.value ?? { context: {} };
      const outcome = decide(msg, state, at);
      if (!outcome.next) return outcome;
      // Nothing changes (a replayed click, a button from an earlier step, the same
      // question again): no write and no new version, so a burst of such clicks
      // cannot make the ones that do change something lose their compare-and-set.
      if (sameJson(outcome.next, state)) return outcome;
      let written: number | null;
      try {
        written = await store.set(key, outcome.next, stored?.version ?? null, dialogTtlMs);
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        return storeDown(msg, at, err);
      }
      if (written !== null) return outcome;
      // Another write (a second click, another instance) got there first: decide again on fresh state.
    }
    return lostRace(msg, key, at);
  }

  /**
   * Every compare-and-set of this turn lost to other writes (many messages for
   * one person's conversation at the same moment). The turn answers from the
   * state as it is now and writes nothing: a reply that leaves the dialog where
   * it is (a question answered, a button from an earlier step) stands, only the
   * follow-up context is not kept; a change to the dialog did not happen, and
   * the reply says so instead of reporting an error.
   */
  async function lostRace(msg: InboundMessage, key: StateKey, at: number): Promise<Outcome> {
    let stored: Versioned<ConversationState> | null;
    try {
      stored = await store.get(key);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      return storeDown(msg, at, err);
    }
    const state: ConversationState = stored?.value ?? { context: {} };
    const outcome = decide(msg, state, at);
    logger.warn({ attempts: MAX_CAS_ATTEMPTS, platform: msg.platform }, 'conversation state kept changing under this turn; answered from the current state without writing');
    if (!outcome.next || sameJson(outcome.next.dialog, state.dialog)) return { ...outcome, next: undefined };
    return { replies: [raceLostAnswer()], intent: outcome.intent };
  }

  /** Without the store, plain questions are still answered; anything that needs dialog state gets a clear temporary error. */
  function storeDown(msg: InboundMessage, at: number, err: StoreUnavailableError): Outcome {
    const ref = referenceId();
    logger.warn({ ref, err: err.message }, 'conversation store unavailable');
    const needsState = msg.action !== undefined && msg.action.type !== 'ask';
    if (!needsState) {
      const outcome = decide(msg, { context: {} }, at);
      const statefulIntent = outcome.intent === 'start_advice' || outcome.intent === 'review_workload';
      if (!statefulIntent) return { ...outcome, next: undefined, storeDown: true };
    }
    return { replies: [storeDownAnswer(ref)], intent: 'action', storeDown: true };
  }

  return {
    async handle(input) {
      const started = performance.now();
      const msg = capMessage(input);
      const at = msg.receivedAt ?? now();
      const key: StateKey = { platform: msg.platform, workspace: msg.workspace, conversation: msg.conversation, user: msg.user };
      // One child logger per turn, built only when something is logged at an enabled level.
      const log = lazyChild(logger, { platform: msg.platform, conversation: msg.conversation });
      try {
        const outcome = await turn(msg, key, at);
        const intent = outcome.classification?.intent ?? outcome.intent ?? 'none';
        metrics.turn(msg.platform, intent, outcome.storeDown ? 'store_unavailable' : 'ok', (performance.now() - started) / 1000);
        if (logger.isLevelEnabled?.('info') !== false) log.info(
          {
            intent,
            topic: outcome.classification?.topic ?? undefined,
            confidence: outcome.classification ? Number(outcome.classification.confidence.toFixed(3)) : undefined,
            replies: outcome.replies.map((r) => r.kind),
            latencyMs: Number((performance.now() - started).toFixed(2)),
          },
          'turn',
        );
        const cut = Math.max(capTurnText(input.text).originalLength ?? 0, input.action?.type === 'ask' ? (capTurnText(input.action.text).originalLength ?? 0) : 0);
        const replies = cut > 0 ? withNote(outcome.replies, shortenedNote(cut)) : outcome.replies;
        return { replies, classification: outcome.classification };
      } catch (err) {
        const ref = referenceId();
        metrics.turn(msg.platform, 'none', 'error', (performance.now() - started) / 1000);
        log.error({ ref, err, latencyMs: Number((performance.now() - started).toFixed(2)) }, 'turn failed');
        return { replies: [internalErrorAnswer(ref)] };
      }
    },
  };
}
