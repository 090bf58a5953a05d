/**
 * One writer process (forked by writers.ts): `clients` concurrent loops over
 * `channels` gRPC channels, calling Alloc and Free (or the baseline Echo, or
 * AllocBatch of `batch` one-page areas, which keeps vmapd's writer busy for
 * a long stretch per call) until the duration or the op budget runs out. Talks to its parent over
 * IPC: "ready" once connected, waits for "go", sends "done" with counts and
 * a compressed latency histogram, then exits.
 *
 * Several processes exist because one Node gRPC client process tops out at
 * roughly 8–11k calls/s here: the client, not the server, would be measured.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AllocSpec, VmapClient } from '../src/client/index.js';
import { randomAlloc, rng } from './lib/alloc-mix.js';
import { makeEchoClient, makeVmapClient, statusName, unary, waitReady, type RpcClient, type ServiceKind } from './lib/grpc.js';
import { encodeHistogram, newHistogram, recordMs } from './lib/histogram.js';
import { PAGE_SIZE } from '../src/vmap/page.js';
import { messageOf } from '../src/vmap/errors.js';

/** What the parent tells one worker process to do. */
export interface WorkerConfig {
  /** host:port of the gRPC server (already checked against the target policy). */
  readonly target: string;
  /** vmapd (Alloc/Free) or the baseline Echo. */
  readonly kind: ServiceKind;
  /** Concurrent loops in this process. */
  readonly clients: number;
  /** gRPC channels (HTTP/2 connections) in this process; loop i uses channel i mod channels. */
  readonly channels: number;
  readonly durationMs: number;
  /** Most successful ops this process makes. */
  readonly maxOps: number;
  /** Ops per second this process offers; 0 = closed loop, as fast as replies come. */
  readonly rate: number;
  /** Live areas a loop keeps at most; at the cap it frees instead of allocating. */
  readonly maxLive: number;
  readonly deadlineMs: number;
  readonly seed: number;
  /** Free what the loops still hold when time is up, so the area count returns to where it was. */
  readonly cleanup: boolean;
  /**
   * 0: the Alloc/Free mix. N > 0: each op is one AllocBatch of N areas of one
   * page (4 KiB), kept (no frees, no cleanup: the space grows by N per op).
   */
  readonly batch: number;
}

/** What one worker process reports. */
export interface WorkerResult {
  readonly ops: number;
  readonly allocs: number;
  readonly frees: number;
  /** Failed calls by gRPC status name. */
  readonly errors: Record<string, number>;
  /** From "go" to the last loop's end (cleanup excluded), ms. */
  readonly elapsedMs: number;
  /** Latency histogram (µs), compressed base64. */
  readonly histogram: string;
  /** Areas freed by cleanup. */
  readonly cleanedUp: number;
  /** CPU seconds this process used during the run (cleanup excluded). */
  readonly cpuSec: number;
}

/** Messages a worker sends. */
export type WorkerMessage = { type: 'ready' } | { type: 'done'; result: WorkerResult } | { type: 'error'; message: string };

/** One channel of this process: vmapd's VmapClient (each call made once), or a bare Echo client. */
type Channel = { readonly vmap: VmapClient; readonly echo?: undefined } | { readonly vmap?: undefined; readonly echo: RpcClient };

/** A channel to `config.target` of `config.kind`, connected. */
async function openChannel(config: WorkerConfig): Promise<Channel> {
  if (config.kind === 'echo') {
    const echo = makeEchoClient(config.target);
    await waitReady(echo, 10000);
    return { echo };
  }
  const vmap = makeVmapClient(config.target, config.deadlineMs);
  await vmap.ready(10000);
  return { vmap };
}

async function run(config: WorkerConfig): Promise<WorkerResult> {
  const channels = await Promise.all(Array.from({ length: Math.max(1, Math.min(config.channels, config.clients)) }, () => openChannel(config)));
  const clients = Array.from({ length: config.clients }, (_, i) => channels[i % channels.length]!);
  process.send!({ type: 'ready' } satisfies WorkerMessage);
  await new Promise<void>((resolve) => {
    process.on('message', (m: { type?: string }) => {
      if (m.type === 'go') resolve();
    });
  });

  const hist = newHistogram();
  const errors: Record<string, number> = {};
  let ops = 0;
  let allocs = 0;
  let frees = 0;
  let started = 0; // ops begun, against maxOps
  let stop = false;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const timer = setTimeout(() => (stop = true), config.durationMs);
  // With a rate, op n is due at t0 + n·interval; latency counts from when it was
  // due, so a stalled server shows up as latency, not as fewer samples (wrk2-style).
  const interval = config.rate > 0 ? 1000 / config.rate : 0;
  let ticket = 0;
  const live: bigint[][] = clients.map(() => []);

  async function loop(i: number): Promise<void> {
    const client = clients[i]!;
    const mine = live[i]!;
    const random = rng(config.seed * 1000 + i);
    const caller = `loadtest/writers/${process.pid}/${i}`;
    // One request array per loop, sent again and again: the cost of building it is the client's, not the server's.
    const batch: AllocSpec[] = Array.from({ length: config.batch }, () => ({ size: PAGE_SIZE, caller }));
    while (!stop && started < config.maxOps) {
      started++;
      let due = performance.now();
      if (interval > 0) {
        due = t0 + ticket++ * interval;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (stop) break;
      }
      try {
        if (client.echo !== undefined) {
          await unary(client.echo, 'Echo', randomAlloc(random, caller), config.deadlineMs);
        } else if (config.batch > 0) {
          await client.vmap.allocBatch(batch);
          allocs += config.batch;
        } else if (mine.length > 0 && (mine.length >= config.maxLive || random() < 0.5)) {
          // Free a random one of ours: frees land all over the space, as in a real mix.
          const k = Math.floor(random() * mine.length);
          const addr = mine[k]!;
          mine[k] = mine[mine.length - 1]!;
          mine.pop();
          await client.vmap.free(addr);
          frees++;
        } else {
          const req = randomAlloc(random, caller);
          const area = await client.vmap.alloc(req.size, req);
          mine.push(area.addr);
          allocs++;
        }
        recordMs(hist, performance.now() - due);
        ops++;
      } catch (err) {
        const name = statusName(err);
        errors[name] = (errors[name] ?? 0) + 1;
      }
    }
  }

  await Promise.all(clients.map((_, i) => loop(i)));
  const elapsedMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  clearTimeout(timer);

  let cleanedUp = 0;
  if (config.cleanup && config.kind === 'vmap') {
    // Bounded: one Free per live area, each with a deadline, one loop per client.
    await Promise.all(
      clients.map(async (client, i) => {
        for (const addr of live[i]!) {
          try {
            await client.vmap?.free(addr);
            cleanedUp++;
          } catch {
            // Leaving one area behind does not matter to the next phase.
          }
        }
      }),
    );
  }
  for (const c of channels) (c.vmap ?? c.echo)?.close();
  return { ops, allocs, frees, errors, elapsedMs, histogram: encodeHistogram(hist), cleanedUp, cpuSec: (cpu.user + cpu.system) / 1e6 };
}

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
run(config).then(
  (result) => {
    process.send!({ type: 'done', result } satisfies WorkerMessage, () => process.exit(0));
  },
  (err: unknown) => {
    process.send!({ type: 'error', message: messageOf(err) } satisfies WorkerMessage, () => process.exit(1));
  },
);
