import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { cliPath } from '../helpers/server.js';

/**
 * Loaded before vmapd's command line (`--import`): at exit, writes to stderr
 * the packages whose CommonJS modules were loaded (every package named here
 * is CommonJS, so each module of it lands in require's cache).
 */
const RECORD_PACKAGES = `data:text/javascript,${encodeURIComponent(`
import { createRequire } from 'node:module';
const cache = createRequire(process.execPath).cache;
process.on('exit', () => {
  const names = new Set();
  for (const path of Object.keys(cache)) {
    const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(path);
    if (m) names.add(m[1]);
  }
  process.stderr.write('PACKAGES ' + JSON.stringify([...names]) + '\\n');
});
`)}`;

/** What `vmapd --version` loaded before it exited, and its exit code. */
async function packagesBeforeStart(): Promise<{ code: number; packages: string[]; stdout: string }> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--import', RECORD_PACKAGES, cliPath('vmapd'), '--version'], { timeout: 20000 }, (err, stdout, stderr) => {
      const line = stderr.split('\n').find((l) => l.startsWith('PACKAGES '));
      if (line === undefined) return reject(new Error(`no package list: ${err?.message ?? ''} ${stderr}`));
      resolve({ code: err === null ? 0 : ((err as { code?: number }).code ?? 1), packages: JSON.parse(line.slice('PACKAGES '.length)) as string[], stdout });
    }),
  );
}

describe('vmapd start order', () => {
  // --version exits while the options are read, once every module the
  // command line imports up front is in: what loads before the HTTP threads
  // and the store's worker are started. gRPC, protobuf and the HTTP stack
  // load later (the HTTP stack only on its threads), so those threads start
  // without waiting for them.
  it('loads no gRPC, protobuf or HTTP module before its threads start', async () => {
    const { code, packages, stdout } = await packagesBeforeStart();
    assert.equal(code, 0);
    assert.match(stdout, /\d+\.\d+\.\d+/);
    // The recorder sees what the command line loads: commander reads the options.
    assert.ok(packages.includes('commander'), `commander among ${packages.join(', ')}`);
    for (const heavy of ['@grpc/grpc-js', '@grpc/proto-loader', 'protobufjs', 'fastify', 'prom-client']) {
      assert.ok(!packages.includes(heavy), `${heavy} loaded before the threads start (${packages.join(', ')})`);
    }
  });
});
