// A separate process driving the real SqliteStore (compiled to plain JS by
// test/helpers/sqlite-process.ts). Usage:
//   node sqlite-child.mjs <sqlite.js> write <dataDir>
//     answers one dialog step after another, printing {"version":n} after
//     each committed write, until it is killed.
//   node sqlite-child.mjs <sqlite.js> increment <dataDir> <count> <startAtEpochMs>
//     waits until startAt (so several children overlap), then adds 1 to a shared counter <count> times with compare-and-set,
//     re-reading on every conflict, then prints {"done":count,"conflicts":k}.
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { pathToFileURL } from 'node:url';

const [modulePath, mode, dataDir, countArg, startAtArg] = process.argv.slice(2);
const { SqliteStore } = await import(pathToFileURL(modulePath).href);
const store = new SqliteStore({ dataDir });
const DAY = 24 * 60 * 60 * 1000;
const key = { platform: 'slack', workspace: 'T1', conversation: 'D1', user: 'U1' };

if (mode === 'write') {
  for (;;) {
    const current = await store.get(key);
    const answers = current ? [...current.value.dialog.answers] : [];
    answers.push(`answer-${answers.length + 1}`);
    const version = await store.set(key, { context: {}, dialog: { step: answers.length, answers } }, current?.version ?? null, DAY);
    if (version === null) throw new Error('unexpected conflict: this process is the only writer');
    process.stdout.write(JSON.stringify({ version }) + '\n');
  }
} else if (mode === 'increment') {
  const counterKey = { ...key, conversation: 'counter' };
  const count = Number(countArg);
  let conflicts = 0;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAtArg) - Date.now())));
  for (let i = 0; i < count; i++) {
    for (;;) {
      const current = await store.get(counterKey);
      const n = current ? current.value.dialog.n : 0;
      const version = await store.set(counterKey, { context: {}, dialog: { n: n + 1 } }, current?.version ?? null, DAY);
      if (version !== null) break;
      conflicts++;
    }
  }
  await store.close();
  process.stdout.write(JSON.stringify({ done: count, conflicts }) + '\n');
} else {
  throw new Error(`unknown mode ${mode}`);
}
