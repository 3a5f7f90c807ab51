import { slackPlainText } from './text.js';
import type { webApi } from '@slack/bolt';
import { internalErrorAnswer, storeDownAnswer } from '../../src/answers.js';
import { referenceId, type Engine } from '../../src/engine.js';
import type { Logger } from '../../src/logger.js';
import type { Metrics } from '../../src/metrics.js';
import { StoreUnavailableError, type StateStore } from '../../src/store/types.js';
import type { Action, InboundMessage, Reply, Surface } from '../../src/types.js';
import { parseActionValue } from './actions.js';
import { EVENT_CLAIM_TTL_MS, SLACK_COMMAND } from './constants.js';
import { DeliveryUncertainError, describe, postEphemeral, postMessage, postToResponseUrl, updateMessage, type ResponseUrlBody, type RetryPolicy } from './deliver.js';
import { homeReply } from './home.js';
import {
  appHomeOpenedSchema,
  appMentionSchema,
  blockActionsSchema,
  commandSchema,
  conversationId,
  envelopeTeam,
  eventEnvelopeSchema,
  homeMetadataSchema,
  messageSchema,
} from './payloads.js';
import { renderHomeView, renderReply } from './render.js';
import { WorkTakenOverError, type Work } from './work.js';

/**
 * What happens for each kind of Slack request, once Bolt has verified it (and,
 * except for slash commands, acknowledged it): translate the payload into an InboundMessage, let the core
 * answer, render the replies and send them where they belong. No decision
 * about *what* to answer is made here.
 */

export interface TurnDeps {
  engine: Engine;
  store: StateStore;
  logger: Logger;
  retry: RetryPolicy;
  /** Counts sends that failed for good (src/metrics.ts). */
  metrics?: Metrics;
  /** The bot's own user id (from auth.test), to ignore its own messages. */
  botUserId?: string;
  botId?: string;
}

/** What the user reads when vmk's own logic fails: a short apology with the reference the log carries. */
export function apologyReply(reference: string, err: unknown): Reply {
  return err instanceof StoreUnavailableError ? storeDownAnswer(reference) : internalErrorAnswer(reference);
}

const BAD_BUTTON_NOTE: Reply = {
  kind: 'notice',
  summary: `That button can't be used any more. Type ${SLACK_COMMAND} to start again.`,
  blocks: [{ text: `That button can't be used any more. Type ${SLACK_COMMAND} to start again.` }],
  visibility: 'private',
};

const USAGE_BLOCK = {
  heading: `Using ${SLACK_COMMAND}`,
  bullets: [
    `${SLACK_COMMAND}: start a guided recommendation (only you see it)`,
    `${SLACK_COMMAND} <question>: e.g. ${SLACK_COMMAND} which one is more secure?`,
    `${SLACK_COMMAND} <workload description>: get a review of where it should run`,
    `${SLACK_COMMAND} help: this message`,
  ],
};

export class SlackTurns {
  constructor(private readonly deps: TurnDeps) {}

  /**
   * Claims every id for this work; 'duplicate' when any was already claimed by
   * other work (a retry, or the other event of an app_mention + message pair).
   * The same work claiming again (resumed after a crash) still gets 'fresh'.
   * When the store cannot be reached the user gets the apology instead of a
   * possibly duplicated answer.
   */
  private async claim(ids: string[], owner: string, log: Logger): Promise<'fresh' | 'duplicate' | Reply> {
    try {
      let fresh = true;
      // Stop at the first id already claimed: claiming the others too would let a
      // concurrent retry (on this or another instance) take an id the first
      // delivery still needs, and then neither would answer.
      for (const id of ids) {
        if (!(await this.deps.store.claimEvent(id, EVENT_CLAIM_TTL_MS, owner))) {
          fresh = false;
          break;
        }
      }
      if (!fresh) log.info({ ids }, 'duplicate Slack event ignored');
      return fresh ? 'fresh' : 'duplicate';
    } catch (err) {
      const reference = referenceId();
      log.error({ err: describe(err), reference }, 'could not record the event as handled');
      return apologyReply(reference, err);
    }
  }

