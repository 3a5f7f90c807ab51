/**
 * Negation and scope, one definition for every reader of a message: the
 * classifier marks negated tokens with it, the advisor asks whether a trait's
 * evidence is negated or only past ("we don't need Windows", "no GPUs",
 * "Windows is not needed", "we used to run VMware", "the monolith was switched
 * off"). A negation reaches to the end of its clause and at most a few words;
 * it never crosses "but", "and", "however" or a sentence end.
 *
 * All matching here is linear: fixed word lists, no nested quantifiers.
 */

/** Words and phrases that turn what follows around (normalised: apostrophes dropped). */
export const NEGATOR_WORDS = [
  'no', 'not', 'never', 'without', 'nor', 'neither', 'zero', 'none', 'nothing', 'nobody', 'lack', 'lacks', 'avoid', 'except',
  'dont', 'doesnt', 'didnt', 'wont', 'isnt', 'arent', 'wasnt', 'werent', 'havent', 'hasnt', 'hadnt', 'cant', 'cannot', 'couldnt', 'shouldnt',
  'instead', 'rather', 'formerly', 'longer', 'used',
] as const;

/** Multi-word negators (checked on word boundaries): "instead of", "no longer", "used to". */
const NEGATOR_PHRASES = ['instead of', 'rather than', 'no longer', 'used to', 'not anymore', 'got rid of', 'moved off', 'moved away from', 'migrated off', 'migrated away from'];

/** Words that end a clause: a negation does not reach past them. */
export const CLAUSE_WORDS = new Set(['but', 'and', 'however', 'although', 'though', 'while', 'whereas', 'so', 'because', 'yet']);

/** After the phrase: "X is not needed", "X: none", "X was switched off", "X is gone", "X anymore". */
const AFTER = [
  /^[\s:,-]*(?:is|are|was|were)\s+(?:not|n['’]t)\s+(?:needed|required|necessary|a concern|an issue|relevant|important|used|a factor|in use)\b/i,
  /^[\s:,-]*(?:isn['’]?t|aren['’]?t|wasn['’]?t|weren['’]?t)\s+(?:needed|required|necessary|a concern|an issue|relevant|important|used|a factor|in use)\b/i,
  /^[\s:,-]*(?:none|nope)\b/i,
  /^[\s:,-]*not\b(?!\s+only)/i,
  /^[\s:,-]*(?:is|are|was|were|has been|have been|got|get|gets)\s+(?:switched off|turned off|shut down|decommissioned|retired|gone|removed|replaced|sunset|phased out)\b/i,
  /^[\s:,-]*(?:anymore|any more|no more)\b/i,
];

const NEGATOR_SET = new Set<string>(NEGATOR_WORDS);
const REACH_WORDS = 5;
const REACH_CHARS = 80;

/** Token-level: the indices a negation governs ("not" + up to 4 words, within the clause). */
export function negatedIndices(tokens: string[]): number[] {
  const out = new Set<number>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    // "used" negates only as "used to"; "longer" only as "no longer".
    if (!NEGATOR_SET.has(t) || (t === 'used' && tokens[i + 1] !== 'to') || (t === 'longer' && tokens[i - 1] !== 'no')) continue;
    for (let k = i + 1; k < tokens.length && k <= i + REACH_WORDS - 1; k++) {
      const w = tokens[k] as string;
      if (CLAUSE_WORDS.has(w) || w === '?') break;
      out.add(k);
    }
  }
  return [...out];
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

/** Where the clause holding `index` starts: after the last boundary within REACH_CHARS, at most REACH_WORDS words back. */
function clauseStart(text: string, index: number): number {
  const from = Math.max(0, index - REACH_CHARS);
  let cut = from;
  // Scan words left to right once; remember the last boundary.
  let i = from;
  while (i < index) {
    const c = text[i] as string;
    if ('.;!?\n,()'.includes(c)) {
      cut = i + 1;
      i++;
      continue;
    }
    if (isWordChar(c) && !isWordChar(text[i - 1])) {
      let j = i;
      while (j < index && isWordChar(text[j])) j++;
      if (CLAUSE_WORDS.has(text.slice(i, j).toLowerCase())) cut = j;
      i = j;
      continue;
    }
    i++;
  }
  // At most REACH_WORDS words back from the phrase.
  const starts: number[] = [];
  for (let k = cut; k < index; k++) if (isWordChar(text[k]) && !isWordChar(text[k - 1])) starts.push(k);
  return starts.length > REACH_WORDS ? (starts[starts.length - REACH_WORDS] as number) : cut;
}

/** Words of `s` with their offsets, apostrophes removed ("don't" -> "dont"). */
function wordsOf(s: string): { w: string; at: number }[] {
  const out: { w: string; at: number }[] = [];
  let i = 0;
  while (i < s.length) {
    if (!isWordChar(s[i])) {
      i++;
      continue;
    }
    let j = i;
    let w = '';
    while (j < s.length && (isWordChar(s[j]) || ((s[j] === "'" || s[j] === '’') && isWordChar(s[j + 1])))) {
      if (s[j] !== "'" && s[j] !== '’') w += (s[j] as string).toLowerCase();
      j++;
    }
    out.push({ w, at: i });
    i = j;
  }
  return out;
}

/**
 * When the phrase at [index, end) of `text` is negated or only in the past,
 * the span that says so (negation and phrase together: "no Windows", "GPUs
 * are not needed", "used to run VMware"); otherwise null.
 */
export function negationSpan(text: string, index: number, end: number): { start: number; end: number } | null {
  const start = clauseStart(text, index);
  const before = wordsOf(text.slice(start, index));
  let last: number | null = null;
  for (let k = 0; k < before.length; k++) {
    const { w, at } = before[k] as { w: string; at: number };
    const next = before[k + 1]?.w;
    const prev = before[k - 1]?.w;
    if (NEGATOR_SET.has(w) && !(w === 'used' && next !== 'to') && !(w === 'longer' && prev !== 'no')) last = start + at;
  }
  if (last === null) {
    const lower = text.slice(start, index).toLowerCase();
    for (const p of NEGATOR_PHRASES) {
      const at = lower.lastIndexOf(p);
      if (at >= 0 && !isWordChar(lower[at - 1]) && !isWordChar(lower[at + p.length])) last = Math.max(last ?? -1, start + at);
    }
  }
  if (last !== null) return { start: last, end };
  const after = text.slice(end, end + 60);
  const cut = after.search(/[.;!?\n(]/);
  const window = cut === -1 ? after : after.slice(0, cut);
  for (const re of AFTER) {
    const m = re.exec(window);
    if (m) return { start: index, end: end + m[0].length };
  }
  return null;
}
