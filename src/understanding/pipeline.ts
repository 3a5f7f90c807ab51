/**
 * The one text pipeline. Every reading of a message, the intent and topic
 * models as well as the advisor's trait extraction, starts here:
 *
 *  1. normalise once (Unicode, invisible characters, emoji, slang; platform
 *     markup has already been turned into plain text by the adapter)
 *  2. fix typos in longer words against the known vocabulary
 *  3. find entities: platform and topic names (the lexicon), numbers
 *  4. mark negated words and hedges ("not Kubernetes", "we don't need
 *     Windows", "maybe")
 *  5. compute the named signals (signals.ts)
 */
import type { Side } from '../types.js';
import { stem, type Gazetteer, type GazetteerResult } from './gazetteer.js';
import type { Normalizer } from './normalize.js';
import * as S from './signals.js';
import type { TypoCorrector } from './typo.js';
import { negatedIndices } from './negation.js';

export interface Analysis {
  text: string;
  /** Normalised, typo-fixed word tokens ("?" kept as a token). */
  tokens: string[];
  g: GazetteerResult;
  /** Tokens with entities replaced by slot tokens, courtesy around a real question trimmed. */
  slotted: string[];
  /** Indices into `tokens` that a negation governs. */
  negated: number[];
  /** Words the in-scope training phrasings and the lexicon never use, among the content words. */
  unknown: string[];
  unknownShare: number;
  sentences: number;
  /**
   * The sentence that carries the question, slotted, when the message has more than one sentence:
   * the last one with a question mark, else the last one ("context... context... is upkeep lighter on k8s?").
   */
  focus: string[];
  /** The platform the message is about (the only one named, or the one not negated). */
  platform: Side | null;
  signals: string[];
  /** Subjects next to the comparison that the message names (knowledge/nearby.yaml ids), in file order. */
  nearby: { id: string; standalone: boolean }[];
}

const HEDGES = new Set(['maybe', 'perhaps', 'probably', 'possibly', 'might', 'unsure', 'guess', 'think', 'wondering']);

export interface PipelineParts {
  normalizer: Normalizer;
  typos: TypoCorrector;
  gazetteer: Gazetteer;
  /** Stems of the words the in-scope intents talk about. */
  content: ReadonlySet<string>;
  /** Products the article does not cover, tokenised. */
  foreign: string[][];
  /** Subjects next to the comparison: each with word sets (stemmed) that name it. */
  nearby: { id: string; triggers: string[][]; standalone: boolean }[];
}

export type Analyse = (text: string) => Analysis;

/** Sentences of a message: split after . ! ? and at line breaks and paragraph tags; a question mark stays with its sentence. */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  for (const block of text.split(/\n+|<\/p>|<br\s*\/?>/i)) {
    let start = 0;
    for (let i = 0; i < block.length; i++) {
      const ch = block[i];
      if ((ch === '.' || ch === '!' || ch === '?') && (i + 1 === block.length || block[i + 1] === ' ')) {
        out.push(block.slice(start, i + 1));
        start = i + 1;
      }
    }
    out.push(block.slice(start));
  }
  return out.filter((s) => /\p{L}/u.test(s));
}

