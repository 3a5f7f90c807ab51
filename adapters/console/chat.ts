import { createInterface } from 'node:readline/promises';
import type { Engine } from '../../src/engine.js';
import type { Action, Reply } from '../../src/types.js';
import { MAX_WIDTH, renderText, wrap } from './render.js';

export const PROMPT = 'you> ';

/**
 * A terminal chat over the same engine the platforms use. Typing the number
 * of an option picks it; anything else is sent as text. Replies are wrapped
 * to the terminal's width (`columns`, default 80).
 */
export async function runChat(
  engine: Engine,
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; user?: string; columns?: number },
): Promise<void> {
  const rl = createInterface({ input: io.input, output: io.output, terminal: false });
  const write = (s: string) => io.output.write(`${s}\n`);
  const prompt = () => io.output.write(PROMPT);
  const columns = io.columns ?? 80;
  // Typed lines echo in a terminal; piped ones are written after the prompt, so the transcript reads as a chat.
  const echo = (io.input as { isTTY?: boolean }).isTTY !== true;
  const conversation = `console-${process.pid}-${Date.now()}`;
  let buttons: Action[] = [];
  write(wrap('vmk: ask me about VMs vs. Kubernetes, describe a workload, or type "help me choose". Type "quit" to leave.', Math.min(columns, MAX_WIDTH)).join('\n'));
  prompt();
  for await (const line of rl) {
    if (echo) write(line);
    const text = line.trim();
    if (text === 'quit' || text === 'exit') break;
    if (text === '') {
      prompt();
      continue;
    }
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
      write(renderText(numbered(forTerminal(reply), buttons), columns));
      write('');
    }
    prompt();
  }
  write('');
  rl.close();
}

/**
 * Adjusts a reply to a terminal: there are no buttons to pick (options are
 * typed as numbers) and no channel to share into (the chat is private), so
 * "Pick a button" hints become "Type" and "Share in channel" is left out.
 */
export function forTerminal(reply: Reply): Reply {
  const keep = (list: Reply['actions']) => list?.filter((c) => c.action.type !== 'share');
  const blocks = reply.blocks.map((b) => (b.text ? { ...b, text: b.text.replace(/^Pick a button, or type /, 'Type ') } : b));
  const choices = keep(reply.choices);
  const actions = keep(reply.actions);
  return { ...reply, blocks, ...(choices ? { choices } : {}), ...(actions ? { actions } : {}) };
}

/** Gives every option of a reply a number the user can type. */
function numbered(reply: Reply, into: Action[]): Reply {
  // Labels the core already numbers ("2. Growing fast") keep their own number when it matches.
  const label = (l: string) => (l.startsWith(`${into.length}. `) ? l : `${into.length}: ${l}`);
  const choices = reply.choices?.map((c) => (into.push(c.action), { ...c, label: label(c.label) }));
  const actions = reply.actions?.map((c) => (into.push(c.action), { ...c, label: label(c.label) }));
  return { ...reply, choices, actions };
}
