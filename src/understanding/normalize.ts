/**
 * Text normalisation: what a person typed, with Slack/Teams markup, emoji,
 * invisible characters and slang, turned into plain lower-case word tokens.
 *
 * Order: Unicode NFKC -> invisible characters out -> markup out (mentions,
 * links keep their label, HTML entities decoded) -> a few emoji become words
 * (a wave is a hello) and the rest go -> lower case -> slang expanded word by
 * word -> `/` and `-` split -> punctuation dropped.
 */

/** Zero-width characters, bidi controls and the BOM. */
const INVISIBLE = /[\u00AD\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u206F\uFEFF]/gu;

const ENTITIES: Record<string, string> = {
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&quot;': '"',
  '&apos;': "'",
  '&#39;': "'",
  '&nbsp;': ' ',
};

/** Emoji (and their Slack short codes) that carry meaning for a chat bot. */
const MEANINGFUL_EMOJI: [RegExp, string][] = [
  [/👋|:wave:/gu, ' hello '],
  [/🙏|🙌|:pray:|:raised_hands:|:thank_?you:/gu, ' thanks '],
  [/❓|❔|:question:|:grey_question:/gu, ' ? '],
];

function decodeEntities(text: string): string {
  return text
    .replace(/&(?:lt|gt|amp|quot|apos|nbsp|#39);/g, (m) => ENTITIES[m] ?? m)
    .replace(/&#(\d{1,6});/g, (_, d: string) => safeFromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]{1,6});/gi, (_, h: string) => safeFromCodePoint(parseInt(h, 16)));
}

function safeFromCodePoint(cp: number): string {
  return Number.isInteger(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : ' ';
}

/** Removes chat markup, keeping the words a person would read. */
export function stripMarkup(text: string): string {
  let t = text;
  // Teams: <at>vmk</at> mentions disappear entirely; other HTML tags become spaces.
  t = t.replace(/<at\b[^<>]{0,200}>[^<]{0,200}<\/at>/gi, ' ');
  // Entities first, then a second pass so an encoded <at> is handled too.
  t = decodeEntities(t);
  t = t.replace(/<at\b[^<>]{0,200}>[^<]{0,200}<\/at>/gi, ' ');
  // Slack: <@U123>, <@U123|name>, <#C123|general>, <!channel>, <!subteam^S1|@team>.
  t = t.replace(/<[@#!][^<>]*>/g, ' ');
  // Slack links: <https://x|label> keeps the label, <https://x> goes.
  t = t.replace(/<(?:https?|mailto|ftp):[^|<>]*\|([^<>]*)>/gi, ' $1 ');
  t = t.replace(/<(?:https?|mailto|ftp):[^<>]*>/gi, ' ');
  // HTML tags (Teams sends <p>, <div>, <br>, <span ...>).
  t = t.replace(/<\/?[a-z][a-z0-9]*(?:\s[^<>]*)?\/?>/gi, ' ');
  // Bare URLs and @mentions typed as text.
  t = t.replace(/\bhttps?:\/\/\S+/gi, ' ');
  t = t.replace(/(^|\s)@[\w.-]+/g, ' ');
  // Inline code and formatting markers: `x`, *x*, _x_, ~x~, > quotes.
  t = t.replace(/```+|`+/g, ' ');
  t = t.replace(/(^|\s)[*_~]+|[*_~]+(?=\s|$|[?!.,;:])/g, ' ');
  t = t.replace(/^\s*>+\s?/gm, ' ');
  return t;
}

/** Removes emoji after turning the few meaningful ones into words. */
export function stripEmoji(text: string): string {
  let t = text;
  for (const [re, word] of MEANINGFUL_EMOJI) t = t.replace(re, word);
  // Slack short codes such as :rocket: or :+1:
  t = t.replace(/:[a-z0-9_+-]{1,40}:/gi, ' ');
  // Pictographs, regional indicators, keycaps, skin tones, variation selectors, ZWJ.
  t = t.replace(/\p{Extended_Pictographic}|[\u{1F1E6}-\u{1F1FF}]|[\u{1F3FB}-\u{1F3FF}]|\u20E3|\uFE0E|\uFE0F|\u200D/gu, ' ');
  // Text emoticons.
  t = t.replace(/(^|\s)(?:[:;=8][-']?[()[\]dpo/\\|*]+|<3|\^\^|xd)(?=\s|$)/gi, ' ');
  return t;
}

/**
 * The first stage every reading of a message shares, before any tokenising:
 * Unicode NFKC, invisible characters out, any chat markup left by the adapter
 * out, typographic apostrophes made plain. The advisor matches its trait
 * patterns on this text, so evidence is quoted from what the person wrote.
 */
export function cleanText(text: string): string {
  return stripMarkup(String(text ?? '').normalize('NFKC').replace(INVISIBLE, '')).replace(/[’‘`´]/g, "'");
}

export interface Normalizer {
  /** Plain, lower-case word tokens. */
  tokens(text: string): string[];
}

/**
 * Builds a normaliser around a slang table (lower-case keys; values may be
 * several words, or empty to drop the word).
 */
export function createNormalizer(slang: Record<string, string>): Normalizer {
  const table = new Map<string, string[]>();
  for (const [k, v] of Object.entries(slang)) {
    const key = k.toLowerCase().replace(/[’']/g, '');
    table.set(key, v.toLowerCase().split(/\s+/).filter(Boolean));
  }

  function expand(word: string, out: string[]): void {
    const hit = table.get(word);
    if (hit) {
      out.push(...hit);
      return;
    }
    out.push(word);
  }

  return {
    tokens(text: string): string[] {
      let t = cleanText(text);
      t = stripEmoji(t);
      t = t.toLowerCase();
      // Possessives and contractions: "what's" -> "whats", "vm's" -> "vms".
      t = t.replace(/(\p{L})'(\p{L})/gu, '$1$2');
      const out: string[] = [];
      for (const raw of t.split(/\s+/)) {
        if (!raw) continue;
        // Trim surrounding punctuation, keep inner / - . for slang like w/o, tl;dr, hyper-v.
        const word = raw.replace(/^[^\p{L}\p{N}?]+|[^\p{L}\p{N}?/;]+$/gu, '');
        if (!word) continue;
        const q = word.endsWith('?');
        const core = q ? word.replace(/\?+$/, '') : word;
        if (table.has(core)) {
          expand(core, out);
        } else {
          for (const part of core.split(/[/\-–—.,;:!()[\]{}"'+=|\\<>&#%*~^$]+/)) {
            if (!part) continue;
            for (const sub of part.split(/\?+/)) {
              if (sub) expand(sub, out);
            }
          }
        }
        if (q || word.includes('?')) out.push('?');
      }
      return out;
    },
  };
}
