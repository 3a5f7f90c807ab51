/**
 * The container image without a container engine (none runs on the test
 * machines): the Dockerfile is parsed and checked against the configuration
 * schema and package.json, then its own steps are replayed on a fresh copy of
 * the repository: the build stage's COPY and RUN in a folder standing for its
 * file system, the runtime stage's COPY --from=build into another, and the
 * image's CMD and HEALTHCHECK run there as an unprivileged user, until
 * /readyz answers 200 and a conversation is written to the data volume.
 * Next to it, the production install the README gives, literally:
 * `npm ci && npm run build && npm prune --omit=dev && node dist/src/cli.js serve`.
 *
 * Both installs run `npm ci` for real, from the npm registry or its cache.
 * better-sqlite3's install script fetches a prebuilt binary (from GitHub, in a
 * real image build), which this machine cannot reach; it is handed the binary
 * this checkout already built, as a local prebuild, instead of compiling it
 * again for a minute and a half. Everything else is what `docker build` runs.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig } from '../src/config.js';
import { PROJECT_ROOT } from '../src/paths.js';
import { dockerignore, parseDockerfile, type Stage } from './helpers/dockerfile.js';
import { parseExposition } from './helpers/prometheus.js';
import { freePort } from './helpers/redis.js';

const dockerfileText = readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8');
const docker = parseDockerfile(dockerfileText);
const ignored = dockerignore(readFileSync(join(PROJECT_ROOT, '.dockerignore'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const lock = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
const build = docker.stages.find((s) => s.name === 'build')!;
const runtime = docker.stages.at(-1)!;
const defaults = loadConfig({}, { envFile: null });
/** The `node` user of the official Node.js images. */
const NODE_UID = 1000;

/** The V8 flags `npm start` gives node. */
function startFlags(): string[] {
  const m = /\bnode\s+((?:--[\w-]+(?:=\S+)?\s+)*)dist\/src\/cli\.js serve/.exec(pkg.scripts.start ?? '');
  if (!m) throw new Error(`npm start does not run node ... dist/src/cli.js serve: ${pkg.scripts.start}`);
  return m[1]!.trim().split(/\s+/);
}

describe('the Dockerfile', () => {
  it('has a build stage and a slim runtime stage on the same Node.js', () => {
    expect(docker.directives.syntax).toMatch(/^docker\/dockerfile:1/);
    expect(docker.stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(build.image).toBe(`node:${docker.args.NODE_VERSION}-bookworm`);
    expect(runtime.image).toBe(`node:${docker.args.NODE_VERSION}-bookworm-slim`);
    expect(Number(docker.args.NODE_VERSION)).toBeGreaterThanOrEqual(20);
    // The runtime stage brings only what the build stage made: no compiler, no npm install of its own.
    for (const step of runtime.steps) {
      if (step.kind === 'copy') expect(step.copy.from, `line ${step.line}`).toBe('build');
      else expect(step.command, `line ${step.line}`).toMatch(/^mkdir -p (\S+) && chown node:node \1$/);
    }
    expect(build.steps.filter((s) => s.kind === 'run').map((s) => s.kind === 'run' && s.command)).toEqual([
      'npm ci --no-audit --no-fund',
      'npm run build',
      'npm prune --omit=dev --no-audit --no-fund',
    ]);
  });

  it('runs as the unprivileged node user, with SQLite data on a volume it owns', () => {
    expect(runtime.user).toBe('node');
    const dataDir = runtime.env.VMK_DATA_DIR!;
    expect(runtime.volumes).toEqual([dataDir]);
    const mkdir = runtime.steps.find((s) => s.kind === 'run');
    expect(mkdir?.kind === 'run' && mkdir.command).toBe(`mkdir -p ${dataDir} && chown node:node ${dataDir}`);
    // USER comes after that step and before CMD.
    const lines = dockerfileText.split('\n');
    const lineOf = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(lineOf(/^USER /)).toBeGreaterThan(lineOf(/^RUN mkdir/));
    expect(lineOf(/^USER /)).toBeLessThan(lineOf(/^CMD /));
  });

  it('sets only variables of the configuration schema, with values it accepts', () => {
    for (const name of Object.keys(runtime.env)) expect(CONFIG_VARIABLES).toContain(name);
    const config = loadConfig(runtime.env, { envFile: null });
    expect(config.nodeEnv).toBe('production');
    expect(config.log.format).toBe('json');
    expect(config.store.kind).toBe('sqlite');
    expect(config.store.dataDir).toBe(runtime.env.VMK_DATA_DIR);
    expect(config.server.port).toBe(defaults.server.port);
  });

  it('exposes the configured port and checks health at /healthz through vmk health', () => {
    expect(runtime.expose).toEqual([defaults.server.port]);
    expect(runtime.healthcheck?.command).toEqual(['node', 'dist/src/cli.js', 'health']);
    for (const k of ['interval', 'timeout', 'start-period']) expect(runtime.healthcheck?.options[k], k).toMatch(/^\d+s$/);
    // The health command probes /healthz (not /readyz: a Redis outage must not mark the container unhealthy).
    expect(readFileSync(join(PROJECT_ROOT, 'src', 'cli.ts'), 'utf8')).toMatch(/args\.includes\('--ready'\) \? '\/readyz' : '\/healthz'/);
  });

  it('starts vmk serve with the V8 flags of npm start, in the exec form', () => {
    expect(runtime.cmd).toEqual(['node', ...startFlags(), 'dist/src/cli.js', 'serve']);
    expect(startFlags()).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/)]));
  });

  it('keeps secrets, local state and build output out of the build context', () => {
    for (const p of ['.env', '.env.local', 'node_modules', 'node_modules/x/y.js', 'dist/src/cli.js', 'data/vmk.sqlite', '.git/config', 'test/x.test.ts']) {
      expect(ignored(p), p).toBe(true);
    }
    for (const p of ['package.json', 'package-lock.json', 'src/cli.ts', 'knowledge/article.yaml', 'adapters/web/public/index.html', 'scripts/prepare.mjs', 'tsconfig.build.json']) {
      expect(ignored(p), p).toBe(false);
    }
  });
});

