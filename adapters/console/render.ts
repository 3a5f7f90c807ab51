import type { Reply } from '../../src/types.js';

/** The widest line the terminal chat writes, whatever the terminal's width. */
export const MAX_WIDTH = 100;

/**
 * Wraps one paragraph at word boundaries to `width` columns: `first` starts
 * the first line, `rest` every following one (a hanging indent for bullets).
 * A word longer than a line (a URL) is left whole on a line of its own.
 */
export function wrap(text: string, width: number, first = '', rest = first): string[] {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of words) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(line.trimEnd());
  return lines;
}

/** Wraps text that may hold line breaks of its own (each line a paragraph). */
function paragraphs(text: string, width: number, first = '', rest = first): string[] {
  return text.split('\n').flatMap((p) => wrap(p, width, first, rest));
}

/** Renders a neutral reply as plain text for a terminal, wrapped at word boundaries to `width` columns. */
export function renderText(reply: Reply, width = 80): string {
  const w = Math.max(20, Math.min(width, MAX_WIDTH));
  const out: string[] = [];
  if (reply.title) out.push(...wrap(`== ${reply.title} ==`, w, '', '   '));
  for (const b of reply.blocks) {
    if (b.heading) out.push(...wrap(`-- ${b.heading}`, w, '', '   '));
    if (b.text) out.push(...paragraphs(b.text, w));
    for (const item of b.bullets ?? []) out.push(...wrap(item, w, '  * ', '    '));
  }
  if (reply.facts?.length) {
    const width = Math.min(Math.max(...reply.facts.map((f) => f.label.length)), Math.floor(w / 2));
    for (const f of reply.facts) {
      const label = `  ${f.label.padEnd(width)}  `;
      out.push(...wrap(f.value, w, label, ' '.repeat(label.length)));
    }
  }
  for (const c of reply.choices ?? []) out.push(...wrap(`[${c.label}]`, w, '  ', '   '));
  if (reply.actions?.length) out.push(...wrap(`(${reply.actions.map((a) => a.label).join(' | ')})`, w, '  ', '   '));
  if (reply.source) out.push(...wrap(`Source: ${reply.source}`, w, '', '  '));
  for (const note of reply.notes ?? []) out.push(...wrap(`(${note})`, w, '', ' '));
  return out.join('\n');
}