  /** Runs one turn; an engine failure becomes an apology with a reference id (the stack goes to the log). */
  private async turn(msg: InboundMessage, log: Logger): Promise<Reply[]> {
    try {
      // The engine logs every turn (intent, replies, latency); nothing to add here.
      return (await this.deps.engine.handle(msg)).replies;
    } catch (err) {
      const reference = referenceId();
      log.error({ err: describe(err), reference }, 'turn failed');
      return [apologyReply(reference, err)];
    }
  }

  /**
   * A per-request logger, created only when something is logged: most turns
   * log nothing here (the engine logs each turn), and a child logger with
   * redaction is not free at hundreds of requests a second.
   */
  private childLogger(bindings: Record<string, unknown>): Logger {
    const parent = this.deps.logger;
    let child: Logger | undefined;
    const get = () => (child ??= parent.child({ platform: 'slack', ...bindings }));
    return {
      debug: (obj, msg) => get().debug(obj, msg),
      info: (obj, msg) => get().info(obj, msg),
      warn: (obj, msg) => get().warn(obj, msg),
      error: (obj, msg) => get().error(obj, msg),
      child: (more) => get().child(more),
    };
  }

  /** `app_mention`: answer in a thread under the message (or in its thread). */
  async onMention(body: unknown, client: webApi.WebClient, work: Work): Promise<void> {
    const envelope = eventEnvelopeSchema.safeParse(body);
    const event = appMentionSchema.safeParse((body as { event?: unknown } | null)?.event);
    if (!envelope.success || !event.success) {
      this.deps.logger.warn({ platform: 'slack', issues: (event.error ?? envelope.error)?.issues.slice(0, 3) }, 'malformed app_mention ignored');
      return;
    }
    const e = event.data;
    if (!e.user || e.bot_id || e.subtype || e.edited || e.user === this.deps.botUserId) return;
    const team = envelopeTeam(envelope.data, e.team);
    const dm = e.channel.startsWith('D');
    const threadTs = dm ? e.thread_ts : (e.thread_ts ?? e.ts);
    const log = this.childLogger({ surface: dm ? 'dm' : 'channel', team, channel: e.channel, user: e.user, eventId: envelope.data.event_id });
    await this.answerEvent(client, work, { eventId: envelope.data.event_id, team, channel: e.channel, ts: e.ts, threadTs, user: e.user, text: slackPlainText(e.text), dm }, log);
  }

  /** Whether a `message` event is one vmk answers (a person's new DM), checked before it is recorded as work. */
  answersMessage(body: unknown): boolean {
    const event = messageSchema.safeParse((body as { event?: unknown } | null)?.event);
    if (!event.success) return false;
    const e = event.data;
    return !(e.channel_type !== 'im' || e.subtype !== undefined || e.bot_id || e.edited || !e.user || e.user === this.deps.botUserId);
  }

  /** `message` in a DM (the `message.im` subscription): answer in the DM. Everything else is ignored. */
  async onMessage(body: unknown, client: webApi.WebClient, work: Work): Promise<void> {
    const envelope = eventEnvelopeSchema.safeParse(body);
    const event = messageSchema.safeParse((body as { event?: unknown } | null)?.event);
    if (!envelope.success || !event.success) {
      this.deps.logger.debug({ platform: 'slack' }, 'message event without the expected fields ignored');
      return;
    }
    const e = event.data;
    // Edits (message_changed), deletions, joins, bot posts and vmk's own messages are not questions.
    if (e.channel_type !== 'im' || e.subtype !== undefined || e.bot_id || e.edited || !e.user || e.user === this.deps.botUserId) return;
    const team = envelopeTeam(envelope.data, e.team);
    const log = this.childLogger({ surface: 'dm', team, channel: e.channel, user: e.user, eventId: envelope.data.event_id });
    await this.answerEvent(client, work, { eventId: envelope.data.event_id, team, channel: e.channel, ts: e.ts, threadTs: e.thread_ts, user: e.user, text: slackPlainText(e.text ?? ''), dm: true }, log);
  }

