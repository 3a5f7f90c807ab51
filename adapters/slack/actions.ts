import { z } from 'zod';
import type { Action } from '../../src/types.js';

/**
 * Button values: every vmk button carries one core `Action`, serialised as
 * JSON. The value that comes back with a click is parsed with zod before it
 * reaches the core: messages outlive code changes (an old button may carry an
 * older shape), and a value is input like any other.
 */

/** Slack's limit on a button value. */
export const MAX_BUTTON_VALUE = 2000;

const id = z.string().min(1).max(200);
const navigation = z.enum(['skip', 'back', 'restart', 'cancel']);

export const actionSchema: z.ZodType<Action> = z.union([
  z.object({ type: z.literal('answer'), dialog: id, owner: id, step: z.number().int().min(0), value: z.string().min(1).max(200) }).strict(),
  z.object({ type: navigation, dialog: id, owner: id, step: z.number().int().min(0) }).strict(),
  z.object({ type: z.literal('start') }).strict(),
  z.object({ type: z.literal('ask'), text: z.string().min(1).max(1000) }).strict(),
  z.object({ type: z.literal('share'), dialog: id, owner: id }).strict(),
]);

export function serializeAction(action: Action): string {
  return JSON.stringify(action);
}

export type ParsedActionValue = { ok: true; action: Action } | { ok: false; reason: string };

/** Parses a button value back into an Action; never throws. */
export function parseActionValue(value: unknown): ParsedActionValue {
  if (typeof value !== 'string' || value.length === 0) return { ok: false, reason: 'the button has no value' };
  if (value.length > MAX_BUTTON_VALUE) return { ok: false, reason: `the value is longer than ${MAX_BUTTON_VALUE} characters` };
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    return { ok: false, reason: 'the value is not JSON' };
  }
  const parsed = actionSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `the value is not a vmk action${issue ? ` (${issue.message})` : ''}` };
  }
  return { ok: true, action: parsed.data };
}
