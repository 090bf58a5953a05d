/**
 * Starting real vmapd servers for tests: in-process (to reach test-only
 * hooks) or as a child process (for signals and crashes), always on
 * 127.0.0.1 with ephemeral ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { DEFAULT_CONFIG, type VmapdConfig } from '../../src/config.js';
import { VmapClient } from '../../src/grpc/proto.js';
import { startVmapd, type StartOptions, type Vmapd } from '../../src/vmapd.js';

/** A vmapd started in this process, with a gRPC client and the HTTP base URL. */
export interface TestServer {
  readonly vmapd: Vmapd;
  readonly client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  readonly httpUrl: string;
  readonly grpcTarget: string;
  /** Closes the client, then the server. */
  stop(): Promise<void>;
}

/**
 * HTTP threads of the servers tests start: VMAPD_TEST_HTTP_THREADS (the test
 * script runs the HTTP suites at 1 and at 2), else 1, whatever the cores.
 */
export const TEST_HTTP_THREADS = Number(process.env.VMAPD_TEST_HTTP_THREADS ?? 1);

/** Starts vmapd in this process on ephemeral ports with `overrides`. */
export async function startTestServer(overrides: Partial<VmapdConfig> = {}, options: StartOptions = {}): Promise<TestServer> {
  const config: VmapdConfig = { ...DEFAULT_CONFIG, grpcPort: 0, httpPort: 0, httpThreads: TEST_HTTP_THREADS, logLevel: 'silent', store: 'memory', ...overrides };
  const vmapd = await startVmapd(config, { logger: pino({ level: 'silent' }), ...options });
  const grpcTarget = `127.0.0.1:${vmapd.grpcPort}`;
  const client = grpcClient(vmapd.grpcPort);
  return {
    vmapd,
    client,
    httpUrl: `http://127.0.0.1:${vmapd.httpPort}`,
    grpcTarget,
    async stop() {
      client.close();
      await vmapd.close();
    },
  };
}

/** A gRPC client of vmap.v1.Vmap on 127.0.0.1:`port`; close it when done. */
export function grpcClient(port: number): TestServer['client'] {
  return new VmapClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as TestServer['client'];
}

/**
 * Calls unary RPC `method` on `client`, as a promise. Raw on purpose: the
 * server's tests check the wire form and the bare grpc-js status; clients
 * of vmapd use VmapClient (src/client/).
 */
export function call<T = Record<string, unknown>>(client: TestServer['client'], method: string, request: object, options: grpc.CallOptions = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fn = client[method];
    if (typeof fn !== 'function') throw new Error(`no RPC ${method}`);
    fn.call(client, request, new grpc.Metadata(), options, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

/**
 * Calls unary RPC `method`, waiting out each "tried again in N ms" the server
 * answers while it knows its store to be full (a bounded number of times).
 */
export async function callOnceStoreDue<T = Record<string, unknown>>(client: TestServer['client'], method: string, request: object, options: grpc.CallOptions = {}): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await call<T>(client, method, request, options);
    } catch (err) {
      const due = /tried again in (\d+) ms/.exec((err as { details?: string }).details ?? '');
      if (due === null || tries >= 10) throw err;
      await new Promise((resolve) => setTimeout(resolve, Number(due[1]) + 5));
    }
  }
}

/** Collects every message of server-streaming RPC `method`. */
export async function collect<T = Record<string, unknown>>(client: TestServer['client'], method: string, request: object): Promise<T[]> {
  const fn = client[method];
  if (typeof fn !== 'function') throw new Error(`no RPC ${method}`);
  const stream = fn.call(client, request) as grpc.ClientReadableStream<T>;
  const out: T[] = [];
  for await (const m of stream) out.push(m as T);
  return out;
}

/** The project root (where package.json is), from dist/test/helpers or test/helpers. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!dir.endsWith('/test')) dir = dirname(dir);
  const parent = dirname(dir);
  return parent.endsWith('/dist') ? dirname(parent) : parent;
}

/** Path of the compiled entry point `name` (vmapd or vmapctl); tests run after the build. */
export function cliPath(name: 'vmapd' | 'vmapctl'): string {
  return join(projectRoot(), 'dist', 'src', 'cli', `${name}.js`);
}

/** A vmapd child process and the ports it reported. */
export interface ChildServer {
  readonly child: ChildProcess;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** Log lines seen so far (JSON, parsed). */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the exit code when the process has exited. */
  readonly exited: Promise<number | null>;
  /** What it wrote to stderr so far. */
  stderr(): string;
  /** The reader of its stdout (close it and pause stdout to stop reading the log). */
  readonly lines: Interface;
}

