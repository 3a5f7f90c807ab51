#!/usr/bin/env node
/**
 * The `vmk` command. Each subcommand imports only what it needs, so one-shot
 * commands start fast.
 */
import { readFileSync } from 'node:fs';
import { VmkError } from './errors.js';

const USAGE = `vmk: a VMs vs. Kubernetes advisor

Usage:
  vmk serve                     run the HTTP server (Slack, Teams, web playground)
  vmk health [--ready]          probe the running server's /healthz (or /readyz) on PORT; exit 0 when it answers 200
  vmk chat                      chat in the terminal
  vmk ask "<text>"              one turn; prints the reply as plain text
  vmk classify [--explain]      one utterance per line on stdin -> one JSON object per line (--explain: policy row or top features)
  vmk eval [file.jsonl]         score the classifier on a labelled set (default: the dev set)
  vmk eval --workloads [file]   score the advisor's verdicts on labelled workloads
  vmk review [--json|--jsonl]   review a workload description read from stdin
`;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads a file named on the command line; a problem becomes one line saying what to fix. */
function readInputFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : (code ?? String(err));
    throw new VmkError('VMK_INPUT_FILE', `vmk: cannot read ${file} (${why}); give the path of ${what}`, { cause: err });
  }
}

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

async function memoryCore() {
  const [{ buildEngineCore }, { createStore }] = await Promise.all([import('./core.js'), import('./store/index.js')]);
  const store = await createStore({ kind: 'memory', dataDir: '' });
  return buildEngineCore({ store });
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'serve': {
      const { main: serve } = await import('./main.js');
      await serve();
      return -1; // keeps running
    }
    case 'health': {
      // The container's HEALTHCHECK: the same configuration as `vmk serve`, so the same port.
      const { loadConfig } = await import('./config.js');
      const { host, port } = loadConfig().server;
      const local = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;
      const url = `http://${local}:${port}${args.includes('--ready') ? '/readyz' : '/healthz'}`;
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(4_000) });
        await res.body?.cancel();
        out(`${url}: ${res.status}`);
        return res.status === 200 ? 0 : 1;
      } catch (err) {
        const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
        process.stderr.write(`${url}: no answer (${cause}); is vmk serve running with the same PORT and HOST?\n`);
        return 1;
      }
    }
    case 'chat': {
      const [{ loadConfig }, { createStore }, { buildEngineCore }, { runChat }] = await Promise.all([
        import('./config.js'),
        import('./store/index.js'),
        import('./core.js'),
        import('../adapters/console/chat.js'),
      ]);
      const config = loadConfig();
      const store = await createStore({ kind: config.store.kind, dataDir: config.store.dataDir, redisUrl: config.store.redisUrl });
      const core = buildEngineCore({ store, dialogTtlMs: config.dialogTtlMs });
      await runChat(core.engine, { input: process.stdin, output: process.stdout, ...(process.stdout.columns ? { columns: process.stdout.columns } : {}) });
      await store.close();
      return 0;
    }
    case 'ask': {
      const text = args.join(' ');
      if (!text.trim()) {
        process.stderr.write('vmk ask needs a question, e.g. vmk ask "how do VMs and Kubernetes compare on isolation?"\n');
        return 2;
      }
      const [core, { renderText }, { forTerminal }] = await Promise.all([memoryCore(), import('../adapters/console/render.js'), import('../adapters/console/chat.js')]);
      const result = await core.engine.handle({ platform: 'console', workspace: 'local', conversation: 'ask', user: 'local-user', text, surface: 'terminal' });
      out(result.replies.map((r) => renderText(forTerminal(r), process.stdout.columns ?? 80)).join('\n\n'));
      await core.store.close();
      return 0;
    }
    case 'classify': {
      const explain = args.includes('--explain');
      const core = await memoryCore();
      const input = await readStdin();
      const lines: string[] = [];
      for (const text of input.split('\n')) {
        if (!text.trim()) continue;
        const { classification: c, explanation: e } = core.nlu.explain(text);
        const row: Record<string, unknown> = { text, intent: c.intent, topic: c.topic, platform: c.platform, confidence: Number(c.confidence.toFixed(4)) };
        if (explain) {
          row.decidedBy = e.decidedBy;
          if (e.topFeatures) row.topFeatures = e.topFeatures;
          if (e.ranking) row.ranking = e.ranking;
          if (e.topicRanking && c.topic) row.topicRanking = e.topicRanking;
          row.signals = e.signals;
        }
        lines.push(JSON.stringify(row));
      }
      if (lines.length) out(lines.join('\n'));
      return 0;
    }
    case 'eval': {
      if (args[0] === '--workloads') {
        const [{ loadKnowledge }, advisorMod, { PROJECT_ROOT }] = await Promise.all([
          import('./knowledge/load.js'),
          import('./advisor/index.js'),
          import('./paths.js'),
        ]);
        const file = args[1] ?? `${PROJECT_ROOT}/test/data/workloads.jsonl`;
        const advisor = advisorMod.createAdvisor(loadKnowledge());
        const lines = advisorMod.parseWorkloadsJsonl(readInputFile(file, 'a JSONL file of labelled workloads ({"text": ..., "verdict": ...} per line)'));
        out(advisorMod.formatWorkloadEval(advisorMod.evaluateWorkloads(advisor, lines)));
        return 0;
      }
      const [core, { evaluate, formatEvalReport, readJsonl }, { PROJECT_ROOT }] = await Promise.all([memoryCore(), import('./understanding/eval.js'), import('./paths.js')]);
      const file = args[0] ?? `${PROJECT_ROOT}/test/data/dev.jsonl`;
      out(formatEvalReport(evaluate(core.nlu, readJsonl(readInputFile(file, 'a JSONL file of labelled utterances ({"text": ..., "intent": ...} per line)')))));
      return 0;
    }
    case 'review': {
      const mode = args.includes('--jsonl') ? 'jsonl' : args.includes('--json') ? 'json' : 'text';
      const [{ loadKnowledge }, advisorMod] = await Promise.all([import('./knowledge/load.js'), import('./advisor/index.js')]);
      const advisor = advisorMod.createAdvisor(loadKnowledge());
      const input = await readStdin();
      if (mode === 'jsonl') {
        const rows = input.split('\n').filter((l) => l.trim());
        if (rows.length) out(rows.map((l) => JSON.stringify(advisorMod.reviewJson(advisor, l))).join('\n'));
        return 0;
      }
      if (!input.trim()) {
        process.stderr.write('vmk review reads a workload description on stdin, e.g.: echo "a Java monolith on Windows Server" | vmk review\n');
        return 2;
      }
      out(mode === 'json' ? JSON.stringify(advisorMod.reviewJson(advisor, input)) : advisorMod.formatReviewText(advisor, input));
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      out(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`vmk: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    // vmk's own errors (VmkError, StoreUnavailableError: a code starting VMK_) already say what to fix: one message, no stack.
    const code = (err as { code?: unknown } | null)?.code;
    if (err instanceof VmkError || (err instanceof Error && typeof code === 'string' && code.startsWith('VMK_'))) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`vmk failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
