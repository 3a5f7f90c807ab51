/**
 * `npm run bench`: measures what vmk costs per message, under load and
 * against a bare Bolt app; prints one table and writes bench/results.json.
 *
 *   node dist/bench/run.js [--only=nlu,turn,http,cold,memory] [--duration=10]
 *
 * A run with --only prints its table but leaves bench/results.json alone.
 * Each section's module is loaded when it runs, so one section failing to
 * load is reported as that section's failure.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/paths.js';
import { startFakes } from './fakes.js';
import type { HttpResults, LoadResult } from './http.js';
import { machine, round, SERVE_NODE_ARGS } from './lib.js';
import type { NluResult } from './nlu.js';
import type { ColdStartResult, MemoryResult } from './process.js';
import type { TurnResult } from './turn.js';


const SECTIONS = ['nlu', 'turn', 'http', 'cold', 'memory'] as const;
type Section = (typeof SECTIONS)[number];

function parseArgs(argv: string[]): { only: Set<Section>; durationS: number } {
  let only = new Set<Section>(SECTIONS);
  let durationS = 10;
  for (const arg of argv) {
    const [key, value = ''] = arg.split('=', 2);
    if (key === '--only') {
      const wanted = value.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = wanted.filter((w) => !(SECTIONS as readonly string[]).includes(w));
      if (bad.length) throw new Error(`unknown section ${bad.join(', ')}; use ${SECTIONS.join(', ')}`);
      only = new Set(wanted as Section[]);
    } else if (key === '--duration') {
      durationS = Number(value);
      if (!Number.isFinite(durationS) || durationS < 1 || durationS > 120) throw new Error('--duration takes seconds, 1 to 120');
    } else {
      throw new Error(`unknown argument ${arg}; use --only=${SECTIONS.join(',')} and --duration=<seconds>`);
    }
  }
  return { only, durationS };
}

interface Check {
  name: string;
  value: string;
  target: string;
  pass: boolean;
}

interface Results {
  machine: ReturnType<typeof machine>;
  node: string;
  date: string;
  /** 1-minute load average at the start and end of the run: other work on the machine skews every figure. */
  loadAverage: { start: number; end?: number };
  totalSeconds?: number;
  nlu?: NluResult;
  turn?: TurnResult;
  http?: HttpResults & { durationS: number; note: string };
  coldStart?: ColdStartResult;
  memory?: MemoryResult;
  /** The Node flags `npm start` runs the server with (and the benchmark, the bare Bolt app included). */
  serveNodeArgs?: string[];
  /** The first memory run again on Node's default heap limits (not a target; shows what the flags save). */
  memoryNodeDefaults?: MemoryResult;
  errors: Record<string, string>;
  targets: Check[];
}

const log = (line: string) => process.stderr.write(`${line}\n`);

function ms(v: number): string {
  return v < 1 ? `${v.toFixed(3)} ms` : v < 10 ? `${v.toFixed(2)} ms` : `${Math.round(v)} ms`;
}

function loadRow(r: LoadResult): string {
  // Requests still in flight when autocannon stops are answered too, so answered can exceed the 2xx count.
  const answered =
    r.answered === undefined
      ? ''
      : `, ${r.answered >= r.ok ? 'all' : `${r.ok - r.answered} NOT`} answered (${r.answeredPerSec}/s, last ${((r.drainMs ?? 0) / 1000).toFixed(1)} s after the load)`;
  return `${r.reqPerSec} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, errors ${r.errors}${answered}, server CPU ${r.serverCpuMsPerReq.toFixed(2)} ms/req`;
}

