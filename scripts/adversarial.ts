/**
 * Text built to make regular expressions backtrack: long runs of spaces and
 * mixed whitespace, repeated punctuation, nested and unclosed markup, many
 * `<@U` and `<at>` openings without their ends, and very long words. The
 * first 4,000 characters (what a turn reads) hold every kind; the rest repeats
 * them in long runs up to `size` characters.
 */
const KINDS: ((n: number) => string)[] = [
  (n) => ' '.repeat(n),
  (n) => '!?.,;:-'.repeat(Math.ceil(n / 7)).slice(0, n),
  (n) => '<a<b<c>>'.repeat(Math.ceil(n / 8)).slice(0, n),
  (n) => '<@U'.repeat(Math.ceil(n / 3)).slice(0, n),
  (n) => '<at>'.repeat(Math.ceil(n / 4)).slice(0, n),
  (n) => 'k'.repeat(n),
  (n) => '\n \t'.repeat(Math.ceil(n / 3)).slice(0, n),
  (n) => '- '.repeat(Math.ceil(n / 2)).slice(0, n),
  (n) => '"\'`*_~'.repeat(Math.ceil(n / 6)).slice(0, n),
  (n) => '12 '.repeat(Math.ceil(n / 3)).slice(0, n),
];

export const MIB = 1024 * 1024;

export function adversarialText(size = MIB): string {
  // A long run of spaces first: that is what a dialog's typed-answer check used to trim in quadratic time.
  const head = ' '.repeat(1_500) + KINDS.map((k) => k(250)).join('');
  const parts = [head];
  let length = head.length;
  for (let i = 0; length < size; i = (i + 1) % KINDS.length) {
    const part = (KINDS[i] as (n: number) => string)(Math.min(40_000, size - length));
    parts.push(part);
    length += part.length;
  }
  return `${parts.join('')}`.slice(0, size - 1) + 'z';
}
