/**
 * vmapd driven by gRPC Python (grpcio, C core), a stack we did not write,
 * with stubs protoc generates from our proto at test time: every RPC, every
 * error code, health and reflection. test/interop/vmap_client.py makes the
 * calls and prints what it saw; this test starts the servers, answers the
 * script's waits, and asserts.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { StoreFailure } from '../../src/store/errors.js';
import { DEFAULT_SPACE_BASE } from '../../src/vmap/geometry.js';
import { call, collect, projectRoot, startTestServer, type TestServer } from '../helpers/server.js';
import { checkErrors, checkHealth, checkReflection, checkRpcs, checkStall, type Observations } from './python-observations.js';

const run = promisify(execFile);
/** Debian's Python, which has python3-grpcio and python3-protobuf (the pyenv python3 on PATH has neither). */
const PYTHON = '/usr/bin/python3';
const PROTOC = '/usr/bin/protoc';
const GRPC_PYTHON_PLUGIN = '/usr/bin/grpc_python_plugin';
const GRPC_PROTO = '/usr/share/grpc-proto';
const SCRIPT = join(projectRoot(), 'test', 'interop', 'vmap_client.py');
const TOKENS = { alice: 'alice-token-0123456789', bob: 'bob-token-0123456789abc' };
/** How long the script may run in all; it bounds each of its own calls too. */
const SCRIPT_TIMEOUT_MS = 180_000;
const EVENT = 'vmap-interop-event ';

/** Fails, saying what to install, unless Debian's Python can import grpc and protobuf. */
async function requirePythonGrpc(): Promise<void> {
  try {
    await run(PYTHON, ['-c', 'import grpc, google.protobuf'], { timeout: 30_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    assert.fail(`${PYTHON} cannot import grpc and google.protobuf: install Debian's python3-grpcio and python3-protobuf (CI does). ${e.stderr ?? e.message}`);
  }
}

/**
 * Generates Python stubs into `dir`. The standard protos are mapped to
 * grpc_health/ and grpc_reflection/, as grpcio's own packages name them: a
 * generated `grpc/` directory would be shadowed by the grpc package.
 */
async function generateStubs(dir: string): Promise<void> {
  const args = [
    '-I',
    'proto',
    `-Igrpc_health=${GRPC_PROTO}/grpc/health`,
    `-Igrpc_reflection=${GRPC_PROTO}/grpc/reflection`,
    `--python_out=${dir}`,
    `--grpc_out=${dir}`,
    `--plugin=protoc-gen-grpc=${GRPC_PYTHON_PLUGIN}`,
    'vmap/v1/vmap.proto',
    'grpc_health/v1/health.proto',
    'grpc_reflection/v1/reflection.proto',
    'grpc_reflection/v1alpha/reflection.proto',
  ];
  try {
    await run(PROTOC, args, { cwd: projectRoot(), timeout: 60_000 });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    assert.fail(`protoc could not generate the Python stubs (protobuf-compiler, protobuf-compiler-grpc and grpc-proto are needed; CI installs them): ${e.stderr ?? e.message}`);
  }
}

/** A pino destination that resolves `stalled` at the first "listing stalled" line. */
function stallWatcher(): { stream: Writable; stalled: Promise<void> } {
  let resolve: () => void = () => {};
  const stalled = new Promise<void>((r) => (resolve = r));
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.includes('"listing stalled')) resolve();
      done();
    },
  });
  return { stream, stalled };
}

