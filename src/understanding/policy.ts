/**
 * The policy table: the few decisions that are not left to the learned
 * model. Each row has an id (shown by `vmk classify --explain`), the
 * condition in words, the outcome and an example; test/policy.test.ts checks
 * every example against its row. Rows marked `before` are checked before the
 * model runs, `after` rows adjust what the model chose.
 */
import type { ConversationState } from '../store/types.js';
import type { IntentId, Side, Topic } from '../types.js';
import type { Analysis } from './pipeline.js';
import { FOLLOW_UP, SOCIAL_OPENERS } from './signals.js';
import { SLOT_PLATFORM, SLOT_TOPIC } from './gazetteer.js';

export interface PolicyRow {
  id: string;
  stage: 'before' | 'after';
  when: string;
  outcome: string;
  example: string;
  /** The intent the example must end up with. */
  expect: IntentId;
  /** For rows after the model: the model's reading of the example that the row acts on. */
  model?: { intent: IntentId; score: number }[];
}

export const POLICY: readonly PolicyRow[] = [
  { id: 'empty', stage: 'before', when: 'no words at all', outcome: 'out_of_scope (the engine answers with a nudge)', example: '   ', expect: 'out_of_scope' },
  {
    id: 'nothing-known',
    stage: 'before',
    when: 'no platform or topic named, no word the in-scope phrasings or the lexicon use, and no courtesy opener',
    outcome: 'out_of_scope',
    example: 'zorgleblat frumious bandersnatch',
    expect: 'out_of_scope',
  },
  {
    id: 'follow-up',
    stage: 'before',
    when: 'only platform and topic names and filler words ("and", "what about")',
    outcome: 'ask_topic with the named topic (or the last one), else ask_platform for one platform, compare_overview for both',
    example: 'and for VMs?',
    expect: 'ask_platform',
  },
  {
    id: 'topic-makes-topic-question',
    stage: 'after',
    when: 'the model chose compare_overview or ask_platform and the message names a topic',
    outcome: 'ask_topic on that topic',
    example: 'give me an overview of kubernetes scaling',
    expect: 'ask_topic',
    model: [{ intent: 'ask_platform', score: 0.8 }, { intent: 'ask_topic', score: 0.2 }],
  },
  {
    id: 'topic-needed',
    stage: 'after',
    when: 'the model chose ask_topic but no topic is named and the topic model is unsure',
    outcome: "the conversation's last topic, else ask_platform (one platform named) or compare_overview",
    example: 'and on that point, which one wins?',
    expect: 'compare_overview',
    model: [{ intent: 'ask_topic', score: 0.7 }, { intent: 'compare_overview', score: 0.2 }],
  },
  {
    id: 'platform-needed',
    stage: 'after',
    when: 'the model chose ask_platform but the message names both platforms, or none',
    outcome: "compare_overview for both; none: the conversation's last platform, else compare_overview",
    example: 'what are the downsides of vms and kubernetes',
    expect: 'compare_overview',
    model: [{ intent: 'ask_platform', score: 0.9 }, { intent: 'compare_overview', score: 0.1 }],
  },
  {
    id: 'low-confidence',
    stage: 'after',
    when: 'the best in-scope reading is below the acceptance threshold and the message names no platform or topic',
    outcome: 'out_of_scope',
    example: 'what happens next year',
    expect: 'out_of_scope',
    model: [{ intent: 'ask_topic', score: 0.3 }, { intent: 'help', score: 0.25 }],
  },
  {
    id: 'nearby-subject',
    stage: 'after',
    when: 'a subject next to the comparison is named (knowledge/nearby.yaml: Docker, KubeVirt, cost, startups, databases, GPUs) and the model chose a question about the platforms, or out of scope with a platform or topic named',
    outcome: 'the intent stays; the engine answers the subject: what the article covers of it, what it says that applies, what lies beyond it',
    example: 'is kubernetes cheaper than running vms',
    expect: 'ask_topic',
    model: [{ intent: 'ask_topic', score: 0.9 }, { intent: 'out_of_scope', score: 0.1 }],
  },
  {
    id: 'clarify',
    stage: 'after',
    when: 'the two best in-scope readings are within the clarify margin and the confidence is low',
    outcome: 'the best reading, with the runner-up as an alternative the engine asks about',
    example: 'how do the two stack up',
    expect: 'compare_overview',
    model: [{ intent: 'compare_overview', score: 0.45 }, { intent: 'ask_guidance', score: 0.4 }],
  },
];

export interface PolicyOutcome {
  row: string;
  intent: IntentId;
  confidence: number;
  topic?: Topic | null;
  topics?: Topic[];
  platform?: Side | null;
  alternative?: { intent: IntentId; confidence: number };
  nearby?: string;
}

type Context = ConversationState['context'];
type TopicOf = () => { topic: Topic | null; topics: Topic[] };

const IN_SCOPE_SMALL_TALK = new Set<IntentId>(['help', 'greeting', 'thanks']);
const QUESTIONS = new Set<IntentId>(['ask_topic', 'ask_platform', 'compare_overview', 'ask_guidance']);