// ---------------------------------------------------------------------------
// Replaying the installs on fresh copies.

const tmp = mkdtempSync(join(tmpdir(), 'vmk-image-'));
// Three copies of node_modules: removing them takes a while on a busy machine.
afterAll(() => rm(tmp, { recursive: true, force: true, maxRetries: 3 }), 600_000);
const asRoot = process.getuid?.() === 0;

/** The repository's files as a fresh clone has them, plus files not committed yet (git ls-files). */
function repoFiles(): string[] {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ls-files failed: ${r.stderr}`);
  return r.stdout.split('\0').filter((f) => f && existsSync(join(PROJECT_ROOT, f)) && statSync(join(PROJECT_ROOT, f)).isFile());
}

function copyFiles(files: string[], to: string): void {
  for (const f of files) {
    mkdirSync(dirname(join(to, f)), { recursive: true });
    cpSync(join(PROJECT_ROOT, f), join(to, f));
  }
}

/** better-sqlite3's binary from this checkout, packed as the prebuild its install script looks for. */
function localPrebuilds(): string | undefined {
  const addon = join(PROJECT_ROOT, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(addon)) return undefined;
  const version = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string }).version;
  const dir = join(tmp, 'prebuilds');
  const stage = join(dir, 'stage');
  mkdirSync(join(stage, 'build', 'Release'), { recursive: true });
  cpSync(addon, join(stage, 'build', 'Release', 'better_sqlite3.node'));
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const r = spawnSync('tar', ['-czf', join(dir, name), '-C', stage, 'build']);
  return r.status === 0 ? dir : undefined;
}

/** The environment of a step: this machine's, without what npm put there for the test run itself. */
function stepEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== 'INIT_CWD' && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...extra };
}

interface Ran {
  code: number | null;
  output: string;
}

/** Runs a shell command; resolves with its exit code and output (stdout and stderr together). */
function sh(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 480_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`"${command}" did not finish within ${timeoutMs / 1000} s:\n${output.slice(-3000)}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

async function mustRun(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await sh(command, cwd, env);
  if (r.code !== 0) throw new Error(`"${command}" in ${cwd} exited with ${r.code}:\n${r.output.slice(-4000)}`);
  return r.output;
}

interface Served {
  child: ChildProcess;
  url: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts `argv` and waits until GET /readyz answers 200 (or the process exits). */
async function serve(argv: string[], cwd: string, env: NodeJS.ProcessEnv, uid?: number): Promise<Served> {
  const port = Number(env.PORT);
  const child = spawn(argv[0] === 'node' ? process.execPath : argv[0]!, argv.slice(1), {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(uid !== undefined ? { uid, gid: uid } : {}),
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  let gone = false;
  void exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`${argv.join(' ')} exited before it was ready:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${argv.join(' ')}: /readyz not 200 within 90 s:\n${output.slice(-4000)}`);
    }
    const status = await fetch(`${url}/readyz`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    child,
    url,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Packages the lock marks as needed only for development (dev: true). */
const devOnly = Object.entries(lock.packages)
  .filter(([path, p]) => p.dev && path.startsWith('node_modules/') && !path.slice('node_modules/'.length).includes('/node_modules/'))
  .map(([path]) => path.slice('node_modules/'.length));

let prebuilds: string | undefined;
beforeAll(() => {
  prebuilds = localPrebuilds();
});
const installEnv = () => stepEnv(prebuilds ? { npm_config_better_sqlite3_local_prebuilds: prebuilds } : {});

describe('the image, built and run outside a container', () => {
  /** A folder standing for a stage's file system: /app is <root>/app. */
  const rootOf = (stage: Stage) => join(tmp, `stage-${stage.name}`);
  const inStage = (stage: Stage, path: string) => join(rootOf(stage), path);

  function copyStep(stage: Stage, step: Extract<Stage['steps'][number], { kind: 'copy' }>, context: string): void {
    const { sources, dest, from } = step.copy;
    const destPath = dest.startsWith('/') ? dest : `${step.workdir}/${dest}`;
    const intoDir = sources.length > 1 || dest.endsWith('/') || dest === '.';
    for (const source of sources) {
      const src = from ? inStage(docker.stages.find((s) => s.name === from)!, source) : join(context, source);
      if (!existsSync(src)) throw new Error(`Dockerfile line ${step.line}: COPY source ${source} does not exist${from ? ` in stage ${from}` : ' in the build context'}`);
      const isDir = statSync(src).isDirectory();
      const target = inStage(stage, isDir || !intoDir ? destPath : `${destPath}/${source.split('/').at(-1)}`);
      mkdirSync(isDir ? target : dirname(target), { recursive: true });
      cpSync(src, target, { recursive: true, verbatimSymlinks: true });
    }
  }

  it(
    'builds: the build stage installs, builds and prunes; the runtime stage copies only what vmk serve reads',
    async () => {
      // The build context: the repository minus .dockerignore.
      const context = join(tmp, 'context');
      const files = repoFiles().filter((f) => !ignored(f));
      expect(files).toContain('package-lock.json');
      expect(files.some((f) => f.startsWith('test/') || f === '.env')).toBe(false);
      copyFiles(files, context);

      for (const step of build.steps) {
        if (step.kind === 'copy') copyStep(build, step, context);
        else await mustRun(step.command, inStage(build, step.workdir), installEnv());
      }
      const app = inStage(build, build.workdir);
      expect(existsSync(join(app, 'dist', 'src', 'cli.js'))).toBe(true);
      expect(existsSync(join(app, 'node_modules', 'typescript'))).toBe(false);

      for (const step of runtime.steps) {
        if (step.kind === 'copy') copyStep(runtime, step, context);
        else {
          // mkdir -p <volume> && chown node:node <volume>
          const dir = inStage(runtime, runtime.volumes[0]!);
          mkdirSync(dir, { recursive: true });
          if (asRoot) chownSync(dir, NODE_UID, NODE_UID);
        }
      }
      const image = inStage(runtime, runtime.workdir);
      const present = readdirSync(image).sort();
      expect(present).toEqual(['adapters', 'dist', 'knowledge', 'node_modules', 'package.json']);
      expect(readdirSync(join(image, 'dist')).sort()).toEqual(['adapters', 'knowledge.compiled.json', 'src']);
      const leftovers = devOnly.filter((name) => existsSync(join(image, 'node_modules', name)));
      expect(leftovers).toEqual([]);
    },
    900_000,
  );

  it(
    'runs: CMD as the node user serves /readyz 200, HEALTHCHECK passes, conversations land on the volume, SIGTERM stops it cleanly',
    async () => {
      const image = inStage(runtime, runtime.workdir);
      expect(existsSync(join(image, 'dist', 'src', 'cli.js')), 'the build test above must pass first').toBe(true);
      const volume = inStage(runtime, runtime.volumes[0]!);
      if (asRoot) {
        // The unprivileged user must be able to reach the image's files, as in a real image (read-only for it).
        for (let d = rootOf(runtime); d !== dirname(d) && d.startsWith(tmp); d = dirname(d)) chmodSync(d, 0o755);
        spawnSync('chmod', ['-R', 'a+rX', rootOf(runtime)]);
      }
      const port = await freePort();
      // The image's ENV, with its volume path mapped into the stage folder, on a free loopback port.
      const env = stepEnv({
        ...runtime.env,
        VMK_DATA_DIR: volume,
        PORT: String(port),
        HOST: '127.0.0.1',
        // The image runs with NODE_ENV=production, where the playground is off unless asked for; it is the
        // simplest way to make one turn land on the volume.
        VMK_PLAYGROUND: 'on',
      });
      const server = await serve(runtime.cmd!, image, env, asRoot ? NODE_UID : undefined);
      try {
        const health = spawnSync(process.execPath, runtime.healthcheck!.command.slice(1), {
          cwd: image,
          env,
          encoding: 'utf8',
          ...(asRoot ? { uid: NODE_UID, gid: NODE_UID } : {}),
        });
        expect(health.status, health.stderr).toBe(0);
        expect(health.stdout).toContain(`http://127.0.0.1:${port}/healthz: 200`);

        const turn = await fetch(`${server.url}/api/playground/turn`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ conversation: 'image-test', user: 'u1', text: 'help me choose' }),
        });
        expect(turn.status).toBe(200);
        const db = join(volume, 'vmk.sqlite');
        expect(existsSync(db)).toBe(true);
        if (asRoot) expect(statSync(db).uid).toBe(NODE_UID);

        const metrics = await fetch(`${server.url}/metrics`);
        expect(metrics.status).toBe(200);
        parseExposition(await metrics.text());

        const started = JSON.parse(server.output().split('\n').find((l) => l.includes('vmk is ready')) ?? '{}') as { msg?: string };
        expect(started.msg).toMatch(/vmk is ready/); // JSON logs (NODE_ENV=production)
      } finally {
        const code = await server.stop();
        expect(code, server.output().slice(-2000)).toBe(0);
      }
      const unhealthy = spawnSync(process.execPath, runtime.healthcheck!.command.slice(1), { cwd: image, env, encoding: 'utf8' });
      expect(unhealthy.status).toBe(1);
    },
    180_000,
  );
});

describe('the production install from a fresh copy', () => {
  it(
    'npm ci && npm run build && npm prune --omit=dev && node dist/src/cli.js serve serves /readyz 200; npx vmk then starts without a rebuild',
    async () => {
      const copy = join(tmp, 'fresh');
      copyFiles(repoFiles(), copy);
      expect(existsSync(join(copy, 'dist'))).toBe(false);
      expect(existsSync(join(copy, 'node_modules'))).toBe(false);

      const ci = await mustRun('npm ci', copy, installEnv());
      // The prepare hook builds a fresh checkout and says so.
      expect(ci).toMatch(/vmk: building dist\/ \(npm run build\)/);
      await mustRun('npm run build', copy, installEnv());
      await mustRun('npm prune --omit=dev', copy, installEnv());
      expect(devOnly.filter((name) => existsSync(join(copy, 'node_modules', name)))).toEqual([]);
      expect(devOnly).toEqual(expect.arrayContaining(['typescript', 'vitest', 'eslint']));

      const port = await freePort();
      const server = await serve(['node', 'dist/src/cli.js', 'serve'], copy, stepEnv({ PORT: String(port), HOST: '127.0.0.1', LOG_FORMAT: 'json', VMK_DATA_DIR: join(copy, 'data') }));
      try {
        const res = await fetch(`${server.url}/readyz`);
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ status: 'ready', checks: { knowledge: true, classifier: true, store: true } });
        // The compiled knowledge from npm run build is what start-up used (no training at start).
        expect(server.output()).not.toContain('loading and training now');
      } finally {
        expect(await server.stop()).toBe(0);
      }

      // npx vmk in the built, pruned checkout: prepare finds dist/ current and leaves it alone.
      const cli = join(copy, 'dist', 'src', 'cli.js');
      const before = statSync(cli).mtimeMs;
      const npx = await sh('npx --yes vmk ask "which one is more secure?"', copy, stepEnv({ npm_config_cache: join(tmp, 'npx-cache') }), 120_000);
      expect(npx.code, npx.output.slice(-3000)).toBe(0);
      expect(npx.output).toMatch(/secur/i);
      expect(npx.output).not.toMatch(/building dist|rebuilding/);
      expect(statSync(cli).mtimeMs).toBe(before);
    },
    900_000,
  );
});
