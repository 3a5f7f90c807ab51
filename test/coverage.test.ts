/**
 * Proves the knowledge base covers the article: every dimension, benefit,
 * advantage and conclusion point is there, every citation resolves, content
 * beyond the article is labelled, and no run of the article's own wording
 * was pasted in.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { z } from 'zod';
import { KNOWLEDGE_DIR, PROJECT_ROOT } from '../src/paths.js';
import {
  ArticleSchema,
  DimensionsFileSchema,
  GuidanceFileSchema,
  PlatformsFileSchema,
  SECTION_IDS,
  TopicsFileSchema,
  type TopicEntry,
} from '../src/knowledge/schema.js';
import { DIMENSIONS, TOPICS, type Dimension, type Side } from '../src/types.js';

const ARTICLE_TEXT = join(PROJECT_ROOT, '..', 'shared', 'seed', 'article.txt');

function read<S extends z.ZodType>(file: string, schema: S): z.infer<S> {
  return schema.parse(parse(readFileSync(join(KNOWLEDGE_DIR, file), 'utf8')));
}

const article = read('article.yaml', ArticleSchema);
const dimensions = read('dimensions.yaml', DimensionsFileSchema).dimensions;
const extraTopics = read('topics.yaml', TopicsFileSchema).topics;
const platforms = read('platforms.yaml', PlatformsFileSchema);
const guidance = read('guidance.yaml', GuidanceFileSchema);
const allTopics: TopicEntry[] = [...dimensions, ...extraTopics];

/** Which side the article's comparison favours on each dimension. */
const ARTICLE_VERDICT: Record<Dimension, Side> = {
  resource_efficiency: 'kubernetes',
  isolation: 'vm',
  portability: 'kubernetes',
  orchestration: 'kubernetes',
  deployment_speed: 'kubernetes',
  maintenance: 'kubernetes',
  scaling: 'kubernetes',
  security: 'vm',
};

const comparisonSection = (d: Dimension): string => `comparison-${d.replace(/_/g, '-')}`;

/** Every string in a value, with a flag saying whether it sits in content marked beyond the article. */
function strings(value: unknown, beyond = false): { text: string; beyond: boolean }[] {
  if (typeof value === 'string') return [{ text: value, beyond }];
  if (Array.isArray(value)) return value.flatMap((v) => strings(v, beyond));
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const marked = beyond || obj.beyond_article === true;
    return Object.entries(obj).flatMap(([k, v]) => strings(v, marked || k === 'beyond'));
  }
  return [];
}

/** Every `section` value cited anywhere in a value. */
function citedSections(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(citedSections);
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      k === 'section' && typeof v === 'string' ? [v] : citedSections(v),
    );
  }
  return [];
}

describe('the article record', () => {
  it('names the title and the publisher', () => {
    expect(article.title).toBe('Kubernetes vs. Virtual Machines: The Evolution of Infrastructure');
    expect(article.publisher).toMatch(/\bABS\b/);
    expect(article.publisher).toMatch(/Certified Kubernetes Service Provider/);
    expect(article.publisher).toMatch(/India/);
  });

  it('lists every section id once, in article order, each with a title and summary', () => {
    expect(article.sections.map((s) => s.id)).toEqual([...SECTION_IDS]);
    for (const s of article.sections) {
      expect(s.title.length, s.id).toBeGreaterThan(0);
      expect(s.summary.split(/\s+/).length, s.id).toBeGreaterThanOrEqual(8);
    }
  });

  it('every section cited anywhere in the knowledge base exists in article.yaml', () => {
    const known = new Set(article.sections.map((s) => s.id));
    const cited = citedSections([dimensions, extraTopics, platforms, guidance]);
    expect(cited.length).toBeGreaterThan(30);
    expect(cited.filter((s) => !known.has(s as (typeof SECTION_IDS)[number]))).toEqual([]);
  });
});

describe('the eight dimensions', () => {
  it('are all present, in the article order', () => {
    expect(dimensions.map((d) => d.id)).toEqual([...DIMENSIONS]);
  });

  it.each(DIMENSIONS.map((d) => [d]))('%s states both sides, the article verdict and its section', (id) => {
    const d = dimensions.find((x) => x.id === id);
    expect(d).toBeDefined();
    if (!d) return;
    expect(d.kubernetes.length).toBeGreaterThan(20);
    expect(d.vm.length).toBeGreaterThan(20);
    expect(d.kubernetes).not.toBe(d.vm);
    expect(d.favours).toBe(ARTICLE_VERDICT[id]);
    expect(d.reasoning.length).toBeGreaterThan(20);
    expect(d.section).toBe(comparisonSection(id));
  });
});