export function createPipeline(parts: PipelineParts): Analyse {
  const { normalizer, typos, gazetteer, content } = parts;
  const namesForeign = (tokens: string[]): boolean =>
    parts.foreign.some((f) => f.length > 0 && tokens.some((_, i) => f.every((w, k) => tokens[i + k] === w)));
  const isUnknown = (w: string): boolean => !w.startsWith('zz') && !S.FUNCTION_WORDS.has(w) && !S.STOP.has(w) && !content.has(stem(w));

  return (input: string): Analysis => {
    const text = typeof input === 'string' ? input : '';
    const tokens = S.dropAddress(normalizer.tokens(text)).map((w) => typos.correct(w));
    const g = S.preferNamedTopic(tokens, S.containerOrchestration(tokens, gazetteer.annotate(tokens)));
    const core = S.trimCourtesy(g.slotted);
    const slotted = core.length > 0 ? core : g.slotted;
    const contentTokens = tokens.filter((w) => !S.FUNCTION_WORDS.has(w) && !/^\d/.test(w) && w !== '?');
    const unknown = contentTokens.filter((w) => !content.has(stem(w)));
    const unknownShare = contentTokens.length === 0 ? 0 : unknown.length / contentTokens.length;
    const sentenceTexts = splitSentences(text);
    const sentences = Math.max(1, sentenceTexts.length);
    let focus: string[] = [];
    if (sentenceTexts.length > 1) {
      const asked = [...sentenceTexts].reverse().find((s) => s.includes("?")) ?? (sentenceTexts[sentenceTexts.length - 1] as string);
      const ft = S.dropAddress(normalizer.tokens(asked)).map((w) => typos.correct(w));
      focus = gazetteer.annotate(ft).slotted;
    }
    const negated = negatedIndices(tokens);
    const platformsNamed = new Set(g.platforms);

    const signals: string[] = [];
    const sig = (name: string, on: boolean): void => {
      if (on) signals.push(name);
    };
    const hasEntity = g.matches.length > 0;
    const choosing = S.choosingCue(g.slotted);
    sig('choosing', choosing);
    sig('first_person', tokens.some((t) => S.FIRST_PERSON.has(t)));
    sig('deciding_word', tokens.some((t) => S.DECIDING.has(t)));
    sig('generality', tokens.some((t) => S.GENERALITY.has(t)));
    sig('compare_word', tokens.some((t) => S.COMPARE_WORDS.has(t) && t !== 'than'));
    sig('overall_word', S.hasTopicFreeCompareWord(tokens));
    sig('than_platform', g.slotted.some((t, i) => t === 'than' && g.slotted.slice(i + 1, i + 4).includes('zzplatform')));
    sig('ops_word', tokens.some((t) => S.OPS_WORDS.has(t)));
    sig('fault_word', tokens.some((t, i) => S.FAULT_WORDS.has(t) && !(t === 'stuck' && tokens[i + 1] === 'with')));
    sig('k8s_object', tokens.some((t) => S.K8S_OBJECTS.has(t)));
    sig('sizing', S.asksSizing(tokens));
    sig('history', S.asksHistory(tokens));
    sig('errand', S.asksErrand(tokens));
    sig('instance_type', S.namesInstanceType(tokens));
    sig('how_to_operate', S.asksHowToOperate(tokens));
    sig('how_to', S.asksHowTo(tokens));
    const namesProduct = g.matches.some((m) => m.entity.kind === 'platform' && S.PRODUCTS.has(tokens.slice(m.start, m.end).join(' ')));
    sig('product', namesProduct);
    sig('product_terms', tokens.some((t) => S.PRODUCT_TERMS.has(t)));
    sig('foreign_product', namesForeign(tokens));
    sig('same_side_compare', platformsNamed.size === 1 && S.comparesSameSide(tokens, g));
    sig('compares_unknown', platformsNamed.size === 1 && S.comparesWithUnknown(g.slotted, isUnknown));
    sig('compares_other_things', platformsNamed.size === 0 && S.comparesOtherThings(g.slotted, isUnknown));
    sig('unknown_product', S.asksAboutUnknownProduct(g.slotted, isUnknown));
    const social = S.socialOpening(tokens);
    if (social) signals.push(`opens_${social}`);
    sig('asks', tokens.some((t) => S.ASKING.has(t)));
    sig('no_entity', !hasEntity);
    sig('ambiguous_platform_only', hasEntity && g.topics.length === 0 && g.matches.every((m) => m.entity.kind === 'platform' && S.AMBIGUOUS_PLATFORM_WORDS.has(tokens.slice(m.start, m.end).join(' '))));
    sig('negated_platform', g.matches.some((m) => m.entity.kind === 'platform' && negated.includes(m.start)));
    sig('hedge', tokens.some((t) => HEDGES.has(t)) || tokens.join(' ').includes('not sure'));
    const numbers = tokens.filter((t) => /^\d/.test(t)).length;
    sig('numbers', numbers > 0);
    sig('many_numbers', numbers > 2);

    const stems = new Set(tokens.map(stem));
    const nearby = parts.nearby.filter((n) => n.triggers.some((set) => set.every((w) => stems.has(w)))).map((n) => ({ id: n.id, standalone: n.standalone }));
    const platform = S.pickPlatform(tokens, g);
    return { text, tokens, g, slotted, negated, unknown, unknownShare, sentences, focus, nearby, platform, signals };
  };
}
