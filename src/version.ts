/**
 * The version both command-line programs report with --version: the one in
 * the project's package.json, so there is a single place to bump it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The nearest package.json above this module. Walking up (as src/grpc/proto.ts
 * finds the proto) works from `src/` (tsx), from `dist/src/` (compiled), in the
 * image and from an installed package, where the file sits at different depths.
 */
function findPackageJson(): string {
  const here = fileURLToPath(import.meta.url);
  let dir = dirname(here);
  for (;;) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find package.json above ${here}`);
    dir = parent;
  }
}

/**
 * The `version` field of vmapd's package.json.
 *
 * @throws Error when there is no package.json above this module or it has no version
 */
export function packageVersion(): string {
  const path = findPackageJson();
  const { version } = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string' || version === '') throw new Error(`${path}: no "version"`);
  return version;
}
