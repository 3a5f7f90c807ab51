/**
 * Slack mrkdwn escaping. Slack delivers user text with `&`, `<` and `>`
 * already encoded, and with typed mentions as control sequences
 * (`<!channel>`, `<!here>`, `<@U123>`). Echoing such text unchanged would
 * ping people. Every string vmk sends is first decoded (so text that arrived
 * escaped is not double-escaped into visible `&amp;lt;`) and then escaped, so
 * no control sequence can survive: `<` and `>` never reach Slack raw.
 */

/** Turns Slack's three entities back into characters. `&amp;` goes last so `&amp;lt;` stays the literal text `&lt;`. */
export function decodeSlackEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const NEEDS_ESCAPE = /[&<>]/;

/** Makes any text safe to place in a Slack text field (mrkdwn or plain_text). */
export function escapeSlackText(text: string): string {
  // Most of what vmk sends (the knowledge base's answers) has nothing to escape.
  if (!NEEDS_ESCAPE.test(text)) return text;
  return decodeSlackEntities(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Shortens already-escaped text to at most `max` characters, ending with `…`,
 * without cutting an entity (`&amp;`, `&lt;`, `&gt;`) in half.
 */
export function truncateEscaped(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = max - 1;
  const amp = text.lastIndexOf('&', cut);
  if (amp !== -1 && amp > cut - 5) {
    const semi = text.indexOf(';', amp);
    if ((semi === -1 || semi >= cut) && amp > 0) cut = amp;
  }
  return `${text.slice(0, cut).trimEnd()}…`;
}

/** Escapes, then shortens: for labels and headers with a hard limit. */
export function escapeAndTruncate(text: string, max: number): string {
  return truncateEscaped(escapeSlackText(text), max);
}

/**
 * Splits escaped text into chunks of at most `max` characters, preferring
 * paragraph breaks, then line breaks, then spaces; never inside an entity.
 */
export function splitEscaped(text: string, max: number): string[] {
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max + 1);
    let cut = window.lastIndexOf('\n\n');
    if (cut < max / 2) cut = window.lastIndexOf('\n');
    if (cut < max / 2) cut = window.lastIndexOf(' ');
    if (cut <= 0) {
      cut = max;
      const amp = rest.lastIndexOf('&', cut - 1);
      if (amp !== -1 && amp > cut - 5) {
        const semi = rest.indexOf(';', amp);
        if ((semi === -1 || semi >= cut) && amp > 0) cut = amp;
      }
    }
    const head = rest.slice(0, cut).trimEnd();
    if (head.length > 0) chunks.push(head);
    rest = rest.slice(cut).replace(/^\s+/, '');
  }
  if (rest.length > 0) chunks.push(rest);
  return chunks;
}
