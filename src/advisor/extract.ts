import { cleanText } from '../understanding/normalize.js';
import { negationSpan } from '../understanding/negation.js';
import { findSurges } from '../understanding/quantities.js';
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

function parseNumber(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const lower = raw.toLowerCase().replace(/\s+/g, ' ').replace(/-/g, ' ');
  if (/^\d+$/.test(lower)) return Number(lower);
  return NUM_WORDS[lower];
}

/** The trait for an estate whose parts belong on different platforms. */
const SPLIT = 'mixed_estate';
const MAX_SPLIT_EVIDENCE = 240;
const VM_GATES = new Set(['os', 'vendor', 'hardware', 'realtime', 'live_migration']);
/** Traits that pull a part of the estate towards Kubernetes on their own. */
const KUBERNETES_PULLS = new Set(['spiky_traffic', 'batch_jobs', 'frequent_releases', 'fast_startup']);

function isVmBound(catalog: Catalog, id: string): boolean {
  const t = catalog.trait.get(id);
  return t !== undefined && (t.component === 'vm' || (t.gate !== undefined && VM_GATES.has(t.gate)));
}

function pullsToKubernetes(catalog: Catalog, id: string): boolean {
  const t = catalog.trait.get(id);
  return t !== undefined && (t.component === 'kubernetes' || KUBERNETES_PULLS.has(id));
}

/** Which sentence an offset falls in (sentences end at . ! ? or a line break followed by a space or the end). */
function sentenceIndex(text: string): (offset: number) => number {
  const ends: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n' || ((c === '.' || c === '!' || c === '?' || c === ';') && (i + 1 === text.length || /\s/.test(text[i + 1] as string)))) ends.push(i);
  }
  return (offset) => {
    let n = 0;
    while (n < ends.length && (ends[n] as number) < offset) n++;
    return n;
  };
}

/** A surge of this many times or more is spiky traffic, however it is worded. */
const SURGE = 4;
const SPIKY = 'spiky_traffic';

/** Compiles every trait pattern once; the result extracts traits from any text. */
export function createExtractor(catalog: Catalog): (text: string) => FoundTrait[] {
  const compiled: CompiledPattern[] = [];
  for (const trait of catalog.file.traits) {
    for (const p of trait.patterns) {
      if (typeof p === 'string') compiled.push({ trait: trait.id, re: compilePattern(p) });
      else compiled.push({ trait: trait.id, re: compilePattern(p.re), min: p.min, max: p.max });
    }
  }
  return (input: string): FoundTrait[] => {
    // The same first stage every reading of a message goes through: Unicode, invisible characters, markup, entities.
    const text = cleanText(input);
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
    // Load that jumps several times over is spiky traffic, in whatever words ("from 200 to 50,000 requests").
    if (!found.has(SPIKY) && catalog.trait.has(SPIKY)) {
      for (const s of findSurges(text, SURGE)) {
        const negation = negationSpan(text, s.index, s.index + s.evidence.length);
        if (negation) continue;
        found.set(SPIKY, { evidence: s.evidence, index: s.index });
        break;
      }
    }
    // Two parts of one estate described apart: a part bound to VMs in one sentence, a part that pulls towards
    // Kubernetes in another ("SCADA runs on Windows Server 2008. The outage map goes from 500 to 40,000 requests").
    if (!found.has(SPLIT) && catalog.trait.has(SPLIT)) {
      const sentenceOf = sentenceIndex(text);
      const vmSide = [...found].filter(([id]) => isVmBound(catalog, id));
      const k8sSide = [...found].filter(([id]) => pullsToKubernetes(catalog, id));
      const pair = vmSide.flatMap((v) => k8sSide.map((k) => [v, k] as const)).find(([v, k]) => sentenceOf(v[1].index) !== sentenceOf(k[1].index));
      if (pair) {
        const [[, v], [, k]] = pair;
        const [first, second] = v.index < k.index ? [v, k] : [k, v];
        // The evidence is the stretch of text from one part to the other when it is short, else the second part.
        const end = text.indexOf(second.evidence, second.index) + second.evidence.length;
        // (Quoted as the person wrote it: a stretch that markup removal changed falls back to the second part.)
        const stretch = text.slice(first.index, end);
        const span = end - first.index <= MAX_SPLIT_EVIDENCE && input.includes(stretch) ? stretch : second.evidence;
        found.set(SPLIT, { evidence: span, index: first.index });
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
