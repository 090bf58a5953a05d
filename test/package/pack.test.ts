/**
 * The npm package: `npm pack` holds what a user needs and nothing of the
 * tests or the load tests, and after `npm install -g` of the tarball into a
 * clean prefix both programs run from there: --version, and a vmapd that
 * answers HTTP and gRPC.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot, spawnVmapd, stopChild } from '../helpers/server.js';

const run = promisify(execFile);
const ROOT = projectRoot();
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * What npm sets for the scripts it runs that would steer a nested npm: where
 * it installs (a test run under `npm test` inherits npm_config_prefix and
 * npm_config_local_prefix) and what package it is in. The rest (registry,
 * cache, proxy) is kept, so the install uses the same as `npm ci` did.
 */
const NPM_STEERING = /^(npm_config_(prefix|global_prefix|local_prefix|global|location|call)|npm_(package|lifecycle)_.*|npm_command)$/i;

/**
 * This environment without NPM_STEERING and VMAPCTL_*, and with this node
 * first on PATH, so the installed bins' `#!/usr/bin/env node` finds the node
 * the tests run on.
 */
const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !NPM_STEERING.test(name) && !name.startsWith('VMAPCTL_'))),
  PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}`,
};

/** npm: the one running this test when there is one, else the one on PATH. */
const NPM = process.env.npm_execpath?.endsWith('.js') ? [process.execPath, process.env.npm_execpath] : ['npm'];

/** Runs npm with `args` in `cwd`; its stdout. */
async function npm(args: string[], cwd: string, timeout: number): Promise<string> {
  const [command, ...rest] = [...NPM, ...args];
  const { stdout } = await run(command!, rest, { cwd, env: ENV, timeout, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Every file under `dir`, relative to `base`, with `/` separators. */
function filesUnder(dir: string, base: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(base, join(e.parentPath, e.name)).split('\\').join('/'));
}

/** Compiled modules and their type declarations (for the client library), not source maps. */
const MODULE = /\.(js|d\.ts)$/;

/** What a package may hold: the programs, the page, the contract and the documents. */
const ALLOWED = /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|proto\/.+\.proto|dist\/src\/.+\.(js|d\.ts)|dist\/web\/.+)$/;

describe('npm package', () => {
  let work: string;
  let prefix: string;
  let files: string[];
  let tarball: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'vmapd-pack-'));
    prefix = join(work, 'prefix');
    // --ignore-scripts: the suite runs from dist/, which `npm test` has just
    // built; prepack must not rebuild it (rm -rf dist) under the other tests.
    const out = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT, 60_000);
    const [packed] = JSON.parse(out) as { filename: string; files: { path: string }[] }[];
    assert.ok(packed, out);
    tarball = join(work, packed.filename);
    files = packed.files.map((f) => f.path).sort();
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it(`is vmapd-${VERSION}.tgz`, () => {
    assert.equal(tarball, join(work, `vmapd-${VERSION}.tgz`));
    assert.ok(existsSync(tarball));
  });

  it('holds every compiled module (with its declarations, when built), the page, the proto and the documents', () => {
    const want = [
      ...filesUnder(join(ROOT, 'dist', 'src'), ROOT).filter((f) => MODULE.test(f)),
      ...(existsSync(join(ROOT, 'dist', 'web')) ? filesUnder(join(ROOT, 'dist', 'web'), ROOT) : []),
      ...filesUnder(join(ROOT, 'proto'), ROOT).filter((f) => f.endsWith('.proto')),
      'package.json',
      'README.md',
      'CHANGELOG.md',
      'LICENSE',
    ].sort();
    assert.deepEqual(files, want);
  });

  it("holds nothing else: no tests, load tests, TypeScript sources, the modules' source maps or the released image", () => {
    assert.deepEqual(files.filter((f) => !ALLOWED.test(f)), []);
  });

  it("holds every file package.json's exports and bins name", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports?: unknown; bin: Record<string, string> };
    /** Every file path in an exports map (conditions and subpaths nest). */
    const targets = (v: unknown): string[] => (typeof v === 'string' ? [v] : v !== null && typeof v === 'object' ? Object.values(v).flatMap(targets) : []);
    const named = [...targets(pkg.exports), ...Object.values(pkg.bin)].map((p) => p.replace(/^\.\//, ''));
    assert.deepEqual(named.filter((p) => !files.includes(p)), []);
  });

  describe('installed with npm install -g into a clean prefix', () => {
    before(async () => {
      // The dependencies come from npm's cache when `npm ci` has filled it.
      await npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], work, 240_000);
    });

    for (const name of ['vmapd', 'vmapctl'] as const) {
      it(`${name} --version prints ${VERSION}`, async () => {
        const { stdout, stderr } = await run(join(prefix, 'bin', name), ['--version'], { cwd: work, env: ENV, timeout: 20_000 });
        assert.deepEqual({ stdout, stderr }, { stdout: `${VERSION}\n`, stderr: '' });
      });
    }

    it('vmapd serves /healthz, /meminfo, the page and gRPC (asked by the installed vmapctl), and stops on SIGTERM', async () => {
      const server = await spawnVmapd(['--host', '127.0.0.1'], { entry: [join(prefix, 'bin', 'vmapd')], env: { PATH: ENV.PATH! }, cwd: work, timeoutMs: 20_000 });
      let code: number | string;
      try {
        const base = `http://127.0.0.1:${server.httpPort}`;
        const health = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5_000) });
        assert.equal(health.status, 200);
        const meminfo = await fetch(`${base}/meminfo`, { signal: AbortSignal.timeout(5_000) });
        assert.equal(meminfo.status, 200);
        assert.match(await meminfo.text(), /^VmallocTotal:\s+34359738367 kB$/m);
        const page = await fetch(`${base}/`, { signal: AbortSignal.timeout(5_000) });
        assert.equal(page.status, 200, 'the page (dist/web) is in the package');
        assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
        await page.arrayBuffer();
        const ctl = await run(join(prefix, 'bin', 'vmapctl'), ['--target', `127.0.0.1:${server.grpcPort}`, 'meminfo'], { cwd: work, env: ENV, timeout: 20_000 });
        assert.match(ctl.stdout, /^VmallocAreas:\s+0$/m);
      } finally {
        code = await stopChild(server);
      }
      assert.equal(code, 0, 'vmapd exits 0 on SIGTERM');
    });
  });
});
