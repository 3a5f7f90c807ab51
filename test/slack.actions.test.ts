import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_BUTTON_VALUE, parseActionValue, serializeAction } from '../adapters/slack/actions.js';
import type { Action } from '../src/types.js';

const bad = JSON.parse(readFileSync(new URL('./fixtures/slack/bad-button-values.json', import.meta.url), 'utf8')) as { why: string; value: string }[];

const good: Action[] = [
  { type: 'answer', dialog: 'd-1', owner: 'U1', step: 0, value: 'yes' },
  { type: 'skip', dialog: 'd-1', owner: 'U1', step: 3 },
  { type: 'back', dialog: 'd-1', owner: 'U1', step: 3 },
  { type: 'restart', dialog: 'd-1', owner: 'U1', step: 3 },
  { type: 'cancel', dialog: 'd-1', owner: 'U1', step: 3 },
  { type: 'start' },
  { type: 'ask', text: 'what about security?' },
  { type: 'share', dialog: 'd-1', owner: 'U1' },
];

describe('button values', () => {
  it.each(good.map((a) => [a.type, a] as const))('%s round-trips', (_t, action) => {
    expect(parseActionValue(serializeAction(action))).toEqual({ ok: true, action });
  });

  it.each(bad.map((b) => [b.why, b.value] as const))('rejects a value that is %s', (_why, value) => {
    const parsed = parseActionValue(value);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(/value|button/);
  });

  it('rejects non-strings and oversized values without parsing them', () => {
    expect(parseActionValue(undefined)).toEqual({ ok: false, reason: 'the button has no value' });
    expect(parseActionValue({ type: 'start' })).toEqual({ ok: false, reason: 'the button has no value' });
    const huge = JSON.stringify({ type: 'ask', text: 'x'.repeat(MAX_BUTTON_VALUE) });
    expect(parseActionValue(huge)).toEqual({ ok: false, reason: `the value is longer than ${MAX_BUTTON_VALUE} characters` });
  });
});
