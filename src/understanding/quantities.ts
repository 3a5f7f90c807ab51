/**
 * Quantities that say something without a keyword: load that jumps from 200
 * to 50,000 requests, "5x capacity", traffic that triples. The advisor reads a
 * surge of four times or more as spiky traffic, whatever words surround it.
 * Linear scans only.
 */

export interface Surge {
  evidence: string;
  ratio: number;
  index: number;
}

// Bounded repetitions everywhere, so a long run of digits or spaces costs linear time.
const NUMBER = String.raw`(\d{1,3}(?:[,.\s]\d{3}){1,3}|\d{1,9}(?:\.\d{1,3})?)\s{0,3}(k|m|million|thousand)?`;
/** "from 500 to 40,000", "between 200 and 50k", "200 -> 50,000", "200 to 50k rps". */
const RANGE = new RegExp(String.raw`(?:from|between)?\s?${NUMBER}\s{0,3}(?:rps|qps|requests?|req|users?|visitors?|sessions?|players?|students?|orders?|calls?|jobs?|per\s\w{1,12})?\s{0,3}(?:to|and|->|→|up to)\s{1,3}${NUMBER}\b`, 'gi');
/** "5x capacity", "20x for five minutes", "10 times the traffic". */
const TIMES = /\b(\d{1,4})\s?(?:x|times)\b/gi;
const LOAD = /\b(?:rps|qps|requests?|req|users?|visitors?|sessions?|players?|students?|customers?|traffic|load|capacity|demand|hits|transactions|orders|calls|concurrent|peak|spikes?)\b/i;
const WORD_TIMES: Record<string, number> = { doubles: 2, doubled: 2, triples: 3, tripled: 3, quadruples: 4, quadrupled: 4, tenfold: 10, hundredfold: 100 };
const WORD_TIMES_RE = /\b(doubles|doubled|triples|tripled|quadruples|quadrupled|tenfold|hundredfold)\b/gi;

function value(digits: string, unit: string | undefined): number {
  const clean = digits.replace(/[,\s]/g, '');
  // "40.000" (European thousands) reads as forty thousand when the group after the dot has three digits.
  const n = /^\d{1,3}(\.\d{3})+$/.test(clean) ? Number(clean.replace(/\./g, '')) : Number(clean);
  const u = (unit ?? '').toLowerCase();
  return n * (u === 'k' || u === 'thousand' ? 1e3 : u === 'm' || u === 'million' ? 1e6 : 1);
}

/** Surges in `text` of at least `min` times. */
export function findSurges(text: string, min = 4): Surge[] {
  const out: Surge[] = [];
  const t = text.slice(0, 20_000);
  // A range or a multiple counts only when it is about load: "from 3 to 12 services" is no surge.
  const aboutLoad = (at: number, len: number): boolean => LOAD.test(t.slice(Math.max(0, at - 60), at + len + 40));
  for (const m of t.matchAll(RANGE)) {
    const a = value(m[1] as string, m[2]);
    const b = value(m[3] as string, m[4]);
    if (a > 0 && b / a >= min && aboutLoad(m.index ?? 0, m[0].length)) out.push({ evidence: m[0].trim(), ratio: b / a, index: m.index ?? 0 });
  }
  for (const m of t.matchAll(TIMES)) {
    const r = Number(m[1]);
    if (r >= min && r <= 10_000 && aboutLoad(m.index ?? 0, m[0].length)) out.push({ evidence: m[0].trim(), ratio: r, index: m.index ?? 0 });
  }
  for (const m of t.matchAll(WORD_TIMES_RE)) {
    const r = WORD_TIMES[(m[1] as string).toLowerCase()] ?? 0;
    if (r >= min) out.push({ evidence: m[0], ratio: r, index: m.index ?? 0 });
  }
  return out.sort((x, y) => x.index - y.index);
}