  /**
   * A mention or a DM: claim the event (exactly one reply across retries, the
   * app_mention + message pair and instances), run the turn, send the replies.
   */
  private async answerEvent(
    client: webApi.WebClient,
    work: Work,
    m: { eventId?: string; team: string; channel: string; ts: string; threadTs?: string; user: string; text: string; dm: boolean },
    log: Logger,
  ): Promise<void> {
    const replies = await work.replies(async () => {
      const claimed = await this.claim(this.eventIds(m.eventId, m.team, m.channel, m.ts), work.id, log);
      if (claimed === 'duplicate') return [];
      return claimed !== 'fresh'
        ? [claimed]
        : this.turn(
            {
              platform: 'slack',
              workspace: m.team,
              // A DM is one conversation; in a channel each thread is one.
              conversation: conversationId(m.channel, m.dm ? undefined : m.threadTs),
              user: m.user,
              text: m.text,
              surface: m.dm ? 'dm' : 'channel',
            },
            log,
          );
    });
    await this.sendToConversation(client, work, replies, { channel: m.channel, threadTs: m.threadTs, user: m.user, dm: m.dm }, log);
  }

  /**
   * `/vmk-advise [text]`: the replies, rendered as ephemeral response bodies.
   * The caller puts the first one in the acknowledgement itself (no outbound
   * call at all when the turn is quick) and sends the rest, or all of them when
   * the turn was slow, through the command's response_url.
   */
  async commandReplies(payload: unknown): Promise<{ responseUrl: string; bodies: ResponseUrlBody[]; log: Logger } | null> {
    const parsed = commandSchema.safeParse(payload);
    if (!parsed.success) {
      this.deps.logger.warn({ platform: 'slack', issues: parsed.error.issues.slice(0, 3) }, 'malformed slash command ignored');
      return null;
    }
    const c = parsed.data;
    const log = this.childLogger({ surface: 'command', team: c.team_id, channel: c.channel_id, user: c.user_id });
    const text = slackPlainText(c.text);
    const isHelp = /^(help|\?|usage)$/i.test(text);
    const msg: InboundMessage = {
      platform: 'slack',
      workspace: c.team_id,
      conversation: conversationId(c.channel_id),
      user: c.user_id,
      text: isHelp ? 'help' : text,
      surface: 'command',
      ...(text === '' ? { action: { type: 'start' } as Action } : {}),
    };
    let replies = await this.turn(msg, log);
    // The command's syntax is Slack's business: put it on top of the core's usage.
    if (isHelp) replies = replies.map((r, i) => (i === 0 && r.kind !== 'error' ? { ...r, blocks: [USAGE_BLOCK, ...r.blocks] } : r));
    const bodies: ResponseUrlBody[] = replies.map((reply) => ({ response_type: 'ephemeral', ...renderReply(reply, { logger: log }) }));
    return { responseUrl: c.response_url, bodies, log };
  }

  /** Sends command replies that did not travel in the acknowledgement. */
  async sendCommandReplies(responseUrl: string, bodies: ResponseUrlBody[], log: Logger): Promise<void> {
    for (const body of bodies) {
      await this.safely(null, log, 'response_url post', () => postToResponseUrl(responseUrl, body, log, this.deps.retry));
    }
  }

