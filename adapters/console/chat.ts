import { createInterface } from 'node:readline/promises';
import type { Engine } from '../../src/engine.js';
import type { Action, Reply } from '../../src/types.js';
import { renderText } from './render.js';

/**
 * A terminal chat over the same engine the platforms use. Typing the number
 * of a button presses it; anything else is sent as text.
 */
export async function runChat(engine: Engine, io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; user?: string }): Promise<void> {
  const rl = createInterface({ input: io.input, output: io.output, terminal: false });
  const write = (s: string) => io.output.write(`${s}\n`);
  const conversation = `console-${process.pid}-${Date.now()}`;
  let buttons: Action[] = [];
  write('vmk: ask me about VMs vs. Kubernetes, describe a workload, or type "help me choose". Type "quit" to leave.');
  for await (const line of rl) {
    const text = line.trim();
    if (text === 'quit' || text === 'exit') break;
    const index = /^\d+$/.test(text) ? Number(text) - 1 : -1;
    const action = index >= 0 ? buttons[index] : undefined;
    const result = await engine.handle({
      platform: 'console',
      workspace: 'local',
      conversation,
      user: io.user ?? 'local-user',
      text: action ? '' : text,
      action,
      surface: 'terminal',
    });
    buttons = [];
    for (const reply of result.replies) {
      write(renderText(numbered(reply, buttons)));
      write('');
    }
  }
  rl.close();
}

/** Gives every button of a reply a number the user can type. */
function numbered(reply: Reply, into: Action[]): Reply {
  // Labels the core already numbers ("2. Growing fast") keep their own number when it matches.
  const label = (l: string) => (l.startsWith(`${into.length}. `) ? l : `${into.length}: ${l}`);
  const choices = reply.choices?.map((c) => (into.push(c.action), { ...c, label: label(c.label) }));
  const actions = reply.actions?.map((c) => (into.push(c.action), { ...c, label: label(c.label) }));
  return { ...reply, choices, actions };
}
