/**
 * Just enough of a Dockerfile and .dockerignore reader for the offline checks
 * in docker-files.test.ts (no Docker engine runs on these machines).
 */

/** One instruction: its keyword (upper case), raw arguments and the stage it belongs to. */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  /** Name (or index) of the stage, '' before the first FROM. */
  readonly stage: string;
  readonly line: number;
}

/** One build stage. */
export interface Stage {
  readonly name: string;
  /** The image or earlier stage it starts from, ARG references resolved. */
  readonly from: string;
  readonly instructions: Instruction[];
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  readonly args: Record<string, string>;
  readonly stages: Stage[];
  readonly instructions: Instruction[];
}

/** Parses `text`: continuation lines joined, comments dropped, stages split at FROM. */
export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  const stages: Stage[] = [];
  const args: Record<string, string> = {};
  const lines = text.split('\n');
  let stage = '';
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    while (line.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i]!.trim();
      if (next.startsWith('#')) continue;
      line = line.slice(0, -1).trimEnd() + ' ' + next;
    }
    const m = /^(\S+)\s*(.*)$/.exec(line)!;
    const keyword = m[1]!.toUpperCase();
    const rest = m[2]!;
    if (keyword === 'FROM') {
      const f = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest)!;
      stage = f[2] ?? String(stages.length);
      const from = f[1]!.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args[(a ?? b)!] ?? '');
      stages.push({ name: stage, from, instructions: [] });
    } else if (keyword === 'ARG' && stages.length === 0) {
      const [name, value] = rest.split('=');
      args[name!.trim()] = (value ?? '').trim();
    }
    const ins = { keyword, args: rest, stage, line: start + 1 };
    instructions.push(ins);
    stages[stages.length - 1]?.instructions.push(ins);
  }
  return { args, stages, instructions };
}

/** The words of an exec-form (JSON array) or shell-form argument string. */
export function commandWords(args: string): string[] {
  const t = args.trim();
  if (t.startsWith('[')) return JSON.parse(t) as string[];
  return t.split(/\s+/);
}

/** COPY/ADD arguments: flags, sources and the destination. */
export function copyArgs(args: string): { flags: Record<string, string>; sources: string[]; dest: string } {
  const words = commandWords(args);
  const flags: Record<string, string> = {};
  while (words[0]?.startsWith('--')) {
    const [k, v] = words.shift()!.slice(2).split('=');
    flags[k!] = v ?? '';
  }
  const dest = words.pop()!;
  return { flags, sources: words, dest };
}

/** KEY=value pairs of an ENV instruction (the `ENV a=1 b=2` form). */
export function envPairs(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of args.matchAll(/(\w+)=("[^"]*"|\S+)/g)) out[m[1]!] = m[2]!.replace(/^"|"$/g, '');
  return out;
}

/** The .dockerignore patterns, comments and blank lines dropped. */
export function parseDockerignore(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

function patternToRegExp(pattern: string): RegExp {
  const p = pattern.replace(/^\.?\//, '').replace(/\/$/, '');
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*' && p[i + 1] === '*') {
      re += '.*';
      i++;
      if (p[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A pattern naming a directory excludes everything under it.
  return new RegExp(`^${re}(/.*)?$`);
}

/** Whether `path` (relative to the context) is left out of the build context by `patterns`. */
export function isIgnored(path: string, patterns: readonly string[]): boolean {
  const p = path.replace(/^\.?\//, '').replace(/\/$/, '');
  let ignored = false;
  for (const pattern of patterns) {
    const negate = pattern.startsWith('!');
    if (patternToRegExp(negate ? pattern.slice(1) : pattern).test(p)) ignored = !negate;
  }
  return ignored;
}