describe('the extra topics', () => {
  it('cover compatibility, snapshots and developer experience from the benefit and advantage lists', () => {
    const byId = new Map(extraTopics.map((t) => [t.id, t]));
    expect([...byId.keys()].sort()).toEqual(['compatibility', 'developer_experience', 'snapshots']);
    expect(byId.get('compatibility')?.section).toBe('vm-benefits');
    expect(byId.get('compatibility')?.favours).toBe('vm');
    expect(byId.get('snapshots')?.section).toBe('vm-benefits');
    expect(byId.get('snapshots')?.favours).toBe('vm');
    expect(byId.get('developer_experience')?.section).toBe('kubernetes-advantages');
    expect(byId.get('developer_experience')?.favours).toBe('kubernetes');
  });

  it('together with the dimensions, cover every topic exactly once', () => {
    expect(allTopics.map((t) => t.id).sort()).toEqual([...TOPICS].sort());
  });

  it.each(allTopics.map((t) => [t.id, t] as const))('%s suggests 2-3 other distinct topics', (id, t) => {
    expect(t.related.length).toBeGreaterThanOrEqual(2);
    expect(t.related.length).toBeLessThanOrEqual(3);
    expect(t.related).not.toContain(id);
    expect(new Set(t.related).size).toBe(t.related.length);
  });
});

describe('the platforms', () => {
  const VM_BENEFITS: [string, RegExp][] = [
    ['isolation', /isolation/i],
    ['compatibility', /compatib/i],
    ['snapshot_migration', /snapshot.*migration/i],
    ['security', /security/i],
  ];
  const K8S_ADVANTAGES: [string, RegExp][] = [
    ['lightweight', /lightweight/i],
    ['portability', /portab/i],
    ['orchestration', /orchestrat/i],
    ['scalability', /scalab/i],
    ['resource_utilization', /resource utili[sz]ation/i],
    ['developer_friendly', /developer.friendly/i],
  ];

  it.each(VM_BENEFITS)('the VM benefit %s is present and linked to a dimension', (id, name) => {
    const p = platforms.vm.points.find((x) => x.id === id);
    expect(p, id).toBeDefined();
    expect(p?.name).toMatch(name);
    expect(p?.dimensions.length).toBeGreaterThanOrEqual(1);
    expect(p?.section).toBe('vm-benefits');
  });

  it.each(K8S_ADVANTAGES)('the Kubernetes advantage %s is present and linked to a dimension', (id, name) => {
    const p = platforms.kubernetes.points.find((x) => x.id === id);
    expect(p, id).toBeDefined();
    expect(p?.name).toMatch(name);
    expect(p?.dimensions.length).toBeGreaterThanOrEqual(1);
    expect(p?.section).toBe('kubernetes-advantages');
  });

  it('has exactly the four benefits and six advantages the article lists', () => {
    expect(platforms.vm.points.map((p) => p.id)).toEqual(VM_BENEFITS.map(([id]) => id));
    expect(platforms.kubernetes.points.map((p) => p.id)).toEqual(K8S_ADVANTAGES.map(([id]) => id));
  });

  it('links the benefits that became topics to those topics', () => {
    const topicsOf = (side: 'vm' | 'kubernetes', id: string) => platforms[side].points.find((p) => p.id === id)?.topics;
    expect(topicsOf('vm', 'compatibility')).toContain('compatibility');
    expect(topicsOf('vm', 'snapshot_migration')).toContain('snapshots');
    expect(topicsOf('kubernetes', 'developer_friendly')).toContain('developer_experience');
  });

  it.each(['vm', 'kubernetes'] as const)('%s lists a downside for every dimension the comparison gives to the other side', (side) => {
    const lost = DIMENSIONS.filter((d) => ARTICLE_VERDICT[d] !== side);
    const downsides = platforms[side].downsides;
    expect(downsides.map((x) => x.dimension).sort()).toEqual([...lost].sort());
    for (const x of downsides) expect(x.section, x.dimension).toBe(comparisonSection(x.dimension));
  });

  it('describes what each platform is, citing the sections that introduce them', () => {
    expect(platforms.vm.what).toMatch(/hypervisor/i);
    expect(platforms.vm.what).toMatch(/operating system/i);
    expect(platforms.kubernetes.what).toMatch(/container/i);
  });
});

