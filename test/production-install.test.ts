/**
 * The production install: what runs must not need a dev dependency, and the
 * `prepare` hook (scripts/prepare.mjs) must neither need TypeScript nor
 * rebuild a dist/ that is up to date. The whole install on a fresh copy of
 * the repository is replayed in test/deploy-docker.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/paths.js';

const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  scripts: Record<string, string>;
};

/** Every .js file below a folder. */
function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...jsFiles(full));
    else if (e.name.endsWith('.js')) out.push(full);
  }
  return out;
}

/** The bare module specifiers a compiled file loads: static and dynamic imports, re-exports, require(). */
export function importedPackages(source: string): string[] {
  const specs = new Set<string>();
  const patterns = [
    /\bimport\s+(?:[\w*${}\s,]+\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bexport\s+(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire(?:\.resolve)?\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of source.matchAll(re)) specs.add(m[1]!);
  const packages = new Set<string>();
  for (const s of specs) {
    if (s.startsWith('.') || s.startsWith('/') || s.startsWith('node:') || builtinModules.includes(s.split('/')[0]!)) continue;
    const parts = s.split('/');
    packages.add(s.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
  }
  return [...packages];
}

describe('runtime imports', () => {
  it('finds imports of every form (so the check below can fail)', () => {
    expect(
      importedPackages(`import a from 'pkg-a';\nimport { b } from "@scope/pkg-b/sub.js";\nimport 'pkg-c';\nexport * from 'pkg-d';\nconst e = await import('pkg-e');\nrequire('pkg-f'); import x from './local.js'; import fs from 'node:fs'; import path from 'path';`).sort(),
    ).toEqual(['@scope/pkg-b', 'pkg-a', 'pkg-c', 'pkg-d', 'pkg-e', 'pkg-f']);
  });

  it('what vmk serve and the CLI run (dist/src, dist/adapters) imports only dependencies, never a devDependency', () => {
    const dist = join(PROJECT_ROOT, 'dist');
    const files = ['src', 'adapters'].flatMap((d) => {
      try {
        return jsFiles(join(dist, d));
      } catch {
        throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
      }
    });
    expect(files.length).toBeGreaterThan(30);
    const wrong: string[] = [];
    for (const f of files) {
      for (const name of importedPackages(readFileSync(f, 'utf8'))) {
        if (!(name in pkg.dependencies)) {
          wrong.push(`${relative(PROJECT_ROOT, f)} imports ${name}${name in pkg.devDependencies ? ' (a devDependency)' : ' (not in dependencies)'}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('scripts/prepare.mjs', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'vmk-prepare-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let n = 0;

  /**
   * A small project laid out like vmk: the real scripts/prepare.mjs, sources,
   * and a `build` script that records each run in build.log and writes dist/
   * and the stamp as `npm run build` does.
   */
  function project(opts: { typescript: boolean; built: boolean; sources?: boolean }): string {
    const dir = join(tmp, `p${++n}`);
    mkdirSync(join(dir, 'scripts'), { recursive: true });
    cpSync(join(PROJECT_ROOT, 'scripts', 'prepare.mjs'), join(dir, 'scripts', 'prepare.mjs'));
    const build = "node -e \"const fs=require('fs');fs.mkdirSync('dist/src',{recursive:true});for(const f of ['cli','main'])fs.writeFileSync('dist/src/'+f+'.js','');fs.appendFileSync('build.log','built\\n')\" && node scripts/prepare.mjs --stamp";
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', private: true, type: 'module', scripts: { build } }));
    if (opts.sources !== false) {
      mkdirSync(join(dir, 'src'), { recursive: true });
      mkdirSync(join(dir, 'knowledge'), { recursive: true });
      writeFileSync(join(dir, 'tsconfig.build.json'), '{}');
      writeFileSync(join(dir, 'src', 'cli.ts'), 'export {};\n');
      writeFileSync(join(dir, 'knowledge', 'article.yaml'), 'title: t\n');
    }
    if (opts.typescript) {
      mkdirSync(join(dir, 'node_modules', 'typescript'), { recursive: true });
      writeFileSync(join(dir, 'node_modules', 'typescript', 'package.json'), JSON.stringify({ name: 'typescript', version: '5.0.0', main: 'index.js' }));
      writeFileSync(join(dir, 'node_modules', 'typescript', 'index.js'), '');
    }
    if (opts.built) {
      const r = spawnSync('npm', ['run', 'build', '--silent'], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      rmSync(join(dir, 'build.log'));
    }
    return dir;
  }

  const prepare = (dir: string) => spawnSync(process.execPath, ['scripts/prepare.mjs'], { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_execpath: '' } });
  const builds = (dir: string) => {
    try {
      return readFileSync(join(dir, 'build.log'), 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };

  it('does nothing, quietly, when dist/ was built from the current sources (npx vmk in a built checkout)', () => {
    const dir = project({ typescript: true, built: true });
    const before = statSync(join(dir, 'dist', 'src', 'cli.js')).mtimeMs;
    const r = prepare(dir);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(builds(dir)).toBe(0);
    expect(statSync(join(dir, 'dist', 'src', 'cli.js')).mtimeMs).toBe(before);
  });

  it('rebuilds, saying so, when a source or a knowledge file changed', () => {
    const dir = project({ typescript: true, built: true });
    writeFileSync(join(dir, 'knowledge', 'article.yaml'), 'title: changed\n');
    const r = prepare(dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/dist\/ is older than its sources: rebuilding \(npm run build\)/);
    expect(builds(dir)).toBe(1);
    // And now it is current again.
    expect(prepare(dir).stderr).toBe('');
    expect(builds(dir)).toBe(1);
  });

  it('builds a fresh checkout where TypeScript is installed (npm ci)', () => {
    const dir = project({ typescript: true, built: false });
    const r = prepare(dir);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/building dist\/ \(npm run build\)/);
    expect(builds(dir)).toBe(1);
  });

  it('keeps the existing build in a production install (no TypeScript), even when it is stale', () => {
    const dir = project({ typescript: true, built: true });
    rmSync(join(dir, 'node_modules'), { recursive: true });
    expect(prepare(dir).stderr).toBe(''); // current: nothing to say
    writeFileSync(join(dir, 'src', 'cli.ts'), 'export const changed = 1;\n');
    const r = prepare(dir);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/TypeScript is not installed \(a production install\), so the existing dist\/ is used/);
    expect(r.stderr).toMatch(/run `npm run build` where the dev dependencies are installed/);
    expect(builds(dir)).toBe(0);
  });

  it('fails with the fix when there is no dist/ and no TypeScript', () => {
    const dir = project({ typescript: false, built: false });
    const r = prepare(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/dist\/ is missing and TypeScript is not installed/);
    expect(r.stderr).toContain('npm ci && npm run build && npm prune --omit=dev');
  });

  it('builds nothing before the sources are there (the Dockerfile installs first)', () => {
    const dir = project({ typescript: true, built: false, sources: false });
    const r = prepare(dir);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/no sources to build yet/);
    expect(builds(dir)).toBe(0);
  });

  it('is what package.json runs as prepare, and npm run build ends by writing the stamp', () => {
    expect(pkg.scripts.prepare).toBe('node scripts/prepare.mjs');
    expect(pkg.scripts.build).toMatch(/&& node scripts\/prepare\.mjs --stamp$/);
  });
});
