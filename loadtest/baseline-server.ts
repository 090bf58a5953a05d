#!/usr/bin/env node
/**
 * The ceilings of the comparison: a bare fastify route that returns a
 * constant body the size of /meminfo, and a bare grpc-js unary Echo. Runs as
 * its own process, like vmapd, on ephemeral 127.0.0.1 ports, and logs one
 * JSON line {"msg":"baseline listening","grpc":"host:port","http":"host:port"}.
 * Stops on SIGTERM.
 */
import * as grpc from '@grpc/grpc-js';
import { Command, InvalidArgumentError, Option } from 'commander';
import Fastify from 'fastify';
import { echoService } from './lib/grpc.js';

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

const opts = new Command()
  .name('baseline-server')
  .description('Bare fastify route and grpc-js echo: the ceilings vmapd is compared with.')
  .addOption(new Option('--body-bytes <n>', 'size of the constant HTTP body (make it the size of /meminfo)').default(163).argParser(positive))
  .parse()
  .opts<{ bodyBytes: number }>();

// Same content type as /meminfo's text body, so the bytes on the wire match.
const body = 'x'.repeat(opts.bodyBytes - 1) + '\n';
const app = Fastify({ logger: false });
app.get('/meminfo', (_req, reply) => {
  void reply.type('text/plain; charset=utf-8').send(body);
});
app.get('/healthz', (_req, reply) => {
  void reply.type('text/plain; charset=utf-8').send('ok\n');
});

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
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
const httpPort = typeof address === 'object' && address !== null ? address.port : 0;
process.stdout.write(JSON.stringify({ msg: 'baseline listening', grpc: `127.0.0.1:${grpcPort}`, http: `127.0.0.1:${httpPort}`, bodyBytes: opts.bodyBytes }) + '\n');

let stopping = false;
function stop(): void {
  if (stopping) return;
  stopping = true;
  server.forceShutdown();
  void app.close().then(() => process.exit(0));
  setTimeout(() => process.exit(1), 5000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