describe('the conclusion', () => {
  const cases: [keyof typeof guidance, string, RegExp][] = [
    ['when_vm', 'strong_isolation', /apart|isolat|boundary/i],
    ['when_vm', 'legacy_apps', /legacy/i],
    ['when_kubernetes', 'resource_efficiency', /hardware|efficien|waste/i],
    ['when_kubernetes', 'rapid_deployment', /quick|fast|rapid/i],
    ['when_kubernetes', 'scalability', /grow|shrink|scal/i],
    ['when_kubernetes', 'agility', /agil/i],
    ['balance', 'not_a_replacement', /obsolete|replac/i],
    ['balance', 'align_with_goals', /organisation|goal/i],
    ['balance', 'both_have_a_role', /both/i],
  ];

  it.each(cases)('%s includes %s, cited to the conclusion', (list, id, text) => {
    const entries = guidance[list] as { id: string; text: string; section?: string }[];
    const p = entries.find((x) => x.id === id);
    expect(p, `${list}.${id}`).toBeDefined();
    expect(p?.text).toMatch(text);
    expect(p?.section).toBe('conclusion');
  });

  it('names the hybrid patterns, marking the ones beyond the article', () => {
    const byId = new Map(guidance.hybrid_patterns.map((p) => [p.id, p]));
    expect(byId.get('split_estate')?.text).toMatch(/legacy/i);
    expect(byId.get('sandboxed_runtimes')?.beyond_article).toBe(true);
    expect(byId.get('sandboxed_runtimes')?.text).toMatch(/Kata Containers/);
    expect(byId.get('sandboxed_runtimes')?.text).toMatch(/gVisor/);
    expect(byId.get('sandboxed_runtimes')?.text).toMatch(/Firecracker/);
    expect(byId.get('kubevirt')?.beyond_article).toBe(true);
  });
});

describe('content beyond the article', () => {
  const everything = strings([article, dimensions, extraTopics, platforms, guidance]);

  it('is labelled as such on every line', () => {
    const beyondTopicLines = allTopics.flatMap((t) => t.beyond);
    expect(beyondTopicLines.length).toBeGreaterThanOrEqual(8);
    for (const line of beyondTopicLines) expect(line).toMatch(/^Beyond the article: /);
    for (const p of guidance.hybrid_patterns.filter((x) => x.beyond_article)) {
      expect(p.text, p.id).toMatch(/^Beyond the article: /);
    }
  });

  it('never appears in content presented as the article view', () => {
    const outside = /kubevirt|kata|gvisor|firecracker|velero|vmotion|karpenter|keda|terraform|ansible|cgroups|namespaces|rbac|networkpolic|pod security standard|runtimeclass|\boci\b/i;
    const leaks = everything.filter((s) => !s.beyond && outside.test(s.text)).map((s) => s.text);
    expect(leaks).toEqual([]);
    expect(everything.filter((s) => s.beyond && outside.test(s.text)).length).toBeGreaterThan(5);
  });

  it('stays out of the summaries, sides and reasoning of every topic', () => {
    for (const t of allTopics) {
      for (const field of [t.summary, t.kubernetes, t.vm, t.reasoning]) {
        expect(field, t.id).not.toMatch(/beyond the article/i);
      }
    }
  });
});

/** Lower-cased words with punctuation removed (apostrophes dropped, other marks split words). */
function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/['\u2018\u2019]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((w) => w.length > 0);
}

const RUN = 8;

function runs(ws: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + RUN <= ws.length; i++) out.push(ws.slice(i, i + RUN).join(' '));
  return out;
}

describe('wording', () => {
  it('the run finder spots a pasted sentence and ignores a restated one', () => {
    const source = new Set(runs(words('Containers are consistent across different environments, from development to production.')));
    expect(runs(words('notes: "containers are consistent across different environments, from development to"')).some((r) => source.has(r))).toBe(true);
    expect(runs(words('An image behaves the same on a laptop as it does in production.')).some((r) => source.has(r))).toBe(false);
  });

  it(`no run of ${RUN} consecutive article words appears in any knowledge/*.yaml file`, (ctx) => {
    ctx.skip(!existsSync(ARTICLE_TEXT), `the article text is not at ${ARTICLE_TEXT}, so there is nothing to compare against`);
    const source = new Set(runs(words(readFileSync(ARTICLE_TEXT, 'utf8'))));
    expect(source.size).toBeGreaterThan(500);
    const files = readdirSync(KNOWLEDGE_DIR).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(expect.arrayContaining(['article.yaml', 'dimensions.yaml', 'topics.yaml', 'platforms.yaml', 'guidance.yaml']));
    const pasted: string[] = [];
    for (const f of files) {
      let text = readFileSync(join(KNOWLEDGE_DIR, f), 'utf8');
      // The article's title is a name we cite, not prose we restate.
      if (f === 'article.yaml') {
        expect(text).toContain(article.title);
        text = text.replace(article.title, ' ');
      }
      for (const r of runs(words(text))) if (source.has(r)) pasted.push(`${f}: "${r}"`);
    }
    expect(pasted).toEqual([]);
  });
});
