import { z } from 'zod';

/**
 * The parts of Slack payloads the adapter reads, parsed at the boundary.
 * Bolt's own typings are loose unions (a message event can be any of forty
 * subtypes), so listener bodies are taken as `unknown` and checked here.
 * Unknown fields are allowed: Slack adds fields all the time.
 */

const teamRef = z.object({ id: z.string().min(1) }).nullish();

/** The Events API envelope around every event. */
export const eventEnvelopeSchema = z.object({
  event_id: z.string().min(1).optional(),
  team_id: z.string().min(1).optional(),
  authorizations: z.array(z.object({ team_id: z.string().nullish() })).optional(),
});
export type EventEnvelope = z.infer<typeof eventEnvelopeSchema>;

/** `app_mention`: someone wrote @vmk in a channel. */
export const appMentionSchema = z.object({
  type: z.literal('app_mention'),
  user: z.string().min(1).optional(),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
  text: z.string().default(''),
  ts: z.string().min(1),
  thread_ts: z.string().min(1).optional(),
  channel: z.string().min(1),
  team: z.string().optional(),
  edited: z.unknown().optional(),
});
export type AppMention = z.infer<typeof appMentionSchema>;

/** `message` (delivered for the `message.im` subscription). */
export const messageSchema = z.object({
  type: z.literal('message'),
  subtype: z.string().optional(),
  channel_type: z.string().optional(),
  user: z.string().min(1).optional(),
  bot_id: z.string().optional(),
  app_id: z.string().optional(),
  text: z.string().optional(),
  ts: z.string().min(1),
  thread_ts: z.string().min(1).optional(),
  channel: z.string().min(1),
  team: z.string().optional(),
  edited: z.unknown().optional(),
});
export type MessageEvent = z.infer<typeof messageSchema>;

/** `app_home_opened`. */
export const appHomeOpenedSchema = z.object({
  type: z.literal('app_home_opened'),
  user: z.string().min(1),
  channel: z.string().min(1).optional(),
  tab: z.string().optional(),
});

/** A slash command (form fields). */
export const commandSchema = z.object({
  command: z.string(),
  text: z.string().default(''),
  team_id: z.string().min(1),
  channel_id: z.string().min(1),
  channel_name: z.string().optional(),
  user_id: z.string().min(1),
  response_url: z.url(),
});
export type SlashCommand = z.infer<typeof commandSchema>;

/** An interactivity payload for a button click. */
export const blockActionsSchema = z.object({
  type: z.literal('block_actions'),
  team: teamRef,
  user: z.object({ id: z.string().min(1), team_id: z.string().optional() }),
  channel: z.object({ id: z.string().min(1), name: z.string().optional() }).nullish(),
  container: z
    .object({
      type: z.string(),
      message_ts: z.string().optional(),
      thread_ts: z.string().optional(),
      channel_id: z.string().optional(),
      is_ephemeral: z.boolean().optional(),
      view_id: z.string().optional(),
    })
    .optional(),
  message: z.object({ ts: z.string(), thread_ts: z.string().optional() }).nullish(),
  response_url: z.url().optional(),
  view: z.object({ id: z.string().optional(), type: z.string().optional(), private_metadata: z.string().optional() }).nullish(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional(), type: z.string().optional() })).min(1),
});
export type BlockActions = z.infer<typeof blockActionsSchema>;

/** What the adapter keeps in the Home view's private_metadata. */
export const homeMetadataSchema = z.object({ channel: z.string().min(1) });

/** The workspace an event belongs to. */
export function envelopeTeam(envelope: EventEnvelope, fallback?: string): string {
  return envelope.team_id ?? envelope.authorizations?.[0]?.team_id ?? fallback ?? 'unknown';
}

/**
 * The conversation a message belongs to, as the core sees it: a DM is one
 * conversation; in a channel each thread is one (a top-level mention starts
 * the thread vmk answers in). A slash command has no thread: the channel.
 */
export function conversationId(channel: string, threadTs?: string): string {
  if (channel.startsWith('D') || !threadTs) return channel;
  return `${channel}:${threadTs}`;
}
