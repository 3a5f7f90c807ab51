import { randomBytes } from 'node:crypto';
import type { Advisor, AdvisorResult } from './advisor/types.js';
import {
  clarifyAnswer,
  fallbackAnswer,
  greetingAnswer,
  guidanceAnswer,
  helpAnswer,
  internalErrorAnswer,
  overviewAnswer,
  platformAnswer,
  storeDownAnswer,
  thanksAnswer,
  topicAnswer,
} from './answers.js';
import type { Knowledge } from './knowledge/schema.js';
import { lazyChild, type Logger } from './logger.js';
import { noMetrics, type Metrics } from './metrics.js';
import type { Nlu } from './nlu/types.js';
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

/** Longer messages are cut before classification; reviews read up to REVIEW_CHARS. */
export const CLASSIFY_CHARS = 2_000;
export const REVIEW_CHARS = 12_000;
const MAX_CAS_ATTEMPTS = 5;

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

    if (alternative && intent !== 'out_of_scope') {
      replies = [clarifyAnswer(knowledge, intent, alternative.intent, topic)];
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
        case 'start_advice': {
          const r = advisor.start(msg.user, at);
          replies = r.replies;
          dialog = r.dialog ?? undefined;
          break;
        }
        case 'review_workload': {
          const r = advisor.review(text.slice(0, REVIEW_CHARS), msg.user, at);
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
    if (!text) return { replies: [fallbackAnswer('empty')], intent: 'out_of_scope' };
    return answerText(text, msg, state, at);
  }

  async function turn(msg: InboundMessage, key: StateKey, at: number): Promise<Outcome> {
    for (let attempt = 1; ; attempt++) {
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
      let written: number | null;
      try {
        written = await store.set(key, outcome.next, stored?.version ?? null, dialogTtlMs);
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        return storeDown(msg, at, err);
      }
      if (written !== null) return outcome;
      // Another write (a second click, another instance) got there first: decide again on fresh state.
      if (attempt >= MAX_CAS_ATTEMPTS) throw new Error(`conversation state kept changing under ${MAX_CAS_ATTEMPTS} attempts`);
    }
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
    async handle(msg) {
      const started = performance.now();
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
        return { replies: outcome.replies, classification: outcome.classification };
      } catch (err) {
        const ref = referenceId();
        metrics.turn(msg.platform, 'none', 'error', (performance.now() - started) / 1000);
        log.error({ ref, err, latencyMs: Number((performance.now() - started).toFixed(2)) }, 'turn failed');
        return { replies: [internalErrorAnswer(ref)] };
      }
    },
  };
}
