/**
 * The platform-neutral vocabulary of vmk.
 *
 * - A *message* is what a person sent (typed text, or a button click), already
 *   translated out of its platform's payload by an adapter.
 * - A *turn* is the core handling one message and producing replies.
 * - An *intent* is what the message asks for; a *topic* is one comparison subject.
 * - A *reply* is what the core answers, in a shape every adapter can render
 *   (Block Kit, Adaptive Cards, a terminal, a web page).
 * - A *dialog* is the guided recommendation: one question at a time.
 *
 * All text in a Reply is plain text. Renderers escape it for their platform, so
 * user text that ends up in a reply can never become markup.
 */

export const PLATFORMS = ['slack', 'teams', 'console', 'web'] as const;
export type Platform = (typeof PLATFORMS)[number];

export const SIDES = ['vm', 'kubernetes'] as const;
export type Side = (typeof SIDES)[number];

/** The eight comparison dimensions of the article. */
export const DIMENSIONS = [
  'resource_efficiency',
  'isolation',
  'portability',
  'orchestration',
  'deployment_speed',
  'maintenance',
  'scaling',
  'security',
] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Every topic a question can be about: the eight dimensions and three more the article covers. */
export const TOPICS = [...DIMENSIONS, 'compatibility', 'snapshots', 'developer_experience'] as const;
export type Topic = (typeof TOPICS)[number];

export const INTENTS = [
  'ask_topic',
  'ask_platform',
  'compare_overview',
  'ask_guidance',
  'start_advice',
  'review_workload',
  'help',
  'greeting',
  'thanks',
  'out_of_scope',
] as const;
export type IntentId = (typeof INTENTS)[number];

/** Where a message came from inside a platform. */
export type Surface = 'channel' | 'dm' | 'command' | 'button' | 'home' | 'terminal' | 'web';

/**
 * A button click. Every button in a reply carries one of these; adapters
 * serialise it into the platform's button value and parse it back.
 */
export type Action =
  /** Answer the current dialog question (value is the option id). */
  | { type: 'answer'; dialog: string; owner: string; step: number; value: string }
  /** Dialog navigation. */
  | { type: 'skip' | 'back' | 'restart' | 'cancel'; dialog: string; owner: string; step: number }
  /** Start the guided recommendation. */
  | { type: 'start' }
  /** Ask a follow-up question as if it had been typed. */
  | { type: 'ask'; text: string }
  /** Post the finished recommendation visibly in the conversation. */
  | { type: 'share'; dialog: string; owner: string };

export interface InboundMessage {
  platform: Platform;
  /** Slack team id, Teams tenant id, or 'local'. */
  workspace: string;
  /** Channel / chat / thread id: everything that scopes a conversation. */
  conversation: string;
  /** The sender's platform user id. */
  user: string;
  /** What the person typed, with platform markup still in it (the core normalises it). */
  text: string;
  /** Present when the message is a button click. */
  action?: Action;
  surface?: Surface;
  /** When the message was received (ms since epoch); defaults to the engine's clock. */
  receivedAt?: number;
}

export interface TextBlock {
  heading?: string;
  text?: string;
  bullets?: string[];
}

export interface Fact {
  label: string;
  value: string;
}

export interface Choice {
  label: string;
  action: Action;
  style?: 'primary' | 'danger';
}

export interface Reply {
  title?: string;
  /** One-line summary: the notification / fallback text. */
  summary: string;
  blocks: TextBlock[];
  facts?: Fact[];
  /** Buttons that answer the current question (or start something). */
  choices?: Choice[];
  /** Secondary buttons: navigation, share, follow-up questions. */
  actions?: Choice[];
  /**
   * Short remarks about how the message was handled, e.g. that it was
   * shortened before it was read. Renderers show them small, under the reply.
   */
  notes?: string[];
  /** Where the content comes from in the article, e.g. "Article, 'Kubernetes vs. Virtual Machines' section 2 (Isolation)". */
  source?: string;
  /** Who should see it: 'private' replies go to the asker only where the platform allows it. */
  visibility?: 'private' | 'public';
  /** When set, this reply replaces the message the clicked button was on. */
  replaceOriginal?: boolean;
  /** Set on dialog replies so an adapter can tell whose dialog a message belongs to. */
  dialog?: { id: string; owner: string; step: number; done: boolean };
  /** A machine-readable kind, for tests, logs and renderers. */
  kind: ReplyKind;
}

export type ReplyKind =
  | 'topic'
  | 'platform'
  | 'overview'
  | 'guidance'
  | 'help'
  | 'greeting'
  | 'thanks'
  | 'fallback'
  | 'clarify'
  | 'question'
  | 'recommendation'
  | 'review'
  | 'notice'
  | 'error';

export interface Classification {
  text: string;
  intent: IntentId;
  topic: Topic | null;
  /** Topics mentioned in order, when more than one. */
  topics: Topic[];
  platform: Side | null;
  confidence: number;
  /** The runner-up intent, used for clarifying questions. */
  alternative?: { intent: IntentId; confidence: number };
  /** A subject next to the comparison the message asks about (knowledge/nearby.yaml id): answered on its own. */
  nearby?: string;
}

export interface TurnResult {
  replies: Reply[];
  classification?: Classification;
}
