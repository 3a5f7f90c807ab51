/**
 * The Teams turn logic: verify nothing (CloudAdapter did), translate the
 * activity into the core's message, call the core, render its replies as
 * Adaptive Cards, and send or update them.
 */
import { ActivityHandler, DeliveryModes, MessageFactory, type TurnContext, type InvokeResponse } from './sdk.js';
import type { Engine } from '../../src/engine.js';
import type { Logger } from '../../src/logger.js';
import { noMetrics, type Metrics } from '../../src/metrics.js';
import type { Reply, TurnResult } from '../../src/types.js';
import { isPersonal, normalizeTeamsText, parseClick, removeBotMention, toInbound } from './inbound.js';
import { renderCard, renderNotice, type CardAttachment } from './render.js';
import { welcomeReply } from './welcome.js';

/** Returns true the first time an id is seen within ttlMs (the store's claimEvent fits). */
export type ClaimFn = (id: string, ttlMs: number) => Promise<boolean>;

export interface TeamsBotDeps {
  engine: Engine;
  logger: Logger;
  /** Deduplicates redelivered activities and the double install event. Defaults to an in-process memory. */
  claim?: ClaimFn;
  /** Waits between retries of a throttled send (tests shorten it). */
  sleep?: (ms: number) => Promise<void>;
  /** Counts the retries made here and sends that failed for good (src/metrics.ts). */
  metrics?: Metrics;
}

const DEDUP_TTL_MS = 10 * 60_000;
/**
 * The connector client's own pipeline already retries 408, 429 and 503 (with
 * Retry-After) and other 5xx with exponential backoff; Teams also asks bots
 * to retry 412, which that pipeline does not.
 */
const RETRYABLE = new Set([412]);
const MAX_SEND_ATTEMPTS = 3;

/** A bounded in-process claim set, for one instance (wire the store's claimEvent for several). */
export function memoryClaim(max = 10_000): ClaimFn {
  const seen = new Map<string, number>();
  return async (id, ttlMs) => {
    const now = Date.now();
    const until = seen.get(id);
    if (until !== undefined && until > now) return false;
    seen.delete(id);
    seen.set(id, now + ttlMs);
    while (seen.size > max) {
      const oldest = seen.keys().next();
      if (oldest.done) break;
      seen.delete(oldest.value);
    }
    return true;
  };
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { statusCode?: unknown; status?: unknown };
  const s = typeof e.statusCode === 'number' ? e.statusCode : e.status;
  return typeof s === 'number' ? s : undefined;
}

function retryAfterMs(err: unknown): number | undefined {
  const headers = (err as { response?: { headers?: { get?: (name: string) => string | undefined } } }).response?.headers;
  const value = typeof headers?.get === 'function' ? headers.get('retry-after') : undefined;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retries what the connector pipeline does not (see RETRYABLE), with backoff and jitter, honouring Retry-After (capped). */
async function withRetry<T>(what: () => Promise<T>, sleep: (ms: number) => Promise<void>, log: Logger, onRetry: () => void): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await what();
    } catch (err) {
      const status = statusOf(err);
      if (status === undefined || !RETRYABLE.has(status) || attempt >= MAX_SEND_ATTEMPTS) throw err;
      const backoff = 250 * 2 ** (attempt - 1) + Math.floor(Math.random() * 200);
      const wait = Math.min(retryAfterMs(err) ?? backoff, 10_000);
      log.warn({ status, attempt, waitMs: wait }, 'Teams connector refused a send; retrying');
      onRetry();
      await sleep(wait);
    }
  }
}

/**
 * Adjusts a reply to what Teams can do. Teams shows every message to the
 * whole conversation, so a dialog card is already "shared": the "Share in
 * channel" button (Slack's way out of an ephemeral message) is left out.
 */
export function forTeams(reply: Reply): Reply {
  const keep = (list: Reply['actions']) => list?.filter((c) => c.action.type !== 'share');
  const choices = keep(reply.choices);
  const actions = keep(reply.actions);
  return { ...reply, ...(choices ? { choices } : {}), ...(actions ? { actions } : {}) };
}

function errorReply(summary: string): Reply {
  return { kind: 'error', summary, blocks: [{ text: summary }] };
}

export class VmkTeamsBot extends ActivityHandler {
  private readonly claim: ClaimFn;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly metrics: Metrics;

  constructor(private readonly deps: TeamsBotDeps) {
    super();
    this.claim = deps.claim ?? memoryClaim();
    this.sleep = deps.sleep ?? defaultSleep;
    this.metrics = deps.metrics ?? noMetrics;

    this.onMessage(async (ctx, next) => {
      await this.handleMessage(ctx);
      await next();
    });
    this.onMembersAdded(async (ctx, next) => {
      const botId = ctx.activity.recipient?.id;
      const botAdded = (ctx.activity.membersAdded ?? []).some((m) => m.id === botId);
      if (botAdded) await this.welcome(ctx);
      await next();
    });
    this.onInstallationUpdateAdd(async (ctx, next) => {
      // 'add-upgrade' is an update of an existing install: no second welcome.
      if (ctx.activity.action === 'add') await this.welcome(ctx);
      await next();
    });
  }

