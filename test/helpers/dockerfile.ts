/**
 * Reads a Dockerfile and a .dockerignore the way `docker build` does, for
 * tests that lint the image definition and replay its steps outside a
 * container (no container engine runs on the test machines).
 *
 * Supported: comments and parser directives, line continuations, ARG (with
 * ${VAR} and $VAR expansion in FROM), FROM ... AS name, ENV in the key=value
 * form, WORKDIR, COPY [--from=stage] [--chown=...] in shell and JSON form, RUN,
 * USER, EXPOSE, VOLUME, HEALTHCHECK [options] CMD, CMD. Anything else, or a
 * form this reader does not know, throws naming the line, so the Dockerfile
 * stays in the plain forms the tests can check.
 */

export interface Instruction {
  /** Upper-case keyword. */
  keyword: string;
  /** The arguments as written, continuations joined. */
  raw: string;
  /** 1-based line where the instruction starts. */
  line: number;
}

export interface CopyStep {
  from?: string;
  chown?: string;
  sources: string[];
  dest: string;
}

export type Step = { kind: 'copy'; copy: CopyStep; line: number } | { kind: 'run'; command: string; line: number };

export interface Stage {
  name: string;
  image: string;
  workdir: string;
  env: Record<string, string>;
  /** COPY and RUN in order, with the WORKDIR in force for each. */
  steps: (Step & { workdir: string })[];
  user?: string;
  expose: number[];
  volumes: string[];
  healthcheck?: { options: Record<string, string>; command: string[] };
  cmd?: string[];
}

export interface Dockerfile {
  directives: Record<string, string>;
  args: Record<string, string>;
  stages: Stage[];
}

const KNOWN = new Set(['FROM', 'ARG', 'ENV', 'WORKDIR', 'COPY', 'RUN', 'USER', 'EXPOSE', 'VOLUME', 'HEALTHCHECK', 'CMD']);

