import type { ConversationState, StateKey } from './types.js';

/**
 * Helpers shared by the three stores: one key encoding, one argument check,
 * and one way to turn stored JSON back into a ConversationState.
 */

/**
 * Encodes one key part so that no separator can appear inside it:
 * `encodeURIComponent` turns ':' into '%3A' and '%' into '%25', so the joined
 * key is injective (workspace "T1:C1" + conversation "x" never meets
 * workspace "T1" + conversation "C1:x").
 */
export function encodePart(part: string): string {
  return encodeURIComponent(part);
}

/** `<platform>:<workspace>:<conversation>:<user>`, each part encoded. */
export function stateKeyId(key: StateKey): string {
  checkKey(key);
  return [key.platform, key.workspace, key.conversation, key.user].map(encodePart).join(':');
}

function checkKey(key: StateKey): void {
  for (const part of ['platform', 'workspace', 'conversation', 'user'] as const) {
    if (typeof key[part] !== 'string') {
      throw new TypeError(`State key part "${part}" must be a string, got ${typeof key[part]}`);
    }
  }
}

export function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs < 1) {
    throw new RangeError(`ttlMs must be a positive number of milliseconds, got ${String(ttlMs)}`);
  }
}

export function checkExpectedVersion(expected: number | null): void {
  if (expected !== null && (!Number.isSafeInteger(expected) || expected < 1)) {
    throw new RangeError(`expectedVersion must be null or a positive integer, got ${String(expected)}`);
  }
}

export function checkEventId(id: string): void {
  if (typeof id !== 'string' || id.length === 0) {
    throw new TypeError('claimEvent needs a non-empty event id');
  }
}

export function checkOutboxArgs(id: string, holder: string, leaseMs: number): void {
  if (typeof id !== 'string' || id.length === 0) throw new TypeError('an outbox entry needs a non-empty id');
  if (typeof holder !== 'string' || holder.length === 0) throw new TypeError('an outbox entry needs a non-empty holder');
  if (!Number.isFinite(leaseMs) || leaseMs < 1) throw new RangeError(`leaseMs must be a positive number of milliseconds, got ${String(leaseMs)}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Turns stored JSON back into a ConversationState. A value that does not
 * parse, or is not an object, comes back as an empty state (with its version
 * kept, so the next compare-and-set overwrites it) and `damaged: true` so the
 * store can log it. The dialog's own shape is checked by its owner.
 */
export function parseState(json: string): { state: ConversationState; damaged: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { state: { context: {} }, damaged: true };
  }
  if (!isRecord(parsed)) return { state: { context: {} }, damaged: true };
  const context = isRecord(parsed.context) ? parsed.context : {};
  const state: ConversationState = { ...parsed, context } as ConversationState;
  return { state, damaged: !isRecord(parsed.context) };
}

/** JSON for storage; rejects values JSON cannot carry faithfully. */
export function serializeState(value: ConversationState): string {
  if (!isRecord(value)) throw new TypeError('A conversation state must be an object');
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('A conversation state must be JSON-serialisable');
  return json;
}

/** A short, log-safe description of an unknown failure: its code and message. */
export function describeCause(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && code.length > 0 && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
