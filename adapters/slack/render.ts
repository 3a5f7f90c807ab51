import type { types } from '@slack/bolt';
import type { Logger } from '../../src/logger.js';
import type { Choice, Reply } from '../../src/types.js';
import { MAX_BUTTON_VALUE, serializeAction } from './actions.js';
import { ACTION_ID_PREFIX } from './constants.js';
import { escapeAndTruncate, escapeSlackText, splitEscaped, truncateEscaped } from './escape.js';

/**
 * The one Block Kit renderer: a neutral Reply in, `{ text, blocks }` out.
 * Every string is escaped (see escape.ts) and every Block Kit limit is
 * respected, so whatever the core says, Slack accepts the payload and nobody
 * is pinged by echoed text.
 */

export type SlackBlock = types.KnownBlock;

export interface RenderedMessage {
  /** Top-level fallback text: notifications, screen readers, clients without blocks. */
  text: string;
  blocks: SlackBlock[];
}

export interface RenderOptions {
  /** Where dropped buttons and shortened replies are reported. */
  logger?: Logger;
  /** 50 for messages, 100 for the Home tab. */
  maxBlocks?: number;
}

export const LIMITS = {
  messageBlocks: 50,
  homeBlocks: 100,
  headerText: 150,
  sectionText: 3000,
  fieldsPerSection: 10,
  fieldText: 2000,
  contextText: 2000,
  buttonsPerActions: 25,
  buttonLabel: 75,
  buttonValue: MAX_BUTTON_VALUE,
  fallbackText: 3000,
} as const;

const SHORTENED_NOTE = 'This answer was shortened to fit in one Slack message.';

function mrkdwn(text: string): types.MrkdwnElement {
  return { type: 'mrkdwn', text };
}

function plain(text: string): types.PlainTextElement {
  return { type: 'plain_text', text, emoji: true };
}

/** Escaped mrkdwn for one TextBlock: bold heading, paragraph, bullet lines. */
function textBlockMrkdwn(block: Reply['blocks'][number]): string {
  const lines: string[] = [];
  // `*` inside a heading would end the bold early; drop it rather than render stray markup.
  const heading = block.heading?.replace(/\*/g, '').trim();
  if (heading) lines.push(`*${escapeSlackText(heading)}*`);
  if (block.text?.trim()) lines.push(escapeSlackText(block.text.trim()));
  for (const bullet of block.bullets ?? []) {
    if (bullet.trim()) lines.push(`• ${escapeSlackText(bullet.trim())}`);
  }
  return lines.join('\n');
}

function button(choice: Choice, actionId: string, defaultStyle: 'primary' | undefined, logger?: Logger): types.Button | null {
  const value = serializeAction(choice.action);
  if (value.length > LIMITS.buttonValue) {
    logger?.warn({ label: choice.label, length: value.length, actionType: choice.action.type }, 'button value exceeds the Slack limit; button dropped');
    return null;
  }
  const style = choice.style ?? defaultStyle;
  return {
    type: 'button',
    action_id: actionId,
    text: plain(escapeAndTruncate(choice.label, LIMITS.buttonLabel)),
    value,
    ...(style ? { style } : {}),
  };
}

/** One or more actions blocks for a row of buttons; action_ids are unique per block. */
function actionBlocks(choices: Choice[], kind: 'choice' | 'action', logger?: Logger): types.ActionsBlock[] {
  // Slack asks for `primary` on at most one button of a set: a lone choice (e.g. "Start") gets it by default.
  const defaultStyle = kind === 'choice' && choices.length === 1 ? 'primary' : undefined;
  const buttons: types.Button[] = [];
  choices.forEach((choice, i) => {
    const b = button(choice, `${ACTION_ID_PREFIX}${kind}_${i}`, defaultStyle, logger);
    if (b) buttons.push(b);
  });
  const blocks: types.ActionsBlock[] = [];
  for (let i = 0; i < buttons.length; i += LIMITS.buttonsPerActions) {
    blocks.push({
      type: 'actions',
      block_id: `${ACTION_ID_PREFIX}${kind}s_${blocks.length}`,
      elements: buttons.slice(i, i + LIMITS.buttonsPerActions),
    });
  }
  return blocks;
}