  /** A button click (already acked). */
  async onAction(payload: unknown, client: webApi.WebClient, work: Work): Promise<void> {
    const parsed = blockActionsSchema.safeParse(payload);
    if (!parsed.success) {
      this.deps.logger.warn({ platform: 'slack', issues: parsed.error.issues.slice(0, 3) }, 'malformed block_actions payload ignored');
      return;
    }
    const b = parsed.data;
    const user = b.user.id;
    const team = b.team?.id ?? b.user.team_id ?? 'unknown';
    const clicked = b.actions[0];
    const fromHome = b.container?.type === 'view' || b.view?.type === 'home';
    const log = this.childLogger({ surface: fromHome ? 'home' : 'button', team, user, actionId: clicked?.action_id });
    const value = parseActionValue(clicked?.value);
    if (!value.ok) {
      log.warn({ reason: value.reason }, 'button value rejected');
      if (b.response_url) {
        await this.safely(work, log, 'response_url post', () =>
          postToResponseUrl(b.response_url as string, { response_type: 'ephemeral', replace_original: false, ...renderReply(BAD_BUTTON_NOTE) }, log, this.deps.retry),
        );
      }
      return;
    }
    const action = value.action;

    if (fromHome) {
      await this.onHomeAction(b.view?.private_metadata, team, user, action, client, work, log);
      return;
    }

    const channel = b.channel?.id ?? b.container?.channel_id;
    if (!channel) {
      log.warn('button click without a channel ignored');
      return;
    }
    const threadTs = b.message?.thread_ts ?? b.container?.thread_ts;
    const ephemeral = b.container?.is_ephemeral === true;
    const replies = await work.replies(() =>
      this.turn(
        {
          platform: 'slack',
          workspace: team,
          conversation: conversationId(channel, threadTs),
          user,
          text: action.type === 'ask' ? action.text : '',
          action,
          surface: 'button',
        },
        log,
      ),
    );

    let replaced = false;
    for (const reply of replies) {
      const rendered = renderReply(reply, { logger: log });
      const isPrivate = reply.visibility === 'private';
      if (action.type === 'share' && !isPrivate) {
        await this.safely(work, log, 'share', () => this.share(client, b.response_url, { channel, threadTs }, rendered, log));
      } else if (reply.replaceOriginal && !replaced && b.response_url) {
        replaced = true;
        await this.safely(work, log, 'replace message', () =>
          postToResponseUrl(b.response_url as string, { replace_original: true, ...rendered }, log, this.deps.retry),
        );
      } else if (isPrivate || ephemeral) {
        if (b.response_url) {
          await this.safely(work, log, 'ephemeral reply', () =>
            postToResponseUrl(b.response_url as string, { response_type: 'ephemeral', replace_original: false, ...rendered }, log, this.deps.retry),
          );
        } else {
          await this.safely(work, log, 'chat.postEphemeral', () => postEphemeral(client, { channel, threadTs, user }, rendered));
        }
      } else {
        await this.safely(work, log, 'chat.postMessage', () => postMessage(client, { channel, threadTs }, rendered));
      }
    }
  }

  /** `app_home_opened` on the Home tab: publish the Home view. */
  async onHomeOpened(body: unknown, client: webApi.WebClient, work: Work): Promise<void> {
    const event = appHomeOpenedSchema.safeParse((body as { event?: unknown } | null)?.event);
    if (!event.success || event.data.tab !== 'home') return;
    const { user, channel } = event.data;
    const log = this.childLogger({ surface: 'home', user });
    const view = renderHomeView(homeReply(), { logger: log, ...(channel ? { privateMetadata: JSON.stringify({ channel }) } : {}) });
    await this.safely(work, log, 'views.publish', () => client.views.publish({ user_id: user, view }));
  }

