/**
 * Typo correction with a delete-1 index (symmetric delete): every vocabulary
 * word is indexed under itself and each form with one letter removed. A typed
 * word is looked up the same way, which finds words one insertion, deletion,
 * substitution or adjacent swap away in a handful of map lookups.
 *
 * Only words of MIN_LENGTH or more letters are corrected: short words are too
 * easy to turn into another real word ("vm" -> "vms", "pod" -> "pot").
 */

export const MIN_TYPO_LENGTH = 5;

export interface TypoCorrector {
  /** The vocabulary word a typed word most likely meant, or the word itself. */
  correct(word: string): string;
  has(word: string): boolean;
}

function deletes(word: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < word.length; i++) out.push(word.slice(0, i) + word.slice(i + 1));
  return out;
}

/** Same-length words one substitution or one adjacent swap apart. */
function oneEditApart(a: string, b: string): boolean {
  let first = -1;
  let diffs = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    diffs += 1;
    if (first < 0) first = i;
    if (diffs > 2) return false;
  }
  if (diffs <= 1) return true;
  // Two differences: only an adjacent swap ("teh" / "the").
  return a[first] === b[first + 1] && a[first + 1] === b[first];
}

/** Levenshtein distance, or `max + 1` as soon as it must exceed `max`. */
export function boundedDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    prev = cur;
  }
  return prev[b.length] ?? max + 1;
}

/** Words of this length or more may be two edits away from a long `keywords` entry ("orkestration"). */
export const LONG_TYPO_LENGTH = 8;

/**
 * `frequency` ranks candidates: the more common vocabulary word wins a tie.
 * `keywords` (the entity words) are also matched at two edits for long words.
 */
export function createTypoCorrector(
  frequency: Map<string, number>,
  isKnown: (word: string) => boolean = () => false,
  keywords: Iterable<string> = [],
): TypoCorrector {
  const longKeywords = [...new Set(keywords)].filter((w) => w.length >= LONG_TYPO_LENGTH - 1 && /^[a-z]+$/.test(w));
  const index = new Map<string, string[]>();
  const add = (key: string, word: string): void => {
    const list = index.get(key);
    if (!list) index.set(key, [word]);
    else if (!list.includes(word)) list.push(word);
  };
  for (const word of frequency.keys()) {
    if (word.length < MIN_TYPO_LENGTH - 1 || !/^[a-z]+$/.test(word)) continue;
    add(word, word);
    for (const d of deletes(word)) add(d, word);
  }
  const cache = new Map<string, string>();

  function lookup(word: string): string {
    if (frequency.has(word) || !/^[a-z]+$/.test(word)) return word;
    // Stretched words: "heyyy" -> "hey", "sooo cool" -> "so".
    if (/(.)\1\1/.test(word)) {
      for (const squeezed of [word.replace(/(.)\1{2,}/g, '$1$1'), word.replace(/(.)\1{2,}/g, '$1')]) {
        if (frequency.has(squeezed)) return squeezed;
      }
      const two = word.replace(/(.)\1{2,}/g, '$1$1');
      if (two.length >= MIN_TYPO_LENGTH) return lookup(two);
    }
    if (word.length < MIN_TYPO_LENGTH || isKnown(word)) return word;
    const candidates = new Map<string, number>();
    const consider = (list: string[] | undefined, distance: number): void => {
      if (!list) return;
      for (const w of list) {
        const prev = candidates.get(w);
        if (prev === undefined || distance < prev) candidates.set(w, distance);
      }
    };
    // The typed word lacks a letter (it is a delete of a vocabulary word).
    consider(index.get(word)?.filter((w) => w.length === word.length + 1), 1);
    for (const d of deletes(word)) {
      // One letter too many.
      if (frequency.has(d) && d.length >= MIN_TYPO_LENGTH - 1) consider([d], 1);
      // One letter changed, or two adjacent letters swapped (a shared delete at two different
      // places can be two edits apart: "sucks" is not "stuck").
      consider(index.get(d)?.filter((w) => w.length === word.length && oneEditApart(w, word)), 1);
    }
    let best = word;
    let bestScore = -Infinity;
    for (const [w, dist] of candidates) {
      // People rarely mistype the first letter; "dinner" is not "inner".
      if (w[0] !== word[0] && !(w[0] === word[1] && w[1] === word[0])) continue;
      const score = -dist * 1000 + (frequency.get(w) ?? 0);
      if (score > bestScore || (score === bestScore && w < best)) {
        best = w;
        bestScore = score;
      }
    }
    if (best === word && word.length >= LONG_TYPO_LENGTH) {
      let bestDist = 3;
      for (const k of longKeywords) {
        // Two edits, but not two letters more or fewer ("attached" is not "attack").
        if (k[0] !== word[0] || Math.abs(k.length - word.length) > 1) continue;
        const d = boundedDistance(word, k, 2);
        if (d < bestDist) {
          bestDist = d;
          best = k;
        }
      }
    }
    return best;
  }

  return {
    correct(word: string): string {
      const hit = cache.get(word);
      if (hit !== undefined) return hit;
      const fixed = lookup(word);
      if (cache.size < 50_000) cache.set(word, fixed);
      return fixed;
    },
    has(word: string): boolean {
      return frequency.has(word);
    },
  };
}
