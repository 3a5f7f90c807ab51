import { z } from 'zod';
import { DIMENSIONS, INTENTS, SIDES, TOPICS } from '../types.js';

/**
 * The knowledge base: the article restated in vmk's own words, each claim
 * citing the article section it comes from. Anything that goes beyond the
 * article carries `beyond_article: true` and is labelled so wherever it shows.
 */

export const SECTION_IDS = [
  'introduction',
  'rise-of-vms',
  'vm-benefits',
  'emergence-of-kubernetes',
  'kubernetes-advantages',
  'comparison-resource-efficiency',
  'comparison-isolation',
  'comparison-portability',
  'comparison-orchestration',
  'comparison-deployment-speed',
  'comparison-maintenance',
  'comparison-scaling',
  'comparison-security',
  'conclusion',
] as const;

const id = z.string().regex(/^[a-z][a-z0-9_]*$/, 'use lower_snake_case ids');
const prose = z.string().trim().min(10, 'write at least a short sentence');
const section = z.enum(SECTION_IDS);

export const ArticleSchema = z.strictObject({
  title: z.string().min(1),
  publisher: z.string().min(1),
  sections: z.array(z.strictObject({ id: section, title: z.string().min(1), summary: prose })).min(1),
});

/** A comparison subject: the eight dimensions and the three extra topics. */
export const TopicSchema = z.strictObject({
  id: z.enum(TOPICS),
  name: z.string().min(1),
  /** One sentence: the gist of the article's view. */
  summary: prose,
  kubernetes: prose,
  vm: prose,
  favours: z.enum([...SIDES, 'depends']),
  /** Why the favoured side wins, in the article's reasoning. */
  reasoning: prose,
  section,
  /** Topics worth suggesting next. */
  related: z.array(z.enum(TOPICS)).min(2),
  /** Context that goes beyond the article (KubeVirt, Kata Containers, ...). */
  beyond: z.array(prose).default([]),
});

export const DimensionsFileSchema = z.strictObject({
  dimensions: z.array(TopicSchema).length(DIMENSIONS.length),
});
export const TopicsFileSchema = z.strictObject({
  topics: z.array(TopicSchema),
});

const Point = z.strictObject({
  id,
  name: z.string().min(1),
  claim: prose,
  dimensions: z.array(z.enum(DIMENSIONS)).min(1),
  topics: z.array(z.enum(TOPICS)).default([]),
  section,
});

export const PlatformSchema = z.strictObject({
  id: z.enum(SIDES),
  name: z.string().min(1),
  what: prose,
  points: z.array(Point).min(1),
  downsides: z.array(z.strictObject({ text: prose, dimension: z.enum(DIMENSIONS), section })).min(1),
});
export const PlatformsFileSchema = z.strictObject({
  vm: PlatformSchema.extend({ id: z.literal('vm') }),
  kubernetes: PlatformSchema.extend({ id: z.literal('kubernetes') }),
});

const GuidancePoint = z.strictObject({ id, text: prose, dimensions: z.array(z.enum(DIMENSIONS)).default([]), section });
export const GuidanceFileSchema = z.strictObject({
  when_vm: z.array(GuidancePoint).min(1),
  when_kubernetes: z.array(GuidancePoint).min(1),
  balance: z.array(GuidancePoint).min(1),
  /** Patterns beyond the article (split estate, sandboxed runtimes, KubeVirt). */
  hybrid_patterns: z.array(z.strictObject({ id, name: z.string().min(1), text: prose, beyond_article: z.boolean() })).min(1),
});

/** Subjects next to the comparison (Docker, KubeVirt, cost...): what the article covers of them, and what lies beyond it. */
export const NearbyFileSchema = z.strictObject({
  subjects: z
    .array(
      z.strictObject({
        id,
        name: z.string().min(1),
        /** Each entry: words that must all appear in a message (any order, compared by stem). */
        triggers: z.array(z.array(z.string().min(1)).min(1)).min(1),
        /** The subject alone makes a message about our domain ("what is kubevirt"), even with no platform named. */
        standalone: z.boolean().default(false),
        /** What the article covers of the subject, and what it does not, in our own words. */
        covers: prose,
        /** Topics whose content the answer draws on (cited by their sections). */
        draws_on: z.array(z.enum(TOPICS)).min(1),
        beyond: z.array(prose.regex(/^Beyond the article:/, 'start with "Beyond the article:"')).min(1),
      }),
    )
    .min(1),
});
export type NearbyFile = z.infer<typeof NearbyFileSchema>;

export const LexiconFileSchema = z.strictObject({
  /** Surface forms that name a platform (lower case; multi-word allowed). */
  platforms: z.strictObject({ kubernetes: z.array(z.string().min(1)).min(5), vm: z.array(z.string().min(1)).min(5) }),
  /** Surface forms for every topic. */
  topics: z.record(z.enum(TOPICS), z.array(z.string().min(1)).min(3)),
  /** Generic wording that names a topic only when nothing names another topic more specifically ("how fast", "upgrade"). */
  generic: z.partialRecord(z.enum(TOPICS), z.array(z.string().min(1))).default({}),
  /** Products the article does not cover (Nomad, Lambda, Podman...): a question about one is out of scope. */
  foreign: z.array(z.string().min(1)).default([]),
  /** Slang and abbreviations expanded before classification (k8s -> kubernetes, pls -> please). */
  slang: z.record(z.string().min(1), z.string()),
});

export const IntentFileSchema = z.strictObject({
  id: z.enum(INTENTS),
  description: prose,
  /** Shown by help: what to type to get this. */
  usage: z.array(z.string().min(1)).default([]),
  examples: z.array(z.string().min(2)).min(40, 'write at least 40 varied phrasings per intent'),
});

export type Article = z.infer<typeof ArticleSchema>;
export type TopicEntry = z.infer<typeof TopicSchema>;
export type PlatformEntry = z.infer<typeof PlatformSchema>;
export type Guidance = z.infer<typeof GuidanceFileSchema>;
export type Lexicon = z.infer<typeof LexiconFileSchema>;
export type IntentFile = z.infer<typeof IntentFileSchema>;
export type SectionId = (typeof SECTION_IDS)[number];

export interface Knowledge {
  article: Article;
  /** All eleven topics, by id (the eight dimensions first, in article order). */
  topics: Map<TopicEntry['id'], TopicEntry>;
  platforms: { vm: PlatformEntry; kubernetes: PlatformEntry };
  guidance: Guidance;
  lexicon: Lexicon;
  intents: IntentFile[];
  /** Subjects next to the comparison (knowledge/nearby.yaml). */
  nearby: NearbyFile['subjects'];
}