describe('interop: gRPC Python drives vmapd', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmapd-interop-'));
  const servers: TestServer[] = [];
  let open: TestServer;
  let closing: TestServer;
  let observed: Observations;

  before(async () => {
    await requirePythonGrpc();
    const stubs = join(dir, 'stubs');
    mkdirSync(stubs);
    await generateStubs(stubs);
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, `${TOKENS.alice} alice\n${TOKENS.bob} bob\n`);
    let failures = 1;
    const watcher = stallWatcher();
    const start = async (...args: Parameters<typeof startTestServer>): Promise<TestServer> => {
      const s = await startTestServer(...args);
      servers.push(s);
      return s;
    };
    open = await start();
    const small = await start({ spaceSize: 64n * 1024n });
    const secured = await start({ tokens, quotaAreas: 2 });
    const failing = await start(
      {},
      {
        hooks: {
          // Exactly one commit fails, as on a disk that was full for a moment.
          beforeCommit: async () => {
            if (failures-- > 0) throw new StoreFailure('the disk holding the store is full', false);
          },
        },
      },
    );
    const stall = await start({ stallTimeoutMs: 1000, maxListings: 1 }, { logger: pino({ level: 'warn' }, watcher.stream) });
    closing = await start({ shutdownGraceMs: 2000 });
    const config = {
      stubs,
      base: DEFAULT_SPACE_BASE.toString(),
      tokens: TOKENS,
      targets: { open: open.grpcTarget, small: small.grpcTarget, tokens: secured.grpcTarget, failing: failing.grpcTarget, stall: stall.grpcTarget, closing: closing.grpcTarget },
    };
    observed = await runScript(config, {
      // The script's listing has stalled: go on once the server has given up on it.
      stalling: async (child) => {
        await watcher.stalled;
        child.stdin!.write('go\n');
      },
      watching: async () => {
        await closing.stop();
      },
    });
  });

  after(async () => {
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs on grpcio', () => {
    assert.match(observed.versions.grpc, /^\d+\.\d+/);
  });

  it('every RPC answers as the contract says, and Node reads back what Python was given', async () => {
    checkRpcs(observed.rpcs);
    const left = await collect(open.client, 'ListAreas', { include_lazy: true });
    assert.deepEqual(left, observed.rpcs.alloc_batch, 'after the free and purge, the batch areas are what is left');
    for (const a of observed.rpcs.alloc_batch) assert.deepEqual(await call(open.client, 'Find', { addr: a.addr }), a);
    // Every later Python call on this server was refused: nothing was published since.
    assert.deepEqual(await call(open.client, 'MemInfo', {}), observed.rpcs.meminfo_after_purge);
  });

  it('every error code, with the field or quota named in the trailing metadata', () => {
    checkErrors(observed.errors);
  });

  it('a stalled listing ends with DEADLINE_EXCEEDED naming the last area sent, and the rest can be listed from there', () => {
    checkStall(observed.stall, 20_000);
  });

  it('health: SERVING when ready, NOT_SERVING while a commit failed and during shutdown', () => {
    checkHealth(observed.health);
  });

  it('reflection lists every service and serves vmap/v1/vmap.proto with the schema protoc compiled', () => {
    checkReflection(observed.reflection);
  });
});

/** What the test does when the script reports `event`. */
type EventHandlers = Record<string, (child: ReturnType<typeof spawn>) => Promise<void>>;

/**
 * Runs the script with `config`, answering its events; resolves with its
 * JSON document. The script is stopped by its pid if it outlives SCRIPT_TIMEOUT_MS.
 */
async function runScript(config: object, handlers: EventHandlers): Promise<Observations> {
  // -B: no __pycache__ in the source tree.
  const child = spawn(PYTHON, ['-B', SCRIPT, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), SCRIPT_TIMEOUT_MS);
  const closed = new Promise<[number | null, string | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  let stdout = '';
  let stderr = '';
  const pending: Promise<unknown>[] = [];
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  createInterface({ input: child.stderr! }).on('line', (line) => {
    // Events stay in the log: a script killed while waiting shows where.
    stderr += `${line}\n`;
    if (!line.startsWith(EVENT)) return;
    const handler = handlers[line.slice(EVENT.length)];
    if (handler === undefined) stderr += `(no handler for this event)\n`;
    // A handler waits for the server, never past the script's end.
    else pending.push(Promise.race([handler(child), closed]));
  });
  const [code, signal] = await closed;
  clearTimeout(timer);
  await Promise.all(pending);
  assert.equal(code, 0, `${SCRIPT} exited with ${code ?? signal}:\n${stderr}`);
  try {
    return JSON.parse(stdout) as Observations;
  } catch {
    assert.fail(`${SCRIPT} printed no JSON document:\n${stdout}\n${stderr}`);
  }
}