/** Splits the file into instructions: comments dropped, continuation lines joined. */
export function instructions(text: string): { directives: Record<string, string>; list: Instruction[] } {
  const lines = text.split('\n');
  const directives: Record<string, string> = {};
  const list: Instruction[] = [];
  let i = 0;
  // Parser directives: `# key=value` lines before anything else.
  for (; i < lines.length; i++) {
    const m = /^#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(lines[i]!);
    if (!m) break;
    directives[m[1]!.toLowerCase()] = m[2]!;
  }
  for (; i < lines.length; i++) {
    const first = lines[i]!;
    if (/^\s*(#|$)/.test(first)) continue;
    const start = i + 1;
    let joined = first;
    while (/\\\s*$/.test(joined)) {
      joined = joined.replace(/\\\s*$/, '');
      i += 1;
      if (i >= lines.length) throw new Error(`Dockerfile line ${start}: continuation at the end of the file`);
      const next = lines[i]!;
      if (/^\s*#/.test(next)) continue; // comments inside a continued instruction are dropped
      joined += ` ${next.trim()}`;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(joined);
    if (!m) throw new Error(`Dockerfile line ${start}: not an instruction: ${joined}`);
    const keyword = m[1]!.toUpperCase();
    if (!KNOWN.has(keyword)) throw new Error(`Dockerfile line ${start}: ${keyword} is not read by the tests; keep to ${[...KNOWN].join(', ')}`);
    list.push({ keyword, raw: m[2]!.trim(), line: start });
  }
  return { directives, list };
}

function expand(s: string, vars: Record<string, string>, line: number): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_m, a: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    const v = vars[name];
    if (v === undefined) throw new Error(`Dockerfile line ${line}: $${name} is not defined by an ARG or ENV`);
    return v;
  });
}

function jsonArray(raw: string, line: number): string[] | null {
  if (!raw.startsWith('[')) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new Error(`Dockerfile line ${line}: not a valid JSON array: ${raw}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) throw new Error(`Dockerfile line ${line}: expected a JSON array of strings`);
  return parsed;
}

/** key=value pairs, values optionally double-quoted. */
function pairs(raw: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/y;
  let rest = raw;
  while (rest.trim() !== '') {
    re.lastIndex = 0;
    const m = re.exec(rest);
    if (!m) throw new Error(`Dockerfile line ${line}: expected key=value pairs: ${raw}`);
    const v = m[2]!;
    out[m[1]!] = v.startsWith('"') ? (JSON.parse(v) as string) : v;
    rest = rest.slice(m[0].length);
  }
  return out;
}

function resolvePath(workdir: string, p: string): string {
  if (p.startsWith('/')) return p;
  const parts = `${workdir}/${p}`.split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}${p.endsWith('/') || p === '.' ? '/' : ''}`;
}

export function parseDockerfile(text: string): Dockerfile {
  const { directives, list } = instructions(text);
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  for (const ins of list) {
    const stage = stages.at(-1);
    const need = (): Stage => {
      if (!stage) throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} before the first FROM`);
      return stage;
    };
    switch (ins.keyword) {
      case 'ARG': {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(ins.raw);
        if (!m) throw new Error(`Dockerfile line ${ins.line}: ARG name[=default]`);
        if (!stage) args[m[1]!] = m[2] ?? '';
        break;
      }
      case 'FROM': {
        const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.raw);
        if (!m) throw new Error(`Dockerfile line ${ins.line}: FROM image [AS name]`);
        stages.push({ name: m[2] ?? String(stages.length), image: expand(m[1]!, args, ins.line), workdir: '/', env: {}, steps: [], expose: [], volumes: [] });
        break;
      }
      case 'ENV':
        Object.assign(need().env, pairs(ins.raw, ins.line));
        break;
      case 'WORKDIR':
        need().workdir = resolvePath(need().workdir, expand(ins.raw, need().env, ins.line)).replace(/\/$/, '') || '/';
        break;
      case 'COPY': {
        let rest = ins.raw;
        const copy: Partial<CopyStep> = {};
        for (;;) {
          const flag = /^--(from|chown|chmod|link)(?:=(\S+))?\s+/.exec(rest);
          if (!flag) break;
          if (flag[1] === 'from') copy.from = flag[2];
          else if (flag[1] === 'chown') copy.chown = flag[2];
          else throw new Error(`Dockerfile line ${ins.line}: COPY --${flag[1]} is not read by the tests`);
          rest = rest.slice(flag[0].length);
        }
        const parts = jsonArray(rest, ins.line) ?? rest.split(/\s+/);
        if (parts.length < 2) throw new Error(`Dockerfile line ${ins.line}: COPY needs a source and a destination`);
        const s = need();
        s.steps.push({ kind: 'copy', copy: { ...copy, sources: parts.slice(0, -1), dest: parts.at(-1)! }, line: ins.line, workdir: s.workdir });
        break;
      }
      case 'RUN': {
        if (ins.raw.startsWith('[') || ins.raw.startsWith('--')) throw new Error(`Dockerfile line ${ins.line}: keep RUN in the shell form without flags`);
        const s = need();
        s.steps.push({ kind: 'run', command: ins.raw, line: ins.line, workdir: s.workdir });
        break;
      }
      case 'USER':
        need().user = ins.raw;
        break;
      case 'EXPOSE':
        for (const p of ins.raw.split(/\s+/)) {
          const port = /^(\d+)(?:\/tcp)?$/.exec(p);
          if (!port) throw new Error(`Dockerfile line ${ins.line}: EXPOSE port[/tcp]`);
          need().expose.push(Number(port[1]));
        }
        break;
      case 'VOLUME':
        need().volumes.push(...(jsonArray(ins.raw, ins.line) ?? ins.raw.split(/\s+/)));
        break;
      case 'HEALTHCHECK': {
        const m = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+(.*)$/.exec(ins.raw);
        if (!m) throw new Error(`Dockerfile line ${ins.line}: HEALTHCHECK [--option=value ...] CMD [...]`);
        const options: Record<string, string> = {};
        for (const o of m[1]!.trim().split(/\s+/).filter(Boolean)) {
          const [k, v] = o.slice(2).split('=') as [string, string];
          options[k] = v;
        }
        const command = jsonArray(m[2]!, ins.line);
        if (!command) throw new Error(`Dockerfile line ${ins.line}: write the HEALTHCHECK command in the JSON (exec) form`);
        need().healthcheck = { options, command };
        break;
      }
      case 'CMD': {
        const cmd = jsonArray(ins.raw, ins.line);
        if (!cmd) throw new Error(`Dockerfile line ${ins.line}: write CMD in the JSON (exec) form, so node is PID 1 and receives SIGTERM`);
        need().cmd = cmd;
        break;
      }
    }
  }
  return { directives, args, stages };
}

/** A .dockerignore as docker reads it: patterns in order, `!` re-includes, the last match wins. */
export function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).replace(/^\/+/, '').replace(/\/+$/, '');
      let re = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i]!;
        if (c === '*' && pattern[i + 1] === '*') {
          re += '.*';
          i += 1;
          if (pattern[i + 1] === '/') i += 1;
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, re: new RegExp(`^${re}$`) };
    });
  /** True when `path` (relative, with /) is excluded from the build context. */
  return (path: string) => {
    const parts = path.split('/');
    let excluded = false;
    for (const rule of rules) {
      // A pattern that matches a folder excludes everything below it.
      for (let n = 1; n <= parts.length; n++) {
        if (rule.re.test(parts.slice(0, n).join('/'))) {
          excluded = !rule.negate;
          break;
        }
      }
    }
    return excluded;
  };
}
