#!/usr/bin/env node
/**
 * Keeps dist/ in step with its sources without paying for a build that is not
 * needed, and without needing TypeScript where it is not installed.
 *
 *   node scripts/prepare.mjs           npm's `prepare` hook (npm ci, npm install,
 *                                      and the first `npx vmk` in a checkout)
 *   node scripts/prepare.mjs --stamp   the last step of `npm run build`: records
 *                                      a fingerprint of what dist/ was built from
 *
 * As `prepare` it
 * - does nothing when dist/ was built from exactly the current sources (the
 *   fingerprint in dist/.build-stamp matches), so `npx vmk` in a built checkout
 *   starts at once instead of rebuilding for 15-25 s;
 * - builds (`npm run build`, saying so) when dist/ is missing or stale and
 *   TypeScript is installed;
 * - does nothing when the sources are not there yet (a Dockerfile that
 *   installs the dependencies before it copies the code);
 * - keeps the existing dist/ when TypeScript is not installed, which is what a
 *   production install looks like (`npm ci --omit=dev`, `npm prune --omit=dev`
 *   after `npm run build`), and fails with the fix when there is no dist/.
 *
 * Plain JavaScript with no dependencies, so it runs in every one of those cases.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const STAMP = join(ROOT, 'dist', '.build-stamp');
/** What `npm run build` must have produced for vmk to run. */
const OUTPUTS = [join('dist', 'src', 'cli.js'), join('dist', 'src', 'main.js')];
/**
 * Everything `npm run build` reads: the TypeScript below tsconfig.build.json's
 * folders, every file of the knowledge it compiles, its settings and the locked
 * dependency versions. (Files served or read as they are, such as the
 * playground's page or bench/results.json, do not make dist/ stale.)
 */
const CODE_DIRS = ['src', 'adapters', 'bench', 'scripts'];
const CODE = /\.(ts|mts|cts)$/;
const DATA_DIRS = ['knowledge'];
const INPUT_FILES = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

function say(line) {
  process.stderr.write(`vmk: ${line}\n`);
}

/** Every file below `dir` whose name `keep` accepts, as paths relative to the project root. */
function walk(dir, keep, out) {
  let entries;
  try {
    entries = readdirSync(join(ROOT, dir), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const rel = join(dir, e.name);
    if (e.isDirectory()) walk(rel, keep, out);
    else if (e.isFile() && keep.test(e.name)) out.push(rel);
  }
}

/** A SHA-256 over the names and contents of every build input, or null when the sources are not here (a runtime-only copy). */
export function fingerprint() {
  if (!existsSync(join(ROOT, 'tsconfig.build.json')) || !existsSync(join(ROOT, 'src'))) return null;
  const files = [];
  for (const d of CODE_DIRS) walk(d, CODE, files);
  for (const d of DATA_DIRS) walk(d, /./, files);
  for (const f of INPUT_FILES) if (existsSync(join(ROOT, f))) files.push(f);
  files.sort();
  const h = createHash('sha256');
  for (const f of files) {
    h.update(`${f.split(sep).join('/')}\0`);
    h.update(readFileSync(join(ROOT, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

function readStamp() {
  try {
    const parsed = JSON.parse(readFileSync(STAMP, 'utf8'));
    return typeof parsed?.inputs === 'string' ? parsed.inputs : null;
  } catch {
    return null;
  }
}

function hasTypeScript() {
  try {
    createRequire(join(ROOT, 'package.json')).resolve('typescript');
    return true;
  } catch {
    return false;
  }
}

function npm(args) {
  // Under npm, npm_execpath is the npm CLI that runs this script: use the same one.
  const cli = process.env.npm_execpath;
  const [cmd, argv] = cli && cli.endsWith('.js') ? [process.execPath, [cli, ...args]] : ['npm', args];
  return spawnSync(cmd, argv, { cwd: ROOT, stdio: 'inherit' });
}

function stamp() {
  const inputs = fingerprint();
  if (inputs === null) return 0;
  writeFileSync(STAMP, `${JSON.stringify({ inputs, builtAt: new Date().toISOString() })}\n`);
  return 0;
}

function prepare() {
  const built = OUTPUTS.every((f) => existsSync(join(ROOT, f)));
  const inputs = fingerprint();
  if (built && (inputs === null || readStamp() === inputs)) return 0;
  if (!built && inputs === null) {
    // Only package.json and the lock are here yet (the Dockerfile installs before it copies the sources).
    say('no sources to build yet; `npm run build` builds dist/ once they are here.');
    return 0;
  }
  if (!hasTypeScript()) {
    if (built) {
      say('TypeScript is not installed (a production install), so the existing dist/ is used as it is.');
      if (inputs !== null) say('dist/ was not built from the current sources: run `npm run build` where the dev dependencies are installed, then install again.');
      return 0;
    }
    say('dist/ is missing and TypeScript is not installed (a production install: npm ci --omit=dev).');
    say('Build first, then drop the dev dependencies: `npm ci && npm run build && npm prune --omit=dev`.');
    return 1;
  }
  say(built ? 'dist/ is older than its sources: rebuilding (npm run build)...' : 'building dist/ (npm run build)...');
  const started = performance.now();
  const res = npm(['run', 'build', '--silent']);
  if (res.status !== 0) {
    say(`the build failed${res.error ? ` (${res.error.message})` : ''}; fix the errors above and run \`npm run build\`.`);
    return res.status ?? 1;
  }
  say(`built dist/ in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

if (process.argv[1] && relative(fileURLToPath(import.meta.url), process.argv[1]) === '') {
  process.exitCode = process.argv.includes('--stamp') ? stamp() : prepare();
}
