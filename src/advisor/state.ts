import { z } from 'zod';
import type { Catalog } from './catalog.js';

/** The most questions a dialog ever asks. */
export const MAX_QUESTIONS = 12;

const id = z.string().regex(/^[a-z][a-z0-9_]*$/).max(64);

/**
 * A dialog as stored (plain JSON). `answers` are the questions asked so far in
 * order, each with the chosen option or null when skipped; `found` are traits
 * taken from the user's own words, `at` being the step that added them (0 for
 * the description the review started from), so `back` can undo them.
 */
export const DialogStateSchema = z
  .strictObject({
    v: z.literal(1),
    id: z.string().regex(/^[A-Za-z0-9_-]{4,40}$/),
    owner: z.string().min(1).max(200),
    mode: z.enum(['guided', 'review']),
    found: z.array(z.strictObject({ trait: id, evidence: z.string().min(1).max(500), at: z.number().int().min(0).max(MAX_QUESTIONS) })).max(200),
    answers: z.array(z.strictObject({ question: id, option: id.nullable() })).max(MAX_QUESTIONS),
    current: id.nullable(),
    done: z.boolean(),
    startedAt: z.number().int().nonnegative(),
    updatedAt: z.number().int().nonnegative(),
  })
  .superRefine((s, ctx) => {
    if (s.done !== (s.current === null)) ctx.addIssue({ code: 'custom', message: 'a dialog is done exactly when no question is current' });
    const asked = new Set<string>();
    for (const a of s.answers) {
      if (asked.has(a.question)) ctx.addIssue({ code: 'custom', message: `question ${a.question} answered twice` });
      asked.add(a.question);
    }
    if (s.current !== null && asked.has(s.current)) ctx.addIssue({ code: 'custom', message: 'the current question was already answered' });
    if (s.updatedAt < s.startedAt) ctx.addIssue({ code: 'custom', message: 'updatedAt is before startedAt' });
    if (s.found.some((f) => f.at > s.answers.length)) ctx.addIssue({ code: 'custom', message: 'a found trait belongs to a step not yet taken' });
  });

export type DialogState = z.infer<typeof DialogStateSchema>;

/** Validates stored JSON against the schema and the catalogue; null when anything is off. */
export function parseDialog(catalog: Catalog, stored: unknown): DialogState | null {
  const result = DialogStateSchema.safeParse(stored);
  if (!result.success) return null;
  const s = result.data;
  for (const a of s.answers) {
    const q = catalog.question.get(a.question);
    if (!q) return null;
    if (a.option !== null && !q.options.some((o) => o.id === a.option)) return null;
  }
  if (s.current !== null && !catalog.question.has(s.current)) return null;
  if (s.found.some((f) => !catalog.trait.has(f.trait))) return null;
  if (s.current !== null && s.answers.length >= MAX_QUESTIONS) return null;
  return s;
}

/** Every trait the dialog knows: from the user's words and from chosen options. */
export function knownTraits(catalog: Catalog, s: DialogState): string[] {
  const ids: string[] = s.found.map((f) => f.trait);
  for (const a of s.answers) {
    if (a.option === null) continue;
    const option = catalog.question.get(a.question)?.options.find((o) => o.id === a.option);
    if (option) ids.push(...option.traits);
  }
  return [...new Set(ids)];
}
