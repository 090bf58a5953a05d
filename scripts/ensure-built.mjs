#!/usr/bin/env node
// `npm start` runs this first (prestart): it builds only when dist/ is older
// than the sources, so `npm start` itself can exec the server directly and
// a signal sent to the pid it started reaches vmapd.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const STAMP = join('dist', '.build-stamp');
const SOURCES = ['src', 'web', 'proto', 'tsconfig.json', 'package-lock.json', 'scripts/build-web.mjs'];

/** Newest modification time under `path`, in ms. */
function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

const built = existsSync(STAMP) ? statSync(STAMP).mtimeMs : -Infinity;
const changed = Math.max(...SOURCES.filter((p) => existsSync(p)).map(newest));
if (changed > built) {
  const r = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
