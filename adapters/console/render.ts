import type { Choice, Reply } from '../../src/types.js';

/** Renders a neutral reply as plain text for a terminal.  */
export function renderText(reply: Reply): string {
  const out: string[] = [];
  if (reply.title) out.push(`== ${reply.title} ==`);
  for (const b of reply.blocks) {
    if (b.heading) out.push(`-- ${b.heading}`);
    if (b.text) out.push(b.text);
    for (const item of b.bullets ?? []) out.push(`  * ${item}`);
  }
  if (reply.facts?.length) {
    const width = Math.max(...reply.facts.map((f) => f.label.length));
    for (const f of reply.facts) out.push(`  ${f.label.padEnd(width)}  ${f.value}`);
  }
  if (reply.choices?.length) {
    out.push(reply.choices.map((c: Choice) => `  [${c.label}]`).join('\n'));
  }
  if (reply.actions?.length) out.push(`  (${reply.actions.map((a) => a.label).join(' | ')})`);
  for (const note of reply.notes ?? []) out.push(`(${note})`);
  if (reply.source) out.push(reply.source);
  return out.join('\n');
}
