/**
 * A strict parser for the Prometheus text exposition format (version 0.0.4),
 * for tests: it throws, naming the line, on anything the format does not
 * allow, instead of skipping it as lenient scrapers do.
 *
 * Checked: metric and label name syntax; label values quoted with only \\, \"
 * and \n escapes; values as Go's ParseFloat reads them (NaN, +Inf, -Inf in any case);
 * optional integer timestamps; one HELP and one TYPE per family, TYPE before
 * the family's first sample; every family in one contiguous group; no series
 * twice; counters not negative; histograms with an `le` on every bucket,
 * buckets cumulative, a +Inf bucket equal to _count, and _sum and _count
 * present; summaries' quantile labels; a line feed at the end.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`...). */
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface Family {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|0[xX][0-9a-fA-F]+)$/;

export class ExpositionError extends Error {
  constructor(line: number, problem: string, text?: string) {
    super(`line ${line}: ${problem}${text !== undefined ? `: ${JSON.stringify(text.slice(0, 120))}` : ''}`);
    this.name = 'ExpositionError';
  }
}

function parseFloatStrict(s: string, line: number, text: string): number {
  // As Go's strconv.ParseFloat, which Prometheus uses: NaN and Inf/Infinity in any case, Inf signed or not.
  if (/^nan$/i.test(s)) return Number.NaN;
  if (/^\+?inf(inity)?$/i.test(s)) return Number.POSITIVE_INFINITY;
  if (/^-inf(inity)?$/i.test(s)) return Number.NEGATIVE_INFINITY;
  if (!FLOAT.test(s)) throw new ExpositionError(line, `"${s}" is not a number`, text);
  return Number(s);
}

function unescapeHelp(s: string, line: number, text: string): string {
  return s.replace(/\\(.?)/g, (_m, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    throw new ExpositionError(line, `invalid escape "\\${c}" in HELP`, text);
  });
}

/** Reads `{a="1",b="2"}` starting at `i` (the `{`); returns the labels and the index after `}`. */
function parseLabels(text: string, start: number, line: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  const fail = (problem: string): never => {
    throw new ExpositionError(line, problem, text);
  };
  for (;;) {
    if (text[i] === '}') return { labels, end: i + 1 };
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!nameMatch) fail('expected a label name');
    const name = nameMatch![0];
    i += name.length;
    if (text[i] !== '=') fail(`expected = after label ${name}`);
    i += 1;
    if (text[i] !== '"') fail(`label ${name}'s value must be in double quotes`);
    i += 1;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) fail(`label ${name}'s value is not closed`);
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i + 1];
        if (e === '\\') value += '\\';
        else if (e === '"') value += '"';
        else if (e === 'n') value += '\n';
        else fail(`invalid escape "\\${e ?? ''}" in label ${name}`);
        i += 2;
        continue;
      }
      value += c;
      i += 1;
    }
    i += 1; // closing quote
    if (Object.hasOwn(labels, name)) fail(`label ${name} appears twice`);
    labels[name] = value;
    if (text[i] === ',') {
      i += 1;
      continue;
    }
    if (text[i] !== '}') fail('expected , or } after a label');
  }
}

/** The family a sample name belongs to, given the families declared so far. */
function familyOf(sample: string, types: Map<string, MetricType>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue;
    const base = sample.slice(0, -suffix.length);
    const t = types.get(base);
    if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
  }
  return sample;
}

function seriesKey(name: string, labels: Record<string, string>): string {
  return `${name}{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(',')}}`;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = seriesKey('', rest);
    const g = groups.get(key) ?? { buckets: [] };
    groups.set(key, g);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`histogram ${f.name}: a bucket without an le label`);
      g.buckets.push([parseFloatStrict(le, 0, le), s.value]);
    } else if (le !== undefined) {
      throw new Error(`histogram ${f.name}: ${s.name} must not carry an le label`);
    } else if (s.name === `${f.name}_sum`) g.sum = s.value;
    else if (s.name === `${f.name}_count`) g.count = s.value;
    else throw new Error(`histogram ${f.name}: unexpected sample ${s.name}`);
  }
  for (const [key, g] of groups) {
    const where = `histogram ${f.name}${key === '{}' ? '' : key}`;
    if (g.sum === undefined || g.count === undefined) throw new Error(`${where}: _sum and _count are required`);
    const sorted = [...g.buckets].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]![1] < sorted[i - 1]![1]) throw new Error(`${where}: buckets are not cumulative at le=${sorted[i]![0]}`);
    }
    const inf = sorted.at(-1);
    if (!inf || inf[0] !== Number.POSITIVE_INFINITY) throw new Error(`${where}: no le="+Inf" bucket`);
    if (inf[1] !== g.count) throw new Error(`${where}: the +Inf bucket (${inf[1]}) differs from _count (${g.count})`);
  }
}

