/**
 * Translates a Teams activity into the core's InboundMessage. The activity is
 * taken as `unknown`-ish data and parsed at this boundary: a card click's
 * `value` is validated with zod before it reaches the core.
 */
import { z } from 'zod';
import type { Action, InboundMessage } from '../../src/types.js';

const id = z.string().min(1).max(200);
const step = z.number().int().min(0).max(1000);

export const actionSchema: z.ZodType<Action> = z.union([
  z.object({ type: z.literal('answer'), dialog: id, owner: id, step, value: z.string().min(1).max(200) }),
  z.object({ type: z.enum(['skip', 'back', 'restart', 'cancel']), dialog: id, owner: id, step }),
  z.object({ type: z.literal('start') }),
  z.object({ type: z.literal('ask'), text: z.string().min(1).max(2000) }),
  z.object({ type: z.literal('share'), dialog: id, owner: id }),
]);

/** The data object of every vmk `Action.Submit` button. */
export const submitDataSchema = z.object({ vmk: actionSchema });

/** What the adapter reads from an activity (a structural subset of botbuilder's Activity). */
export interface ActivityLike {
  type?: string;
  id?: string;
  text?: string;
  value?: unknown;
  from?: { id?: string; name?: string; aadObjectId?: string };
  conversation?: { id?: string; conversationType?: string; tenantId?: string; isGroup?: boolean };
  channelData?: unknown;
  replyToId?: string;
  timestamp?: Date | string;
}

export type ClickParse = { kind: 'none' } | { kind: 'action'; action: Action } | { kind: 'invalid' };

/**
 * A click on an `Action.Submit` arrives as a message whose `value` is the
 * button's data. Messages without a value are typed text.
 */
export function parseClick(value: unknown): ClickParse {
  if (value === undefined || value === null) return { kind: 'none' };
  const parsed = submitDataSchema.safeParse(value);
  return parsed.success ? { kind: 'action', action: parsed.data.vmk } : { kind: 'invalid' };
}

const channelDataSchema = z.object({ tenant: z.object({ id: z.string().min(1) }).partial().optional() }).partial();

export function tenantOf(activity: ActivityLike): string {
  const cd = channelDataSchema.safeParse(activity.channelData ?? {});
  return (cd.success ? cd.data.tenant?.id : undefined) || activity.conversation?.tenantId || 'unknown';
}

/**
 * A one-to-one chat. Teams always names the conversation type; the Bot
 * Framework Emulator and Web Chat send none, and are one-to-one unless
 * `isGroup` says otherwise.
 */
export function isPersonal(activity: ActivityLike): boolean {
  const type = activity.conversation?.conversationType;
  if (type) return type === 'personal';
  return activity.conversation?.isGroup !== true;
}

const ENTITIES: Record<string, string> = { nbsp: ' ', amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * Turns Teams message text into what the person typed: other people's
 * `<at>Name</at>` mentions become their names, and the HTML entities Teams
 * leaves in plain text (`&nbsp;` after a mention, `&amp;`) are decoded.
 * Run after the bot's own mention is removed.
 */
export function normalizeTeamsText(text: string): string {
  return text
    .replace(/<at>([^<]{0,200})<\/at>/gi, '$1')
    .replace(/&(#\d{1,6}|#x[0-9a-f]{1,6}|[a-z]{2,6});/gi, (whole, name: string) => {
      if (name.startsWith('#')) {
        const code = name[1]?.toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : whole;
      }
      return ENTITIES[name.toLowerCase()] ?? whole;
    })
    .replace(/\u00a0/g, ' ')
    .trim();
}

/**
 * The text without the bot's own @-mention (what TurnContext.removeRecipientMention
 * does, without its assumptions: an activity may lack `recipient`, `text`, or a
 * mention entity's `mentioned` or `text`).
 */
export function removeBotMention(text: string | undefined, entities: unknown, botId: string | undefined): string {
  const t = typeof text === 'string' ? text : '';
  if (!botId || !Array.isArray(entities)) return t.trim();
  for (const e of entities as { type?: unknown; text?: unknown; mentioned?: { id?: unknown } }[]) {
    if (e?.type === 'mention' && e.mentioned?.id === botId && typeof e.text === 'string' && e.text) return t.replace(e.text, '').trim();
  }
  return t.trim();
}

/**
 * Builds the core message. `text` must already have the bot mention removed
 * (TurnContext.removeRecipientMention, done by the caller that owns the SDK).
 */
export function toInbound(activity: ActivityLike, text: string, action: Action | undefined): InboundMessage {
  const msg: InboundMessage = {
    platform: 'teams',
    workspace: tenantOf(activity),
    conversation: activity.conversation?.id ?? 'unknown',
    user: activity.from?.aadObjectId || activity.from?.id || 'unknown',
    text,
    surface: isPersonal(activity) ? 'dm' : 'channel',
  };
  if (action) msg.action = action;
  return msg;
}