/** The nearby subject to answer, when the message names one and asks a question about it. */
function nearbyOf(a: Analysis, intent: IntentId): string | undefined {
  const subject = a.nearby[0];
  if (!subject) return undefined;
  if (QUESTIONS.has(intent)) return subject.id;
  if (intent === 'out_of_scope' && (subject.standalone || a.g.matches.length > 0)) return subject.id;
  return undefined;
}

export function decideBefore(a: Analysis, context: Context, topicOf: TopicOf): PolicyOutcome | null {
  const has = (s: string): boolean => a.signals.includes(s);
  const platforms = new Set(a.g.platforms);
  if (a.tokens.filter((t) => t !== '?').length === 0) return { row: 'empty', intent: 'out_of_scope', confidence: 0.95 };
  const knowsSomething = a.g.matches.length > 0 || a.unknownShare < 1 || SOCIAL_OPENERS.has(a.tokens[0] as string) || has('opens_thanks') || has('opens_greeting');
  if (!knowsSomething) return { row: 'nothing-known', intent: 'out_of_scope', confidence: 0.9 };

  const rest = a.slotted.filter((t) => !FOLLOW_UP.has(t));
  if (rest.length > 0 && rest.every((t) => t === SLOT_PLATFORM || t === SLOT_TOPIC)) {
    const row = 'follow-up';
    if (a.g.topics.length > 0) {
      const { topic, topics } = topicOf();
      return { row, intent: 'ask_topic', confidence: 0.9, topic: a.g.topics[0] ?? topic, topics: a.g.topics.length ? a.g.topics : topics };
    }
    if (platforms.size === 1 && a.platform) {
      if (context.lastIntent === 'ask_topic' && context.lastTopic) return { row, intent: 'ask_topic', confidence: 0.85, topic: context.lastTopic, topics: [context.lastTopic] };
      return { row, intent: 'ask_platform', confidence: 0.85 };
    }
    if (platforms.size > 1) {
      if (context.lastIntent === 'ask_topic' && context.lastTopic) return { row, intent: 'ask_topic', confidence: 0.8, topic: context.lastTopic, topics: [context.lastTopic], platform: null };
      return { row, intent: 'compare_overview', confidence: 0.85, platform: null };
    }
  }
  return null;
}

export function decideAfter(
  a: Analysis,
  context: Context,
  ranking: { intent: IntentId; score: number }[],
  topicOf: TopicOf,
  thresholds: { accept: number; clarifyMargin: number },
  clarifyBelow: number,
): PolicyOutcome {
  const platforms = new Set(a.g.platforms);
  const hasEntity = a.g.matches.length > 0 && !a.signals.includes('ambiguous_platform_only');
  const first = ranking[0] ?? { intent: 'out_of_scope' as IntentId, score: 1 };
  let intent = first.intent;
  let confidence = first.score;
  let row = 'model';

  if (intent !== 'out_of_scope' && !IN_SCOPE_SMALL_TALK.has(intent) && confidence < thresholds.accept && !hasEntity) {
    return { row: 'low-confidence', intent: 'out_of_scope', confidence: 1 - confidence };
  }
  if (intent === 'out_of_scope') {
    const nearby = nearbyOf(a, intent);
    return nearby ? { row: 'nearby-subject', intent, confidence, nearby } : { row, intent, confidence };
  }

  const named = topicOf();
  let topic = named.topic;
  let topics = named.topics;
  let platform: Side | null | undefined = undefined;

  if ((intent === 'compare_overview' || intent === 'ask_platform') && a.g.topics.length > 0) {
    intent = 'ask_topic';
    row = 'topic-makes-topic-question';
  }
  if (intent === 'ask_topic' && !topic) {
    row = 'topic-needed';
    if (context.lastTopic) {
      topic = context.lastTopic;
      topics = [topic];
    } else {
      intent = platforms.size === 1 ? 'ask_platform' : 'compare_overview';
      confidence *= 0.8;
    }
  }
  // ("not interested in VMs, tell me about k8s" names both, and wants one.)
  if (intent === 'ask_platform' && !a.platform) {
    row = 'platform-needed';
    if (platforms.size === 0 && context.lastPlatform) platform = context.lastPlatform;
    else {
      intent = 'compare_overview';
      platform = null;
    }
  }
  if (intent !== 'ask_topic') {
    topic = null;
    topics = a.g.topics;
  }

  const out: PolicyOutcome = { row, intent, confidence, topic, topics, platform };
  const nearby = nearbyOf(a, intent);
  if (nearby) {
    out.nearby = nearby;
    out.row = 'nearby-subject';
    return out;
  }
  const second = ranking.find((r) => r.intent !== first.intent && r.intent !== 'out_of_scope' && r.intent !== intent);
  const answerable = (alt: IntentId): boolean => (alt !== 'ask_platform' || platforms.size === 1) && (alt !== 'ask_topic' || topic !== null);
  if (second && answerable(second.intent) && first.score - second.score < thresholds.clarifyMargin && confidence < clarifyBelow) {
    out.alternative = { intent: second.intent, confidence: second.score };
    if (row === 'model') out.row = 'clarify';
  }
  return out;
}