  /** A click on the Home tab: the conversation continues in the app's DM with the user. */
  private async onHomeAction(
    metadata: string | undefined,
    team: string,
    user: string,
    action: Action,
    client: webApi.WebClient,
    work: Work,
    log: Logger,
  ): Promise<void> {
    let channel = readHomeChannel(metadata);
    let placeholderTs: string | undefined;
    if (!channel) {
      // No DM channel recorded (an old Home view): open the DM by posting to the user, then fill that message in.
      const posted = await this.safely(work, log, 'chat.postMessage', () =>
        postMessage(client, { channel: user }, renderReply({ kind: 'notice', summary: 'One moment…', blocks: [] })),
      );
      // Resumed after a restart, the placeholder's ids are gone: post to the user (their DM) instead of filling it in.
      channel = posted === 'skipped' ? user : posted?.channel;
      placeholderTs = posted === 'skipped' ? undefined : posted?.ts;
      if (!channel) return;
    }
    const dm = channel;
    const surface: Surface = 'home';
    const replies = await work.replies(() =>
      this.turn(
        {
          platform: 'slack',
          workspace: team,
          conversation: conversationId(dm),
          user,
          text: action.type === 'ask' ? action.text : '',
          action,
          surface,
        },
        log,
      ),
    );
    for (const [i, reply] of replies.entries()) {
      const rendered = renderReply(reply, { logger: log });
      if (i === 0 && placeholderTs) {
        const ts = placeholderTs;
        await this.safely(work, log, 'chat.update', () => updateMessage(client, dm, ts, rendered));
      } else {
        await this.safely(work, log, 'chat.postMessage', () => postMessage(client, { channel: dm }, rendered));
      }
    }
  }

  /** "Share in channel": a visible post; through response_url when vmk is not a member of the channel. */
  private async share(
    client: webApi.WebClient,
    responseUrl: string | undefined,
    target: { channel: string; threadTs?: string },
    rendered: ReturnType<typeof renderReply>,
    log: Logger,
  ): Promise<void> {
    try {
      await postMessage(client, target, rendered);
    } catch (err) {
      if (!responseUrl) {
        this.deps.metrics?.deliveryFailure('slack');
        log.error({ err: describe(err) }, 'share failed');
        return;
      }
      if (err instanceof DeliveryUncertainError) throw err;
      log.warn({ err: describe(err) }, 'chat.postMessage failed for a share; posting through response_url');
      await postToResponseUrl(responseUrl, { response_type: 'in_channel', replace_original: false, ...rendered }, log, this.deps.retry);
    }
  }

  /** Channel mentions and DMs: public replies in the thread, private ones ephemeral (in a DM everything is private already). */
  private async sendToConversation(
    client: webApi.WebClient,
    work: Work,
    replies: Reply[],
    where: { channel: string; threadTs?: string; user: string; dm: boolean },
    log: Logger,
  ): Promise<void> {
    const target = { channel: where.channel, ...(where.threadTs ? { threadTs: where.threadTs } : {}) };
    for (const reply of replies) {
      const rendered = renderReply(reply, { logger: log });
      if (!where.dm && reply.visibility === 'private') {
        await this.safely(work, log, 'chat.postEphemeral', () => postEphemeral(client, { ...target, user: where.user }, rendered));
      } else {
        await this.safely(work, log, 'chat.postMessage', () => postMessage(client, target, rendered));
      }
    }
  }

  private eventIds(eventId: string | undefined, team: string, channel: string, ts: string): string[] {
    return [...(eventId ? [`slack:event:${eventId}`] : []), `slack:${team}:${channel}:${ts}`];
  }

  /**
   * Runs one send of a piece of work (skipped when it had finished before a
   * restart); a failure (after the client's own retries) is logged, never
   * thrown into Bolt. Only a takeover by another holder stops the work.
   */
  private async safely<T>(work: Work | null, log: Logger, what: string, fn: () => Promise<T>): Promise<T | 'skipped' | undefined> {
    try {
      return await (work ? work.send(fn) : fn());
    } catch (err) {
      if (err instanceof WorkTakenOverError) throw err;
      this.deps.metrics?.deliveryFailure('slack');
      log.error({ err: describe(err) }, `${what} failed`);
      return undefined;
    }
  }
}

function readHomeChannel(metadata: string | undefined): string | undefined {
  if (!metadata) return undefined;
  try {
    const parsed = homeMetadataSchema.safeParse(JSON.parse(metadata));
    return parsed.success ? parsed.data.channel : undefined;
  } catch {
    return undefined;
  }
}
