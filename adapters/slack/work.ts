import { z } from 'zod';
import type { Logger } from '../../src/logger.js';
import type { Outbox } from '../../src/store/types.js';
import type { Reply } from '../../src/types.js';
import { describe } from './deliver.js';

/**
 * Accepted Slack work and how far its answer got, as kept in the store's
 * outbox: written before the request is acknowledged, updated when the turn
 * has produced its replies and as they go out, removed when done. A process
 * killed in between leaves the entry behind; the next one (or another
 * instance) takes it over once its lease runs out and carries on where it
 * stopped: the stored replies are sent without running the turn again, and
 * sends that had finished are not repeated.
 */

/** The requests whose work is done after the acknowledgement (slash commands answer inside theirs). */
export const WORK_KINDS = ['app_mention', 'message', 'app_home_opened', 'block_actions'] as const;
export type WorkKind = (typeof WORK_KINDS)[number];

/** How long a holder's claim on its work lasts without renewal; a restarted process takes over dead work after at most this. */
export const OUTBOX_LEASE_MS = 10_000;
/** How often a process renews its leases and looks for work whose holder died. */
export const OUTBOX_POLL_MS = 2_500;
/** Work taken over this many times without finishing is dropped (it may be what kills the process). */
export const MAX_TAKEOVERS = 5;
/** Work older than this is dropped instead of resumed: Slack's response_urls last 30 minutes, and an answer that late helps nobody. */
export const MAX_WORK_AGE_MS = 30 * 60_000;

const workDataSchema = z.object({
  v: z.literal(1),
  kind: z.enum(WORK_KINDS),
  body: z.unknown(),
  /** The turn's replies, once computed. */
  replies: z.array(z.custom<Reply>((r) => typeof r === 'object' && r !== null)).optional(),
  /** How many sends had finished (delivered, or failed for good) when this was saved. */
  sent: z.number().int().min(0).optional(),
});
export type WorkData = z.infer<typeof workDataSchema>;

export function parseWorkData(json: string): WorkData | null {
  try {
    const parsed = workDataSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Raised inside a piece of work whose entry another holder took over: it stops, the new holder carries on. */
export class WorkTakenOverError extends Error {
  constructor(id: string) {
    super(`outbox entry ${id} was taken over by another holder; stopping here`);
    this.name = 'WorkTakenOverError';
  }
}

export interface WorkPersistence {
  outbox: Outbox;
  holder: string;
  leaseMs: number;
  logger: Logger;
}

/**
 * One accepted request on its way to its answer. SlackTurns asks it for the
 * turn's replies (stored ones after a restart) and runs every outbound call
 * through `send`, which skips the calls that had finished before a restart.
 * Without persistence (a store without an outbox, or one that failed) it
 * simply runs everything.
 */
export class Work {
  private sends = 0;
  private readonly data: WorkData;
  private warned = false;

  constructor(
    readonly id: string,
    data: WorkData,
    private readonly persistence: WorkPersistence | null,
  ) {
    this.data = { ...data };
  }

  get kind(): WorkKind {
    return this.data.kind;
  }

  get body(): unknown {
    return this.data.body;
  }

  /** The turn's replies: the stored ones when the turn ran before a restart, else `compute()`'s, stored before anything is sent. */
  async replies(compute: () => Promise<Reply[]>): Promise<Reply[]> {
    if (this.data.replies) return this.data.replies;
    const replies = await compute();
    this.data.replies = replies;
    this.data.sent = this.sends;
    await this.save();
    return replies;
  }

  /**
   * Runs one outbound call unless it had finished before a restart ('skipped').
   * The call that was under way when the process died is made again: the
   * entry cannot tell whether it reached Slack, and a repeated reply is
   * better than a lost one. Progress is saved before the next call starts.
   */
  async send<T>(fn: () => Promise<T>): Promise<T | 'skipped'> {
    const index = this.sends;
    this.sends += 1;
    if (index < (this.data.sent ?? 0)) return 'skipped';
    if (index > (this.data.sent ?? 0)) {
      this.data.sent = index;
      await this.save();
    }
    return fn();
  }

  private async save(): Promise<void> {
    const p = this.persistence;
    if (!p) return;
    let held: boolean;
    try {
      held = await p.outbox.save(this.id, JSON.stringify(this.data), p.holder, p.leaseMs);
    } catch (err) {
      // The store is down: carry on (the answer matters more than its crash protection), say so once.
      if (!this.warned) p.logger.warn({ err: describe(err), work: this.id }, 'could not record progress in the outbox; carrying on without crash protection for this work');
      this.warned = true;
      return;
    }
    if (!held) throw new WorkTakenOverError(this.id);
  }
}
