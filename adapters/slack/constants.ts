/**
 * What the Slack adapter registers with Bolt. The listener registration in
 * `app.ts` uses these constants and nothing else, and a test compares them
 * with `manifest.json`, so the app manifest and the code cannot drift apart.
 */

/** The one slash command. */
export const SLACK_COMMAND = '/vmk-advise';

/**
 * Bot events the app subscribes to (manifest `settings.event_subscriptions.bot_events`).
 * `message.im` is delivered as a `message` event with `channel_type: 'im'`.
 */
export const SLACK_EVENTS = ['app_mention', 'message.im', 'app_home_opened'] as const;
export type SlackEventName = (typeof SLACK_EVENTS)[number];

/** Bot token scopes, and which part of the adapter needs each. */
export const SLACK_SCOPE_USES = {
  'app_mentions:read': 'receive app_mention events',
  'chat:write': 'chat.postMessage, chat.postEphemeral, chat.update',
  commands: `the ${SLACK_COMMAND} slash command`,
  'im:history': 'receive message.im events (direct messages)',
} as const;
export const SLACK_SCOPES = Object.keys(SLACK_SCOPE_USES) as (keyof typeof SLACK_SCOPE_USES)[];

/** Every button vmk renders has an action_id starting with this; one listener handles them all. */
export const ACTION_ID_PREFIX = 'vmk_';
export const ACTION_ID_PATTERN = /^vmk_/;

/** How long handled event ids are remembered (Slack retries within minutes). */
export const EVENT_CLAIM_TTL_MS = 6 * 60 * 60 * 1000;