/** Parses a whole exposition; throws ExpositionError (or Error for a family-level problem) on anything malformed. */
export function parseExposition(body: string): Map<string, Family> {
  if (body.length > 0 && !body.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const families = new Map<string, Family>();
  const types = new Map<string, MetricType>();
  const helps = new Set<string>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | undefined;
  const lines = body.split('\n');
  lines.pop(); // after the final line feed

  const family = (name: string, lineNo: number, text: string): Family => {
    if (current !== name) {
      if (closed.has(name)) throw new ExpositionError(lineNo, `metric ${name} is not in one contiguous group`, text);
      if (current !== undefined) closed.add(current);
      current = name;
    }
    let f = families.get(name);
    if (!f) {
      f = { name, type: types.get(name) ?? 'untyped', samples: [] };
      families.set(name, f);
    }
    return f;
  };

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const text = raw;
    if (text.trim() === '') return;
    if (text.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(text);
      if (!m) return; // a plain comment
      const [, kind, name, rest = ''] = m as unknown as [string, string, string, string?];
      if (!METRIC_NAME.test(name)) throw new ExpositionError(lineNo, `invalid metric name "${name}"`, text);
      const f = family(name, lineNo, text);
      if (kind === 'HELP') {
        if (helps.has(name)) throw new ExpositionError(lineNo, `second HELP for ${name}`, text);
        helps.add(name);
        f.help = unescapeHelp(rest, lineNo, text);
      } else {
        const type = rest.trim() as MetricType;
        if (!TYPES.has(type)) throw new ExpositionError(lineNo, `unknown type "${rest.trim()}" for ${name}`, text);
        if (types.has(name)) throw new ExpositionError(lineNo, `second TYPE for ${name}`, text);
        if (f.samples.length > 0) throw new ExpositionError(lineNo, `TYPE for ${name} after its samples`, text);
        types.set(name, type);
        f.type = type;
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(text);
    if (!nameMatch) throw new ExpositionError(lineNo, 'a sample must start with a metric name', text);
    const name = nameMatch[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (text[i] === '{') {
      const parsed = parseLabels(text, i, lineNo);
      labels = parsed.labels;
      i = parsed.end;
    }
    const rest = text.slice(i);
    if (!/^[ \t]/.test(rest)) throw new ExpositionError(lineNo, 'expected a space before the value', text);
    const parts = rest.trim().split(/[ \t]+/);
    if (parts.length < 1 || parts.length > 2 || parts[0] === '') throw new ExpositionError(lineNo, 'expected a value and an optional timestamp', text);
    const value = parseFloatStrict(parts[0]!, lineNo, text);
    let timestamp: number | undefined;
    if (parts[1] !== undefined) {
      if (!/^-?\d+$/.test(parts[1])) throw new ExpositionError(lineNo, `"${parts[1]}" is not a timestamp in milliseconds`, text);
      timestamp = Number(parts[1]);
    }
    const f = family(familyOf(name, types), lineNo, text);
    for (const l of Object.keys(labels)) if (!LABEL_NAME.test(l)) throw new ExpositionError(lineNo, `invalid label name "${l}"`, text);
    if (f.type === 'counter' && !(value >= 0)) throw new ExpositionError(lineNo, `counter ${name} is negative or NaN`, text);
    if (f.type === 'summary' && name === f.name && labels.quantile === undefined) throw new ExpositionError(lineNo, `summary ${name} sample without a quantile label`, text);
    if (f.type !== 'histogram' && f.type !== 'summary' && name !== f.name) throw new ExpositionError(lineNo, `sample ${name} does not belong to ${f.name}`, text);
    const key = seriesKey(name, labels);
    if (series.has(key)) throw new ExpositionError(lineNo, `series ${key} appears twice`, text);
    series.add(key);
    f.samples.push({ name, labels, value, ...(timestamp !== undefined ? { timestamp } : {}) });
  });

  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

/** The value of the one sample of `name` whose labels include `labels`; throws when there is none or several. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const matches = [...families.values()]
    .flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matches.length !== 1) throw new Error(`expected one sample ${seriesKey(name, labels)}, found ${matches.length}`);
  return matches[0]!.value;
}