function targets(res: Results): Check[] {
  const checks: Check[] = [];
  if (res.nlu) checks.push({ name: 'classify p99', value: ms(res.nlu.p99Ms), target: '< 1 ms', pass: res.nlu.p99Ms < 1 });
  if (res.turn) checks.push({ name: 'full turn p99', value: ms(res.turn.p99Ms), target: '< 5 ms', pass: res.turn.p99Ms < 5 });
  if (res.http) {
    const ratio = res.http.slashRatio['200'];
    const v = res.http.runs.find((r) => r.target === 'vmk' && r.scenario === 'slack-command' && r.connections === 200);
    if (ratio !== undefined) checks.push({ name: 'slash throughput vs bare Bolt @200', value: `${ratio.toFixed(2)}x`, target: '>= 0.8x', pass: ratio >= 0.8 });
    if (v) {
      checks.push({ name: 'slash p99 @200', value: `${v.p99Ms} ms`, target: '< 50 ms', pass: v.p99Ms < 50 });
      const unanswered = Math.max(0, v.ok - (v.answered ?? 0));
      checks.push({ name: 'slash errors @200', value: `${v.errors} errors, ${unanswered} unanswered`, target: '0', pass: v.errors === 0 && unanswered === 0 });
    }
  }
  if (res.coldStart) {
    checks.push({ name: 'cold start to /readyz (median)', value: `${res.coldStart.medianMs} ms`, target: '< 1000 ms', pass: res.coldStart.medianMs < 1000 });
  }
  if (res.memory) {
    const after1k = res.memory.phases[0];
    if (after1k) checks.push({ name: 'RSS after 10,000 turns', value: `${after1k.rssMiB} MiB`, target: '< 150 MiB', pass: after1k.rssMiB < 150 });
    const after10k = res.memory.phases[1];
    if (after1k && after10k) {
      // "Not growing": 10x the conversations may not add more than 10% (V8 heap noise is a few MiB).
      const limit = round(after1k.rssMiB * 0.1, 1);
      checks.push({
        name: 'RSS growth 1,000 -> 10,000 conversations',
        value: `${res.memory.growthMiB >= 0 ? '+' : ''}${res.memory.growthMiB} MiB`,
        target: `< +${limit} MiB (10%)`,
        pass: res.memory.growthMiB < limit,
      });
    }
  }
  for (const [section, message] of Object.entries(res.errors)) {
    checks.push({ name: `${section} section ran`, value: message.split('\n')[0]?.slice(0, 60) ?? 'failed', target: 'no error', pass: false });
  }
  return checks;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  const [head, ...body] = rows;
  return [line(head ?? []), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** The printed table: every figure, with PASS/FAIL where there is a target. */
function render(res: Results): string {
  const rows: string[][] = [['Measure', 'Result', 'Target', '']];
  const check = (name: string) => res.targets.find((c) => c.name === name);
  const verdict = (c: Check | undefined) => (c ? (c.pass ? 'PASS' : 'FAIL') : '');
  const add = (measure: string, value: string, c?: Check) => rows.push([measure, value, c?.target ?? '', verdict(c)]);

  if (res.nlu) {
    const n = res.nlu;
    add(`classify p50 (${n.devLines} dev lines x ${n.passes})`, ms(n.p50Ms));
    add('classify p99', ms(n.p99Ms), check('classify p99'));
    add('classify throughput, one core', `${n.throughputPerSec.toLocaleString('en-US')} /s`);
  }
  if (res.turn) {
    const t = res.turn;
    add(`full turn p50 (${t.samples} turns: ${t.mix.topic} topic, ${t.mix.dialog} dialog, ${t.mix.review} review)`, ms(t.p50Ms));
    add('full turn p99', ms(t.p99Ms), check('full turn p99'));
    add('  topic / dialog / review p99', `${ms(t.byKind.topic.p99Ms)} / ${ms(t.byKind.dialog.p99Ms)} / ${ms(t.byKind.review.p99Ms)}`);
  }
  if (res.http) {
    const label: Record<string, string> = { 'slack-command': 'Slack /vmk-advise', 'slack-event': 'Slack app_mention', 'teams-activity': 'Teams message' };
    for (const r of res.http.runs) {
      const name = `${r.target === 'bare-bolt' ? 'bare Bolt ' : ''}${label[r.scenario] ?? r.scenario} @${r.connections}`;
      add(name, loadRow(r));
    }
    for (const [c, ratio] of Object.entries(res.http.slashRatio)) {
      add(`slash throughput vmk / bare Bolt @${c}`, `${ratio.toFixed(2)}x`, c === '200' ? check('slash throughput vs bare Bolt @200') : undefined);
    }
    const v = res.http.runs.find((r) => r.target === 'vmk' && r.scenario === 'slack-command' && r.connections === 200);
    if (v) {
      add('slash p99 @200', `${v.p99Ms} ms`, check('slash p99 @200'));
      const c = check('slash errors @200');
      add('slash errors @200 (non-2xx, socket, unanswered)', c?.value ?? String(v.errors), c);
    }
    if (res.http.vmkRssAfterLoadMiB !== undefined) add('server RSS after the load (peak)', `${res.http.vmkRssAfterLoadMiB} MiB (${res.http.vmkPeakRssMiB} MiB)`);
  }
  if (res.coldStart) {
    const c = res.coldStart;
    add(`cold start to /readyz 200, median of ${c.runs}`, `${c.medianMs} ms (min ${c.minMs}, max ${c.maxMs})`, check('cold start to /readyz (median)'));
    add(`vmk ask, cold, median of ${c.ask.runs}`, `${c.ask.medianMs} ms`);
  }
  if (res.memory) {
    const m = res.memory;
    add('RSS after start-up', `${m.afterStartMiB} MiB`);
    const [a, b] = m.phases;
    if (a) add(`RSS after ${a.turns.toLocaleString('en-US')} turns / ${a.conversations.toLocaleString('en-US')} conversations`, `${a.rssMiB} MiB`, check('RSS after 10,000 turns'));
    if (b) add(`RSS after ${b.turns.toLocaleString('en-US')} more turns / ${b.conversations.toLocaleString('en-US')} conversations`, `${b.rssMiB} MiB (${m.growthMiB >= 0 ? '+' : ''}${m.growthMiB})`, check('RSS growth 1,000 -> 10,000 conversations'));
  }
  if (res.memoryNodeDefaults) {
    const m = res.memoryNodeDefaults;
    const [a] = m.phases;
    add(`  same on Node's default heap limits (no flags): start-up / 10,000 turns`, `${m.afterStartMiB} / ${a?.rssMiB} MiB`);
  }
  for (const [section, message] of Object.entries(res.errors)) add(`${section}: FAILED TO RUN`, message.split('\n')[0]?.slice(0, 100) ?? '', check(`${section} section ran`));
  return table(rows);
}

async function main(): Promise<number> {
  const { only, durationS } = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const res: Results = {
    machine: machine(),
    node: process.version,
    serveNodeArgs: SERVE_NODE_ARGS,
    date: new Date().toISOString(),
    loadAverage: { start: round(loadavg()[0] ?? 0, 2) },
    errors: {},
    targets: [],
  };
  log(`vmk benchmark on ${res.machine.cpuModel} x${res.machine.cores}, ${res.machine.totalMemoryMB} MiB, Node ${res.node}`);
  if (res.loadAverage.start > res.machine.cores / 2) {
    log(`warning: the load average is ${res.loadAverage.start} on ${res.machine.cores} cores; other work will skew the figures`);
  }

  const step = async (section: Section, title: string, fn: () => Promise<void>) => {
    if (!only.has(section)) return;
    log(`${title}...`);
    const t = performance.now();
    try {
      await fn();
    } catch (err) {
      res.errors[section] = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`  ${section} failed: ${res.errors[section]}`);
    }
    log(`  (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  };

  await step('nlu', 'language understanding', async () => {
    const { benchNlu } = await import('./nlu.js');
    res.nlu = benchNlu();
  });
  await step('turn', 'full turn in process', async () => {
    const { benchTurn } = await import('./turn.js');
    res.turn = await benchTurn();
  });

  const fakes = await startFakes();
  try {
    await step('http', `HTTP under load (${durationS} s a run)`, async () => {
      const { benchHttp } = await import('./http.js');
      const http = await benchHttp(fakes, { durationS, warmupS: 2, connections: [50, 200], log });
      res.http = {
        ...http,
        durationS,
        note: 'autocannon and the fakes run in the benchmark process, the server in a child process; they share the machine\'s cores.',
      };
    });
    await step('cold', 'cold start', async () => {
      const { benchColdStart } = await import('./process.js');
      res.coldStart = await benchColdStart(fakes);
    });
    await step('memory', 'memory', async () => {
      const { benchMemory } = await import('./process.js');
      res.memory = await benchMemory(fakes);
      res.memoryNodeDefaults = await benchMemory(fakes, {}, { phases: 1, nodeArgs: [] });
    });
  } finally {
    await fakes.close();
  }

  res.totalSeconds = round((performance.now() - started) / 1000, 1);
  res.loadAverage.end = round(loadavg()[0] ?? 0, 2);
  res.targets = targets(res);
  const m = res.machine;
  process.stdout.write(
    `\nvmk ${res.date.slice(0, 10)}, ${m.cpuModel} x${m.cores}, ${m.totalMemoryMB} MiB, ${m.os}, Node ${res.node} (server flags: ${SERVE_NODE_ARGS.join(' ') || 'none'}), load average ${res.loadAverage.start} -> ${res.loadAverage.end}\n`,
  );
  process.stdout.write(`${render(res)}\n\n`);
  const failed = res.targets.filter((c) => !c.pass);
  process.stdout.write(`${res.targets.length - failed.length}/${res.targets.length} targets met in ${res.totalSeconds} s.\n`);

  if (only.size === SECTIONS.length) {
    const file = join(PROJECT_ROOT, 'bench', 'results.json');
    writeFileSync(file, `${JSON.stringify(res, null, 2)}\n`);
    process.stdout.write(`Wrote ${file}\n`);
  } else {
    process.stdout.write('Partial run (--only): bench/results.json left unchanged.\n');
  }
  return Object.keys(res.errors).length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