  /** vmk sends only Action.Submit buttons; any invoke (Action.Execute, messaging extensions) is refused politely. */
  protected override async onInvokeActivity(ctx: TurnContext): Promise<InvokeResponse> {
    this.deps.logger.debug({ name: ctx.activity.name }, 'Teams invoke ignored');
    return { status: 400, body: { error: `vmk does not handle the invoke "${String(ctx.activity.name ?? '')}"` } };
  }

  private log(ctx: TurnContext): Logger {
    return this.deps.logger.child({
      platform: 'teams',
      conversation: ctx.activity.conversation?.id,
      activity: ctx.activity.id,
      type: ctx.activity.type,
    });
  }

  private async welcome(ctx: TurnContext): Promise<void> {
    const conversation = ctx.activity.conversation?.id ?? '';
    // Teams sends both conversationUpdate and installationUpdate on install: welcome once.
    if (!(await this.claim(`teams:welcome:${conversation}`, DEDUP_TTL_MS))) return;
    const log = this.log(ctx);
    log.info({ conversationType: ctx.activity.conversation?.conversationType }, 'Teams install: sending the welcome');
    await this.deliver(ctx, [welcomeReply(isPersonal(ctx.activity))], log);
  }

  private async handleMessage(ctx: TurnContext): Promise<void> {
    const activity = ctx.activity;
    const log = this.log(ctx);
    const started = performance.now();
    if (activity.id && !(await this.claim(`teams:activity:${activity.conversation?.id ?? ''}:${activity.id}`, DEDUP_TTL_MS))) {
      log.info('Teams activity already handled; ignoring the redelivery');
      return;
    }
    const click = parseClick(activity.value);
    if (click.kind === 'invalid') {
      log.warn('Teams card submit with unreadable data');
      await this.deliver(ctx, [errorReply('I could not read that button. Type your answer instead, or say "help".')], log);
      return;
    }
    const action = click.kind === 'action' ? click.action : undefined;
    let text = '';
    if (!action) {
      const mentioned = (activity.entities ?? []).some(
        (e) => e.type === 'mention' && (e as { mentioned?: { id?: string } }).mentioned?.id === activity.recipient?.id,
      );
      // In channels and group chats vmk answers only when @-mentioned.
      if (!isPersonal(activity) && !mentioned) return;
      text = normalizeTeamsText(removeBotMention(activity.text, activity.entities, activity.recipient?.id));
    }
    const msg = toInbound(activity, text, action);
    let result: TurnResult;
    try {
      result = await this.deps.engine.handle(msg);
    } catch (err) {
      log.error({ err: { message: (err as Error).message } }, 'the core failed on a Teams message');
      result = { replies: [errorReply('Something went wrong on my side. Please try again in a moment.')] };
    }
    await this.deliver(ctx, result.replies, log);
    log.debug(
      { intent: result.classification?.intent, replies: result.replies.map((r) => r.kind), latencyMs: Math.round(performance.now() - started) },
      'Teams turn done',
    );
  }

  private async deliver(ctx: TurnContext, replies: Reply[], log: Logger): Promise<void> {
    const activity = ctx.activity;
    const shared = !isPersonal(activity);
    const buffered = activity.deliveryMode === DeliveryModes.ExpectReplies;
    let updated = false;
    const onRetry = () => this.metrics.deliveryRetry('teams');
    for (const original of replies) {
      const reply = forTeams(original);
      // Teams has no ephemeral messages: a private note in a shared conversation is a short reply addressed by name.
      // Private dialog content (questions, the recommendation) is shown in full: only its owner can answer it.
      const note = shared && reply.visibility === 'private' && (reply.kind === 'notice' || reply.kind === 'error');
      const card: CardAttachment = note ? renderNotice(reply, activity.from?.name) : renderCard(reply);
      const message = MessageFactory.attachment(card);
      message.summary = reply.summary;
      if (reply.replaceOriginal && activity.replyToId && !updated && !buffered) {
        message.id = activity.replyToId;
        try {
          await withRetry(() => ctx.updateActivity(message), this.sleep, log, onRetry);
          updated = true;
          continue;
        } catch (err) {
          // The card may have been deleted or be too old to edit: post the reply instead.
          log.warn({ status: statusOf(err) }, 'Teams card update failed; sending a new message');
          delete message.id;
        }
      }
      try {
        await withRetry(() => ctx.sendActivity(message), this.sleep, log, onRetry);
      } catch (err) {
        // Logged by the adapter's onTurnError, where the failure ends the turn.
        this.metrics.deliveryFailure('teams');
        throw err;
      }
    }
  }
}