/** How to spawn vmapd. */
export interface SpawnOptions {
  /** How long to wait for the "vmapd listening" line. */
  readonly timeoutMs?: number;
  /** Added to this process's environment. */
  readonly env?: Record<string, string>;
  /** A command vmapd runs under (e.g. `['fiu-run', '-x']`); it must exec node. */
  readonly wrapper?: readonly string[];
  /** What starts vmapd, before its arguments; default: this node and the compiled vmapd. */
  readonly entry?: readonly string[];
  /** Working directory; default: this process's. */
  readonly cwd?: string;
}

/**
 * Spawns `node dist/src/cli/vmapd.js` with `args` on ephemeral ports and waits
 * for its "vmapd listening" line.
 */
export async function spawnVmapd(args: string[] = [], options: SpawnOptions = {}): Promise<ChildServer> {
  const { timeoutMs = 15000, env = {}, wrapper = [], entry = [process.execPath, cliPath('vmapd')], cwd } = options;
  // Tests never write into the working tree: the memory store unless a store or data dir is named.
  const store = args.includes('--store') || args.includes('--data-dir') ? [] : ['--store', 'memory'];
  const threads = args.includes('--http-threads') || env.VMAPD_HTTP_THREADS !== undefined ? [] : ['--http-threads', String(TEST_HTTP_THREADS)];
  const [command, ...rest] = [...wrapper, ...entry, '--grpc-port', '0', '--http-port', '0', ...store, ...threads, ...args];
  const child = spawn(command!, rest, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    ...(cwd === undefined ? {} : { cwd }),
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout! });
  const ports = await new Promise<{ grpc: number; http: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`vmapd did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`vmapd exited with ${code} before listening: ${stderr}`));
    });
    lines.on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      logs.push(entry);
      if (entry.msg === 'vmapd listening') {
        clearTimeout(timer);
        const port = (v: unknown): number => Number(String(v).split(':').pop());
        resolve({ grpc: port(entry.grpc), http: port(entry.http) });
      }
    });
  });
  return { child, grpcPort: ports.grpc, httpPort: ports.http, logs, exited, lines, stderr: () => stderr };
}

/**
 * The first log line of `server` (seen already or to come) that `matches`;
 * rejects after `timeoutMs`, or when the process exits first.
 */
export function waitForLog(server: ChildServer, matches: (entry: Record<string, unknown>) => boolean, timeoutMs = 15000): Promise<Record<string, unknown>> {
  const seen = server.logs.find(matches);
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const onLine = (): void => {
      const entry = server.logs.find(matches);
      if (entry === undefined) return;
      done();
      resolve(entry);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`no such log line within ${timeoutMs} ms; last lines ${JSON.stringify(server.logs.slice(-5))}`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      server.lines.off('line', onLine);
    };
    // After spawnVmapd's own listener, which pushes the parsed line to logs.
    server.lines.on('line', onLine);
    void server.exited.then(() => {
      done();
      reject(new Error(`vmapd exited before such a log line; last lines ${JSON.stringify(server.logs.slice(-5))}`));
    });
  });
}

/**
 * Stops a child server by its pid: SIGTERM, then SIGKILL if it lingers past
 * `graceMs`. Resolves with its exit code; if a signal ended it instead,
 * with a text naming the signal, the last log lines and its stderr, so that
 * an assertion on the code shows what happened.
 */
export async function stopChild(server: ChildServer, graceMs = 10000): Promise<number | string> {
  if (server.child.exitCode === null && server.child.signalCode === null) {
    server.child.kill('SIGTERM');
    const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
    await server.exited;
    clearTimeout(timer);
  }
  const { exitCode, signalCode } = server.child;
  if (exitCode !== null) return exitCode;
  return `ended by ${signalCode}; last log lines ${JSON.stringify(server.logs.slice(-5))}; stderr ${JSON.stringify(server.stderr().slice(-2000))}`;
}

/**
 * Runs `fn` against a vmapd child process started with `args` and a gRPC
 * client to it; then closes the client and stops the process by its pid,
 * failing unless it exits 0.
 */
export async function withVmapd<T>(args: string[], fn: (client: TestServer['client'], server: ChildServer) => Promise<T>): Promise<T> {
  const server = await spawnVmapd(args);
  const client = grpcClient(server.grpcPort);
  let result: T;
  try {
    result = await fn(client, server);
  } finally {
    client.close();
    await stopChild(server);
  }
  if (server.child.exitCode !== 0) throw new Error(`vmapd exited with ${server.child.exitCode ?? server.child.signalCode}`);
  return result;
}