/** Renders a neutral reply as a Slack message. */
export function renderReply(reply: Reply, options: RenderOptions = {}): RenderedMessage {
  const { logger } = options;
  const maxBlocks = options.maxBlocks ?? LIMITS.messageBlocks;
  const content: SlackBlock[] = [];

  if (reply.title?.trim()) {
    content.push({ type: 'header', text: plain(escapeAndTruncate(reply.title.trim(), LIMITS.headerText)) });
  }

  const bodies = reply.blocks.map(textBlockMrkdwn).filter((t) => t.length > 0);
  // Without any body the summary is the message; otherwise it is only the notification text.
  if (bodies.length === 0 && !reply.facts?.length && reply.summary.trim()) bodies.push(escapeSlackText(reply.summary.trim()));
  for (const body of bodies) {
    for (const chunk of splitEscaped(body, LIMITS.sectionText)) content.push({ type: 'section', text: mrkdwn(chunk) });
  }

  const facts = (reply.facts ?? []).filter((f) => f.label.trim() || f.value.trim());
  for (let i = 0; i < facts.length; i += LIMITS.fieldsPerSection) {
    content.push({
      type: 'section',
      fields: facts.slice(i, i + LIMITS.fieldsPerSection).map((f) =>
        mrkdwn(truncateEscaped(`*${escapeSlackText(f.label.replace(/\*/g, '').trim())}*\n${escapeSlackText(f.value.trim())}`, LIMITS.fieldText)),
      ),
    });
  }

  const tail: SlackBlock[] = [];
  const notes = (reply.notes ?? []).map((n) => n.trim()).filter(Boolean);
  if (notes.length > 0) {
    tail.push({ type: 'context', elements: notes.slice(0, 10).map((n) => mrkdwn(escapeAndTruncate(n, LIMITS.contextText))) });
  }
  if (reply.source?.trim()) {
    tail.push({ type: 'context', elements: [mrkdwn(escapeAndTruncate(`Source: ${reply.source.trim()}`, LIMITS.contextText))] });
  }
  tail.push(...actionBlocks(reply.choices ?? [], 'choice', logger));
  tail.push(...actionBlocks(reply.actions ?? [], 'action', logger));

  let blocks: SlackBlock[];
  if (content.length + tail.length <= maxBlocks) {
    blocks = [...content, ...tail];
  } else {
    // Buttons keep a dialog moving, so the text gives way first.
    const room = Math.max(0, maxBlocks - tail.length - 1);
    logger?.warn({ blocks: content.length + tail.length, maxBlocks, kind: reply.kind }, 'reply exceeds the Slack block limit; shortened');
    const note: types.ContextBlock = { type: 'context', elements: [mrkdwn(SHORTENED_NOTE)] };
    blocks = [...content.slice(0, room), note, ...tail].slice(0, maxBlocks);
  }

  const fallback = reply.summary.trim() || reply.title?.trim() || reply.blocks.find((b) => b.text)?.text || 'vmk';
  return { text: escapeAndTruncate(fallback, LIMITS.fallbackText), blocks };
}

export interface HomeViewOptions extends RenderOptions {
  /** Stored in the view so a click on the Home tab knows the app's DM channel with the user. */
  privateMetadata?: string;
}

/** Renders a reply as the App Home tab (up to 100 blocks). */
export function renderHomeView(reply: Reply, options: HomeViewOptions = {}): types.HomeView {
  const { blocks } = renderReply(reply, { ...options, maxBlocks: options.maxBlocks ?? LIMITS.homeBlocks });
  return {
    type: 'home',
    blocks,
    ...(options.privateMetadata ? { private_metadata: options.privateMetadata.slice(0, 3000) } : {}),
  };
}
