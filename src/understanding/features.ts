/**
 * What the learned models see of a message: words and word pairs (stemmed,
 * with platform and topic names replaced by slot tokens), character n-grams
 * (robust to the misspellings the typo fixer left), the entities found, the
 * negated words, the message's shape, and the named signals of signals.ts.
 * Groups are scaled so a long message does not outweigh a short one.
 */
import type { Feature } from './linear.js';
import { SLOT_NUMBER, SLOT_PLATFORM, SLOT_TOPIC, stem } from './gazetteer.js';
import type { Analysis } from './pipeline.js';

const SLOT_CHARS: Record<string, string> = { [SLOT_PLATFORM]: 'P', [SLOT_TOPIC]: 'T', [SLOT_NUMBER]: 'N' };

/** Longest stretch of words read: long messages keep their opening and their ending. */
const HEAD = 60;
const TAIL = 20;

function clip(words: string[]): string[] {
  return words.length <= HEAD + TAIL ? words : [...words.slice(0, HEAD), ...words.slice(-TAIL)];
}

function bucket(n: number, edges: number[]): string {
  for (const e of edges) if (n <= e) return `<=${e}`;
  return `>${edges[edges.length - 1]}`;
}

/** Adjacent word pairs, with the start (^) and end ($) of the message as words. */
function pairs(words: string[], prefix: string): string[] {
  const out: string[] = [];
  for (let i = 0; i <= words.length; i++) out.push(`${prefix}:${i === 0 ? '^' : words[i - 1]}_${i === words.length ? '$' : words[i]}`);
  return out;
}

function scaled(names: Iterable<string>, weight: number, out: Feature[]): void {
  const set = new Set(names);
  if (set.size === 0) return;
  const v = weight / Math.sqrt(set.size);
  for (const n of set) out.push([n, v]);
}

export function features(a: Analysis): Feature[] {
  const out: Feature[] = [];
  const words = clip(a.slotted).map((t) => SLOT_CHARS[t] ?? stem(t));
  const negatedWords = new Set(a.negated.map((i) => a.tokens[i]).filter((t): t is string => t !== undefined));

  scaled(words.map((w) => `w:${w}`), 2.2, out);
  scaled(pairs(words, 'b'), 1.6, out);
  const text = ` ${words.join(' ')} `;
  const grams: string[] = [];
  for (let n = 3; n <= 5; n++) for (let i = 0; i + n <= text.length; i++) grams.push(`c${n}:${text.slice(i, i + n)}`);
  scaled(grams, 1.6, out);
  // Where a message starts and how it ends carry its intent ("...: VMs or containers?").
  if (words[0]) out.push([`first:${words[0]}`, 0.6]);
  if (words.length > 1) out.push([`first2:${words[0]}_${words[1]}`, 0.5]);
  const last = words.filter((w) => w !== '?').slice(-2).join('_');
  if (last) out.push([`last:${last}`, 0.5]);
  scaled([...negatedWords].map((w) => `neg:${SLOT_CHARS[w] ?? stem(w)}`), 0.8, out);

  // The sentence that asks, on its own: in a long message the context says who asks, the question what is asked.
  if (a.focus.length > 0) {
    const fw = clip(a.focus).map((t) => SLOT_CHARS[t] ?? stem(t));
    scaled(fw.map((w) => `q:${w}`), 1.5, out);
    scaled(pairs(fw, 'qb'), 1, out);
  }

  // Entities.
  const platforms = new Set(a.g.platforms);
  for (const p of platforms) out.push([`ent:platform:${p}`, 0.7]);
  out.push([`ent:platforms:${platforms.size}`, 0.7]);
  for (const m of a.g.matches) {
    if (m.entity.kind === 'topic') out.push([`ent:${m.generic ? 'generic' : 'topic'}:${m.entity.value}`, 0.7]);
  }
  out.push([`ent:topics:${bucket(a.g.topics.length, [0, 1])}`, 0.5]);

  // Shape.
  out.push([`len:${bucket(a.tokens.length, [1, 3, 6, 12, 25, 50])}`, 0.6]);
  out.push([`unknown:${a.unknownShare === 0 ? '0' : a.unknownShare < 0.3 ? 'low' : a.unknownShare < 0.6 ? 'mid' : 'high'}`, 0.6]);
  if (a.tokens.includes('?')) out.push(['shape:question', 0.4]);
  if (a.sentences > 1) out.push([`shape:sentences:${bucket(a.sentences, [2, 4])}`, 0.5]);

  for (const n of a.nearby) out.push([`near:${n.id}`, 0.7]);

  // Named signals.
  for (const s of a.signals) out.push([`sig:${s}`, 1]);
  return out;
}
