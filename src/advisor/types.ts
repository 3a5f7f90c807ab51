import type { Action, Reply } from '../types.js';

/**
 * The advisor's contract with the turn engine. Everything here is pure and
 * deterministic: the engine loads the dialog from the store, calls one of
 * these, and writes the returned dialog back (compare-and-set on the version).
 *
 * `dialog` values are plain JSON (they are stored as-is in SQLite / Redis).
 */
export interface AdvisorResult<D> {
  /** The dialog to store; `null` removes it (cancelled). */
  dialog: D | null;
  replies: Reply[];
}

export interface Advisor<D = unknown> {
  /** Starts the guided dialog for `owner` (intent start_advice, /vmk-advise, "Help me choose"). */
  start(owner: string, now: number): AdvisorResult<D>;
  /**
   * Reviews a workload description (intent review_workload): extracts traits,
   * pre-fills a dialog, and either answers at once or asks only the questions
   * that could still change the verdict.
   */
  review(text: string, owner: string, now: number): AdvisorResult<D>;
  /** A button click on a dialog message. `dialog` is what the store holds for the clicker (may be absent or another id). */
  onAction(dialog: D | undefined, action: Action, user: string, now: number): AdvisorResult<D>;
  /**
   * Typed text while a dialog waits for an answer: "yes", "2", "not sure",
   * "skip", "back", "cancel", or free text mapped to an option. Returns null
   * when the text is not an answer (the engine then treats it as a question).
   */
  onText(dialog: D, text: string, user: string, now: number): AdvisorResult<D> | null;
  /** True when the stored dialog is still waiting for an answer. */
  isActive(dialog: D): boolean;
  /** Validates stored JSON (it may come from an older version or be corrupt). */
  parse(stored: unknown): D | null;
}
