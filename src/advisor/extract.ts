import { compilePattern, NUM_WORDS, type Catalog } from './catalog.js';

/** A trait found in the user's words, with the exact phrase that evidences it. */
export interface FoundTrait {
  trait: string;
  evidence: string;
}

interface CompiledPattern {
  trait: string;
  re: RegExp;
  min?: number;
  max?: number;
}

/** Words that turn the phrase after them around ("we don't need GPUs", "no Windows"). */
const NEGATOR = /(?<![a-z])(no|not|don['’]?t|doesn['’]?t|didn['’]?t|won['’]?t|isn['’]?t|aren['’]?t|haven['’]?t|hasn['’]?t|hadn['’]?t|never|without|nor|neither|zero|none|nothing|lack|lacks|avoid|instead of|rather than|except)(?![a-z])/i;
/** A negation after the phrase ("GPUs are not needed", "Windows: none"). */
const POST_NOT = /^[\s:,-]*((is|are|was|were)\s+(not|n['’]t)\s+(needed|required|necessary|a concern|an issue|relevant|important|used|a factor)|(isn['’]?t|aren['’]?t)\s+(needed|required|necessary|a concern|an issue|relevant|important|used|a factor)|(not|none|nope)\b(?!\s+only))/i;
/** Clause boundaries: negation does not cross them. */
const BOUNDARY = /[.;!?\n,()]|\b(but|and|however|although|though|while|whereas|so|because)\b/gi;

function parseNumber(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const lower = raw.toLowerCase().replace(/\s+/g, ' ').replace(/-/g, ' ');
  if (/^\d+$/.test(lower)) return Number(lower);
  return NUM_WORDS[lower];
}

/** Where the clause holding `index` starts: after the last boundary, at most five words back. */
function clauseStart(text: string, index: number): number {
  const from = Math.max(0, index - 80);
  const before = text.slice(from, index);
  let cut = 0;
  for (const m of before.matchAll(BOUNDARY)) cut = (m.index ?? 0) + m[0].length;
  const words = [...before.slice(cut).matchAll(/\S+/g)];
  const first = words.length > 5 ? words[words.length - 5] : words[0];
  return from + cut + (first ? (first.index ?? 0) : before.length - cut);
}

function windowAfter(text: string, end: number): string {
  const after = text.slice(end, end + 60);
  const stop = after.search(/[.;!?\n(]|\b(but|however|although|though|while|whereas)\b/i);
  return stop === -1 ? after : after.slice(0, stop);
}

/**
 * When the phrase at [index, end) is negated, the span of text that says so
 * (negation and phrase together, e.g. "no Windows", "GPUs are not needed");
 * otherwise null.
 */
export function negationSpan(text: string, index: number, end: number): { start: number; end: number } | null {
  const start = clauseStart(text, index);
  const window = text.slice(start, index);
  let last: RegExpExecArray | null = null;
  const re = new RegExp(NEGATOR.source, 'gi');
  for (let m = re.exec(window); m; m = re.exec(window)) last = m;
  if (last) return { start: start + last.index, end };
  const post = POST_NOT.exec(windowAfter(text, end));
  if (post) return { start: index, end: end + post[0].length };
  return null;
}

/** Compiles every trait pattern once; the result extracts traits from any text. */
export function createExtractor(catalog: Catalog): (text: string) => FoundTrait[] {
  const compiled: CompiledPattern[] = [];
  for (const trait of catalog.file.traits) {
    for (const p of trait.patterns) {
      if (typeof p === 'string') compiled.push({ trait: trait.id, re: compilePattern(p) });
      else compiled.push({ trait: trait.id, re: compilePattern(p.re), min: p.min, max: p.max });
    }
  }
  return (text: string): FoundTrait[] => {
    const found = new Map<string, { evidence: string; index: number }>();
    const negatedOnly = new Map<string, { evidence: string; index: number }>();
    for (const p of compiled) {
      p.re.lastIndex = 0;
      for (const m of text.matchAll(p.re)) {
        const index = m.index ?? 0;
        const evidence = m[0];
        if (p.min !== undefined || p.max !== undefined) {
          const n = parseNumber(m.groups?.['n']);
          if (n === undefined) continue;
          if (p.min !== undefined && n < p.min) continue;
          if (p.max !== undefined && n > p.max) continue;
        }
        const negation = negationSpan(text, index, index + evidence.length);
        const target = negation ? negatedOnly : found;
        const hit = negation ? { evidence: text.slice(negation.start, negation.end), index: negation.start } : { evidence, index };
        const prior = target.get(p.trait);
        if (!prior || hit.index < prior.index) target.set(p.trait, hit);
      }
    }
    // A negated trait becomes its opposite when the catalogue names one ("no Windows" -> Linux).
    for (const [traitId, hit] of negatedOnly) {
      if (found.has(traitId)) continue;
      const opposite = catalog.trait.get(traitId)?.negated;
      if (opposite && !found.has(opposite)) found.set(opposite, hit);
    }
    return [...found.entries()]
      .sort((a, b) => a[1].index - b[1].index)
      .map(([trait, hit]) => ({ trait, evidence: hit.evidence.trim() }));
  };
}
