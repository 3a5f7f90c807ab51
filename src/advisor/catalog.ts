import { z } from 'zod';
import { KnowledgeError, type KnowledgeProblem } from '../errors.js';
import { SECTION_IDS } from '../knowledge/schema.js';
import { formatPath, readYamlFile } from '../knowledge/yaml.js';
import { KNOWLEDGE_DIR } from '../paths.js';
import { DIMENSIONS } from '../types.js';

/**
 * The advisor's catalogue (knowledge/advisor.yaml): questions, the traits that
 * answer them, and hybrid patterns. Validated with zod; every problem names
 * the file, the path inside it and what is wrong.
 */

const id = z.string().regex(/^[a-z][a-z0-9_]*$/, 'use lower_snake_case ids');
const prose = z.string().trim().min(10, 'write at least a short sentence');
const section = z.enum(SECTION_IDS);
const score = z.number().min(-1).max(1);

export const GATES = ['os', 'vendor', 'isolation', 'live_migration', 'realtime', 'hardware', 'split', 'kubevirt'] as const;
export type Gate = (typeof GATES)[number];
export const TYPED = ['yes', 'no', 'mostly'] as const;

const PatternSchema = z.union([
  z.string().min(2),
  z.strictObject({ re: z.string().min(2), min: z.number().int().nonnegative().optional(), max: z.number().int().positive().optional() }),
]);

const OptionSchema = z.strictObject({
  id,
  label: z.string().min(2).max(75, 'keep button labels under 75 characters'),
  traits: z.array(id).min(1),
  typed: z.array(z.enum(TYPED)).default([]),
  keywords: z.array(z.string().min(2)).default([]),
  /** Traits that rule this option out; it then never keeps a question open. */
  unless: z.array(id).default([]),
});

const QuestionSchema = z.strictObject({
  id,
  text: z.string().min(10).max(300),
  short: z.string().min(3).max(60),
  why: prose,
  section,
  moot_if: z.array(id).default([]),
  options: z.array(OptionSchema).min(2).max(5),
});

const TraitSchema = z.strictObject({
  id,
  name: z.string().min(3),
  question: id.optional(),
  gate: z.enum(GATES).optional(),
  effects: z.partialRecord(z.enum(DIMENSIONS), score),
  component: z.enum(['vm', 'kubernetes']).optional(),
  negated: id.optional(),
  reason: prose,
  section,
  beyond_article: z.boolean().default(false),
  patterns: z.array(PatternSchema).default([]),
});

const HybridPatternSchema = z.strictObject({
  id: z.enum(['split_estate', 'sandboxed_runtime', 'kubevirt']),
  name: z.string().min(3),
  beyond_article: z.boolean(),
  text: prose,
  section,
  next_steps: z.array(prose).min(2),
});

export const AdvisorFileSchema = z.strictObject({
  questions: z.array(QuestionSchema).min(5).max(12, 'the dialog never asks more than 12 questions'),
  traits: z.array(TraitSchema).min(10),
  hybrid_patterns: z.array(HybridPatternSchema).length(3),
  next_steps: z.strictObject({ vm: z.array(prose).min(2), kubernetes: z.array(prose).min(2) }),
  risks: z.strictObject({ vm: z.array(prose).min(1), kubernetes: z.array(prose).min(1), hybrid: z.array(prose).min(1) }),
});

export type AdvisorFile = z.infer<typeof AdvisorFileSchema>;
export type Question = AdvisorFile['questions'][number];
export type QuestionOption = Question['options'][number];
export type Trait = AdvisorFile['traits'][number];
export type HybridPattern = AdvisorFile['hybrid_patterns'][number];
export type HybridPatternId = HybridPattern['id'];

/** The catalogue with lookups built and cross-references checked. */
export interface Catalog {
  file: AdvisorFile;
  questions: Question[];
  question: Map<string, Question>;
  trait: Map<string, Trait>;
  pattern: Map<HybridPatternId, HybridPattern>;
}

export const NUM_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17,
  eighteen: 18, nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, hundred: 100,
  'a dozen': 12, dozen: 12, dozens: 24, hundreds: 200, 'a couple of': 2, 'a couple': 2, 'a few': 3,
  several: 4, 'a handful of': 5,
};
const NUM_SOURCE = `(?<n>\\d+|${Object.keys(NUM_WORDS).sort((a, b) => b.length - a.length).join('|')})`;

/** Expands {num}, turns " ?" into "optional spaces or hyphens" and a space into "spaces or hyphens"; a match never starts inside a decimal ("4.8 app" is not "8 apps"). */
export function compilePattern(source: string): RegExp {
  // A space matches a short run of spaces or hyphens: bounded, so a lookbehind over it costs constant time per position
  // (an unbounded run made a 4,000-space message cost 60-90 ms).
  const expanded = source.replace(/\{num\}/g, NUM_SOURCE).replace(/ \?/g, '[\\s-]{0,4}').replace(/ /g, '[\\s-]{1,4}');
  return new RegExp(`(?<![a-z0-9]|\\d\\.)(?:${expanded})(?![a-z0-9])`, 'gi');
}


