#!/usr/bin/env node
/**
 * The ceilings of the comparison: a bare fastify route that returns a
 * constant body the size of /meminfo, and a bare grpc-js unary Echo. Runs as
 * its own process, like vmapd, on ephemeral 127.0.0.1 ports, and logs one
 * JSON line {"msg":"baseline listening","grpc":"host:port","http":"host:port"}.
 * Stops on SIGTERM.
 *
 * `--threads N` serves the route as vmapd's reader threads serve /meminfo:
 * N worker threads, each a fastify instance on the same port with
 * SO_REUSEPORT (the first binds port 0, the others the port it got). Without
 * it (0) the route runs on the main thread beside the echo, as it always
 * did. The echo stays on the main thread either way.
 */
import { once } from 'node:events';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import { Command, InvalidArgumentError, Option } from 'commander';
import Fastify, { type FastifyInstance, type FastifyListenOptions } from 'fastify';
import { echoService } from './lib/grpc.js';

/** What a route thread is told. */
interface RouteThreadData {
  readonly bodyBytes: number;
  /** 0 for the first thread (any free port), then the port it got. */
  readonly port: number;
}

/** What a route thread says: its port once listening, or why it could not. */
type RouteThreadMessage = { type: 'listening'; port: number } | { type: 'failed'; error: string } | { type: 'closed' };

/** The bare route: a constant body with /meminfo's content type, so the bytes on the wire match. */
function bareApp(bodyBytes: number): FastifyInstance {
  const body = 'x'.repeat(bodyBytes - 1) + '\n';
  const app = Fastify({ logger: false });
  app.get('/meminfo', (_req, reply) => {
    void reply.type('text/plain; charset=utf-8').send(body);
  });
  app.get('/healthz', (_req, reply) => {
    void reply.type('text/plain; charset=utf-8').send('ok\n');
  });
  return app;
}

function portOf(app: FastifyInstance): number {
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

/** A route thread: listens with reusePort, closes when the main thread says so. */
async function routeThread(): Promise<void> {
  const port = parentPort!;
  const data = workerData as RouteThreadData;
  const post = (m: RouteThreadMessage): void => port.postMessage(m);
  const app = bareApp(data.bodyBytes);
  port.on('message', (m: { type?: string }) => {
    if (m.type === 'close') void app.close().then(() => post({ type: 'closed' }));
  });
  // fastify hands its listen options to net.Server.listen whole; its types only lack reusePort.
  const listenOptions: FastifyListenOptions & { reusePort: boolean } = { host: '127.0.0.1', port: data.port, reusePort: true };
  try {
    await app.listen(listenOptions);
  } catch (err) {
    post({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
    return;
  }
  post({ type: 'listening', port: portOf(app) });
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0 || n > 64) throw new InvalidArgumentError('must be an integer from 0 to 64');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

/** Starts one route thread on `port` and waits (at most 10 s) until it listens. */
async function startRouteThread(bodyBytes: number, port: number): Promise<{ worker: Worker; port: number }> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { bodyBytes, port } satisfies RouteThreadData });
  const [m] = (await Promise.race([
    once(worker, 'message'),
    once(worker, 'error').then(([err]) => [{ type: 'failed', error: String(err) }]),
    new Promise((resolve) => setTimeout(() => resolve([{ type: 'failed', error: 'no "listening" within 10 s' }]), 10000).unref()),
  ])) as [RouteThreadMessage];
  if (m.type !== 'listening') {
    await worker.terminate();
    throw new Error(`route thread: ${m.type === 'failed' ? m.error : m.type}`);
  }
  return { worker, port: m.port };
}

async function main(): Promise<void> {
  const opts = new Command()
    .name('baseline-server')
    .description('Bare fastify route and grpc-js echo: the ceilings vmapd is compared with.')
    .addOption(new Option('--body-bytes <n>', 'size of the constant HTTP body (make it the size of /meminfo)').default(163).argParser(positive))
    .addOption(new Option('--threads <n>', 'serve the route from N worker threads on one port (SO_REUSEPORT); 0: on the main thread').default(0).argParser(nonNegative))
    .parse()
    .opts<{ bodyBytes: number; threads: number }>();

  const server = new grpc.Server();
  server.addService(echoService(), {
    Echo: (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const r = call.request;
      // An Area of the same shape as Alloc's reply, with no allocator behind it.
      callback(null, { addr: '18446683600570023936', size: r.size, area_size: r.size, caller: r.caller, owner: 'anonymous', lazy: false });
    },
  });
  const grpcPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port)));
  });

  let app: FastifyInstance | undefined;
  const workers: Worker[] = [];
  let httpPort: number;
  if (opts.threads === 0) {
    app = bareApp(opts.bodyBytes);
    await app.listen({ host: '127.0.0.1', port: 0 });
    httpPort = portOf(app);
  } else {
    const first = await startRouteThread(opts.bodyBytes, 0);
    workers.push(first.worker);
    httpPort = first.port;
    for (let i = 1; i < opts.threads; i++) workers.push((await startRouteThread(opts.bodyBytes, httpPort)).worker);
  }
  process.stdout.write(
    JSON.stringify({ msg: 'baseline listening', grpc: `127.0.0.1:${grpcPort}`, http: `127.0.0.1:${httpPort}`, bodyBytes: opts.bodyBytes, threads: opts.threads }) + '\n',
  );

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.forceShutdown();
    const closed = workers.map(async (w) => {
      w.postMessage({ type: 'close' });
      await once(w, 'message');
      await w.terminate();
    });
    void Promise.all([app?.close(), ...closed]).then(() => process.exit(0));
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (isMainThread) await main();
else await routeThread();
