/**
 * Adaptive Cards 1.5 renderer: turns the core's neutral Reply into one card.
 *
 * Cards are built as plain JSON (no botbuilder import here), so the renderer
 * survives a move to another Teams SDK unchanged.
 *
 * Text in a Reply is plain text. TextBlocks and facts in Teams render a
 * markdown subset, so the renderer neutralises link syntax; cards never carry
 * `msteams.entities`, so an `<at>` in any text can never become a mention.
 */
import type { Action, Choice, Reply } from '../../src/types.js';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';
/** Teams rejects messages above about 28 KB; keep the card JSON below this. */
export const MAX_CARD_BYTES = 26_000;

export interface SubmitAction {
  type: 'Action.Submit';
  title: string;
  data: { vmk: Action };
  style?: 'positive' | 'destructive';
}

export type CardElement =
  | {
      type: 'TextBlock';
      text: string;
      wrap: true;
      size?: 'Small' | 'Large';
      weight?: 'Bolder';
      isSubtle?: boolean;
      spacing?: 'None' | 'Small' | 'Medium';
    }
  | { type: 'FactSet'; facts: { title: string; value: string }[] }
  | { type: 'ActionSet'; actions: SubmitAction[] };

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  version: '1.5';
  body: CardElement[];
  fallbackText: string;
  msteams: { width: 'Full' };
}

export interface CardAttachment {
  contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE;
  content: AdaptiveCard;
}

/**
 * Makes plain text safe for a TextBlock: no markdown link can form (a zero
 * width space between `]` and `(`), and control characters other than line
 * breaks are dropped.
 */
export function plain(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '')
    .replace(/\]\s*\(/g, ']\u200b(')
    .replace(/<(\/?at)\b/gi, '<\u200b$1');
}

function textBlock(text: string, extra: Partial<Extract<CardElement, { type: 'TextBlock' }>> = {}): CardElement {
  return { type: 'TextBlock', text: plain(text), wrap: true, ...extra };
}

function submit(choice: Choice): SubmitAction {
  const action: SubmitAction = { type: 'Action.Submit', title: plain(choice.label).slice(0, 80), data: { vmk: choice.action } };
  if (choice.style === 'primary') action.style = 'positive';
  if (choice.style === 'danger') action.style = 'destructive';
  return action;
}

function buildBody(reply: Reply, blocks: Reply['blocks']): CardElement[] {
  const body: CardElement[] = [];
  if (reply.title) body.push(textBlock(reply.title, { size: 'Large', weight: 'Bolder' }));
  for (const block of blocks) {
    if (block.heading) body.push(textBlock(block.heading, { weight: 'Bolder', spacing: 'Medium' }));
    if (block.text) body.push(textBlock(block.text));
    for (const bullet of block.bullets ?? []) body.push(textBlock(`• ${bullet}`, { spacing: 'Small' }));
  }
  if (body.length === 0) body.push(textBlock(reply.summary));
  if (reply.facts && reply.facts.length > 0) {
    body.push({ type: 'FactSet', facts: reply.facts.map((f) => ({ title: plain(f.label), value: plain(f.value) })) });
  }
  if (reply.choices && reply.choices.length > 0) body.push({ type: 'ActionSet', actions: reply.choices.map(submit) });
  if (reply.actions && reply.actions.length > 0) body.push({ type: 'ActionSet', actions: reply.actions.map(submit) });
  for (const note of reply.notes ?? []) body.push(textBlock(note, { size: 'Small', isSubtle: true, spacing: 'Medium' }));
  // The reply carries the citation alone; every renderer labels it once.
  if (reply.source) body.push(textBlock(`Source: ${reply.source}`, { size: 'Small', isSubtle: true, spacing: 'Medium' }));
  return body;
}

function cardOf(reply: Reply, blocks: Reply['blocks']): AdaptiveCard {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: buildBody(reply, blocks),
    fallbackText: plain(reply.summary),
    msteams: { width: 'Full' },
  };
}

export function cardBytes(card: AdaptiveCard): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf8');
}

/**
 * Shortens the longest text of a reply until its card fits under the size
 * limit; the title, facts, buttons and source always stay.
 */
function shrink(reply: Reply): AdaptiveCard {
  const blocks = reply.blocks.map((b) => ({ ...b, bullets: b.bullets ? [...b.bullets] : undefined }));
  let card = cardOf(reply, blocks);
  for (let guard = 0; cardBytes(card) > MAX_CARD_BYTES && guard < 10_000; guard++) {
    // Find the longest text or bullet list and cut it by half.
    let longest: { len: number; cut: () => void } | null = null;
    for (const b of blocks) {
      if (b.text && (!longest || b.text.length > longest.len)) {
        const block = b;
        longest = { len: b.text.length, cut: () => (block.text = `${block.text!.slice(0, Math.floor(block.text!.length / 2))}…`) };
      }
      if (b.bullets && b.bullets.length > 0) {
        const list = b.bullets;
        const total = list.reduce((n, s) => n + s.length, 0);
        if (!longest || total > longest.len) longest = { len: total, cut: () => list.splice(Math.ceil(list.length / 2)) };
      }
    }
    if (!longest || longest.len <= 1) break;
    longest.cut();
    card = cardOf(reply, blocks);
  }
  if (cardBytes(card) > MAX_CARD_BYTES) {
    // Pathological input (thousands of buttons or facts): keep the essentials.
    card = cardOf({ ...reply, facts: reply.facts?.slice(0, 20), choices: reply.choices?.slice(0, 12), actions: reply.actions?.slice(0, 6) }, [
      { text: reply.summary.slice(0, 4000) },
    ]);
  }
  return card;
}

/** Renders one neutral reply as an Adaptive Card attachment. */
export function renderCard(reply: Reply): CardAttachment {
  let card = cardOf(reply, reply.blocks);
  if (cardBytes(card) > MAX_CARD_BYTES) card = shrink(reply);
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card };
}

/**
 * A short note addressed to one person in a shared conversation (Teams has no
 * ephemeral messages): the name is a plain prefix, never a mention entity.
 */
export function renderNotice(reply: Reply, userName: string | undefined): CardAttachment {
  const name = userName?.trim();
  const text = reply.blocks.map((b) => b.text).filter(Boolean).join(' ') || reply.summary;
  const card = cardOf({ ...reply, title: undefined, facts: undefined, source: undefined }, [
    { text: name ? `${name}: ${text}` : text },
  ]);
  return { contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: card };
}