/** Checks what zod cannot: references between questions, options, traits and patterns. */
function crossCheck(data: AdvisorFile, problems: (path: string, message: string) => void): void {
  const traitIds = new Map<string, number>();
  data.traits.forEach((t, i) => {
    if (traitIds.has(t.id)) problems(`traits[${i}].id`, `"${t.id}" is defined twice`);
    traitIds.set(t.id, i);
  });
  const questionIds = new Set<string>();
  data.questions.forEach((q, qi) => {
    if (questionIds.has(q.id)) problems(`questions[${qi}].id`, `"${q.id}" is defined twice`);
    questionIds.add(q.id);
    const optionIds = new Set<string>();
    q.options.forEach((o, oi) => {
      if (optionIds.has(o.id)) problems(`questions[${qi}].options[${oi}].id`, `"${o.id}" is used twice in this question`);
      optionIds.add(o.id);
      o.unless.forEach((t, ti) => {
        if (!traitIds.has(t)) problems(`questions[${qi}].options[${oi}].unless[${ti}]`, `no trait "${t}" in traits`);
      });
      o.traits.forEach((t, ti) => {
        const at = traitIds.get(t);
        if (at === undefined) problems(`questions[${qi}].options[${oi}].traits[${ti}]`, `no trait "${t}" in traits`);
        else if (data.traits[at]?.question !== q.id) problems(`traits[${at}].question`, `trait "${t}" answers question "${q.id}" but says "${data.traits[at]?.question ?? '(none)'}"`);
      });
    });
    for (const kind of TYPED) {
      if (q.options.filter((o) => o.typed.includes(kind)).length > 1) problems(`questions[${qi}].options`, `more than one option answers a typed "${kind}"`);
    }
    q.moot_if.forEach((t, ti) => {
      if (!traitIds.has(t)) problems(`questions[${qi}].moot_if[${ti}]`, `no trait "${t}" in traits`);
    });
  });
  data.traits.forEach((t, i) => {
    if (t.question && !questionIds.has(t.question)) problems(`traits[${i}].question`, `no question "${t.question}"`);
    if (t.negated && !traitIds.has(t.negated)) problems(`traits[${i}].negated`, `no trait "${t.negated}" in traits`);
    t.patterns.forEach((p, pi) => {
      const source = typeof p === 'string' ? p : p.re;
      try {
        const re = compilePattern(source);
        if (re.test('')) problems(`traits[${i}].patterns[${pi}]`, 'this pattern matches empty text');
      } catch (err) {
        problems(`traits[${i}].patterns[${pi}]`, `not a valid regular expression (${(err as Error).message})`);
      }
      if (typeof p !== 'string' && !source.includes('{num}')) problems(`traits[${i}].patterns[${pi}].re`, 'min/max need a {num} in the pattern');
    });
  });
}

/** Validates parsed YAML (or any value) as the advisor catalogue. */
export function buildCatalog(raw: unknown, file = 'knowledge/advisor.yaml', lineOf?: (path: PropertyKey[]) => number | undefined): Catalog {
  const problems: KnowledgeProblem[] = [];
  const result = AdvisorFileSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      problems.push({ file, path: formatPath(issue.path), line: lineOf?.(issue.path), message: issue.message });
    }
    throw new KnowledgeError(problems);
  }
  const data = result.data;
  crossCheck(data, (path, message) => problems.push({ file, path, message }));
  if (problems.length > 0) throw new KnowledgeError(problems);
  return catalogOf(data);
}

/**
 * The lookups over a catalogue that `buildCatalog` has already validated
 * (the compiled knowledge holds one, checked when it was built).
 */
export function catalogOf(data: AdvisorFile): Catalog {
  return {
    file: data,
    questions: data.questions,
    question: new Map(data.questions.map((q) => [q.id, q])),
    trait: new Map(data.traits.map((t) => [t.id, t])),
    pattern: new Map(data.hybrid_patterns.map((p) => [p.id, p])),
  };
}

/** Reads and validates knowledge/advisor.yaml; a bad file throws one KnowledgeError naming every problem. */
export function loadCatalog(dir: string = KNOWLEDGE_DIR): Catalog {
  const problems: KnowledgeProblem[] = [];
  const yaml = readYamlFile(dir, 'advisor.yaml', problems);
  if (!yaml) throw new KnowledgeError(problems);
  return buildCatalog(yaml.value, yaml.shown, (path) => yaml.lineOf(path));
}
