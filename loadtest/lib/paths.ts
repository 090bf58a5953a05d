/**
 * Where things are, from a load-test module compiled to dist/loadtest/ (or
 * run from loadtest/ with tsx): found by walking up to package.json, so the
 * same code works on the host and in the container image.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'proto'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the project root above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The project root (where package.json and proto/ are). */
export const PROJECT_ROOT = findRoot();

/** The compiled vmapd entry point; the load tests always run the built server. */
export const VMAPD_CLI = join(PROJECT_ROOT, 'dist', 'src', 'cli', 'vmapd.js');

/** The compiled load-test directory (dist/loadtest), where child scripts live. */
export const LOADTEST_DIST = join(PROJECT_ROOT, 'dist', 'loadtest');

/** Directory of the proto files: vmap/v1/vmap.proto is under it. */
export const PROTO_DIR = join(PROJECT_ROOT, 'proto');

/** The baseline echo service's proto (it reuses vmap.v1 messages). */
export const ECHO_PROTO = join(PROJECT_ROOT, 'loadtest', 'proto', 'echo.proto');
