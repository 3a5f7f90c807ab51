/**
 * The gazetteer finds platform and topic names in a token list, longest match
 * first, comparing both raw words and their stems, and replaces each match
 * with a slot token so the classifier learns sentence shapes rather than
 * entity words ("is SLOT_PLATFORM good at SLOT_TOPIC").
 */
// The lint pattern for natural also matches its subpaths; this is a subpath import (see natural.d.ts).
import PorterStemmer from 'natural/lib/natural/stemmers/porter_stemmer.js';
import type { Lexicon } from '../knowledge/schema.js';
import { SIDES, TOPICS, type Side, type Topic } from '../types.js';

export const SLOT_PLATFORM = 'zzplatform';
export const SLOT_TOPIC = 'zztopic';
export const SLOT_NUMBER = 'zznumber';

const stemCache = new Map<string, string>();

/** Porter stem, cached (a stem call costs several microseconds). Slot tokens pass through. */
export function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = word.startsWith('zz') || word === '?' ? word : PorterStemmer.stem(word);
    if (stemCache.size < 100_000) stemCache.set(word, s);
  }
  return s;
}

type Entity = { kind: 'platform'; value: Side } | { kind: 'topic'; value: Topic };

/** One surface form: its words, their stems and what it names (plain data, JSON-safe). */
export interface GazetteerPattern {
  raw: string[];
  stems: string[];
  entity: Entity;
  /** Generic wording: names its topic only when no other topic is named more specifically. */
  generic?: true;
}
type Pattern = GazetteerPattern;

export interface Match {
  start: number;
  end: number;
  entity: Entity;
  generic?: true;
}

export interface GazetteerResult {
  /** Tokens with matched spans replaced by slot tokens. */
  slotted: string[];
  /** Platforms in order of mention (duplicates kept). */
  platforms: Side[];
  /** Distinct topics: those named specifically first, then those named only in generic words; each group in order of first mention. */
  topics: Topic[];
  matches: Match[];
}

export interface Gazetteer {
  annotate(tokens: string[]): GazetteerResult;
  /** Every word that appears in some surface form. */
  readonly words: ReadonlySet<string>;
}

/** The surface forms of the lexicon, tokenised and stemmed. `tokenize` must be the same normaliser the messages go through. */
export function gazetteerPatterns(lexicon: Lexicon, tokenize: (text: string) => string[]): GazetteerPattern[] {
  const patterns: GazetteerPattern[] = [];
  const add = (form: string, entity: Entity, generic = false): void => {
    const raw = tokenize(form).filter((t) => t !== '?');
    if (raw.length === 0) return;
    patterns.push({ raw, stems: raw.map(stem), entity, ...(generic ? { generic: true as const } : {}) });
  };
  for (const side of SIDES) for (const form of lexicon.platforms[side]) add(form, { kind: 'platform', value: side });
  // The slang table maps some words straight to platform names (k8s -> kubernetes).
  for (const topic of TOPICS) for (const form of lexicon.topics[topic] ?? []) add(form, { kind: 'topic', value: topic });
  for (const topic of TOPICS) for (const form of lexicon.generic[topic] ?? []) add(form, { kind: 'topic', value: topic }, true);
  return patterns;
}

/** `tokenize` must be the same normaliser the messages go through. */
export function createGazetteer(lexicon: Lexicon, tokenize: (text: string) => string[]): Gazetteer {
  return gazetteerFromPatterns(gazetteerPatterns(lexicon, tokenize));
}

/** A gazetteer over patterns from `gazetteerPatterns` (fresh or read back from JSON). */
export function gazetteerFromPatterns(patterns: GazetteerPattern[]): Gazetteer {
  const byFirst = new Map<string, Pattern[]>();
  const words = new Set<string>();
  for (const pattern of patterns) {
    for (const w of pattern.raw) words.add(w);
    for (const key of new Set([pattern.raw[0] as string, pattern.stems[0] as string])) {
      const list = byFirst.get(key) ?? [];
      list.push(pattern);
      byFirst.set(key, list);
    }
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.raw.length - a.raw.length);

  function matchAt(tokens: string[], stems: string[], i: number): Pattern | undefined {
    const candidates = [...(byFirst.get(tokens[i] as string) ?? []), ...(byFirst.get(stems[i] as string) ?? [])];
    let best: Pattern | undefined;
    for (const p of candidates) {
      if (best && p.raw.length <= best.raw.length) continue;
      if (i + p.raw.length > tokens.length) continue;
      let ok = true;
      for (let k = 0; k < p.raw.length; k++) {
        const t = tokens[i + k] as string;
        const w = p.raw[k] as string;
        // Platform names match on stems only when one word extends the other
        // ("machines" is "machine"), so "contains" never reads as "containers".
        const stemOk = stems[i + k] === p.stems[k] && (p.entity.kind === 'topic' || t.startsWith(w) || w.startsWith(t));
        if (t !== w && !stemOk) {
          ok = false;
          break;
        }
      }
      if (ok) best = p;
    }
    return best;
  }

  return {
    words,
    annotate(tokens: string[]): GazetteerResult {
      const stems = tokens.map(stem);
      const slotted: string[] = [];
      const platforms: Side[] = [];
      const topics: Topic[] = [];
      const generic: Topic[] = [];
      const matches: Match[] = [];
      let i = 0;
      while (i < tokens.length) {
        const p = matchAt(tokens, stems, i);
        if (p) {
          matches.push({ start: i, end: i + p.raw.length, entity: p.entity, ...(p.generic ? { generic: true as const } : {}) });
          if (p.entity.kind === 'platform') {
            platforms.push(p.entity.value);
            slotted.push(SLOT_PLATFORM);
          } else {
            const list = p.generic ? generic : topics;
            if (!list.includes(p.entity.value)) list.push(p.entity.value);
            slotted.push(SLOT_TOPIC);
          }
          i += p.raw.length;
          continue;
        }
        const t = tokens[i] as string;
        slotted.push(/^\d+(?:[.,]\d+)?[a-z]{0,3}$/.test(t) ? SLOT_NUMBER : t);
        i++;
      }
      for (const t of generic) if (!topics.includes(t)) topics.push(t);
      return { slotted, platforms, topics, matches };
    },
  };
}
