#!/usr/bin/env node
/**
 * writers: a gRPC load generator. `--clients` concurrent loops, spread over
 * `--procs` worker processes, call Alloc and Free with random sizes and
 * alignments until `--duration` or `--max-ops` runs out. Reports ops/s and
 * latency percentiles from its own HdrHistogram (µs resolution), merged
 * across processes. Loopback only (or an explicitly allowed compose service
 * name).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { hostOptions, hostPort, intIn, isMain, secondsUpTo } from './lib/cli.js';
import { makeVmapClient, type ServiceKind } from './lib/grpc.js';
import { decodeHistogram, mergeHistograms, summarize, type LatencySummary } from './lib/histogram.js';
import { LOADTEST_DIST } from './lib/paths.js';
import { MAX_BATCH, prefill, type PrefillResult } from './lib/prefill.js';
import { checkTargetHost } from './lib/target.js';
import type { WorkerConfig, WorkerMessage, WorkerResult } from './writer-worker.js';
import { messageOf } from '../src/vmap/errors.js';

/** What one writers run does. */
export interface WritersOptions {
  /** host:port of the gRPC server. */
  readonly target: string;
  readonly kind?: ServiceKind;
  /** Worker processes. */
  readonly procs: number;
  /** Concurrent loops in all, spread over the processes. */
  readonly clients: number;
  /** gRPC channels (HTTP/2 connections) per process; default 1. */
  readonly channelsPerProc?: number;
  readonly durationSec: number;
  /** Most successful ops in all. */
  readonly maxOps: number;
  /** Ops per second offered in all; 0 = closed loop. */
  readonly rate: number;
  readonly maxLive?: number;
  readonly deadlineMs?: number;
  readonly seed?: number;
  readonly cleanup?: boolean;
  /** 0 (default): the Alloc/Free mix; N: each op is one AllocBatch of N one-page areas, kept. */
  readonly batch?: number;
  readonly allowHost?: string;
  /** Called once every process is connected, just before they start. */
  readonly onReady?: () => void;
}

/** What one writers run measured. */
export interface WritersResult {
  readonly kind: ServiceKind;
  readonly procs: number;
  readonly clients: number;
  /** Offered rate, 0 for a closed loop. */
  readonly rate: number;
  /** Areas per AllocBatch when each op was one (ops are then batches; allocs, areas); absent for the Alloc/Free mix. */
  readonly batch?: number;
  readonly ops: number;
  readonly allocs: number;
  readonly frees: number;
  readonly errors: Record<string, number>;
  /** Longest process run, seconds. */
  readonly durationSec: number;
  readonly opsPerSec: number;
  readonly latency: LatencySummary;
  /** Cores the writer processes used in all. */
  readonly clientCores: number;
}

interface Worker {
  readonly child: ChildProcess;
  readonly messages: WorkerMessage[];
  readonly waiters: (() => void)[];
  readonly exited: Promise<unknown>;
}

function nextMessage(w: Worker, type: WorkerMessage['type'], timeoutMs: number): Promise<WorkerMessage> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`writer process ${w.child.pid} sent no "${type}" within ${timeoutMs} ms`)), timeoutMs);
    const check = (): boolean => {
      const i = w.messages.findIndex((m) => m.type === type || m.type === 'error');
      if (i < 0) return false;
      clearTimeout(timer);
      const m = w.messages.splice(i, 1)[0]!;
      if (m.type === 'error') reject(new Error(`writer process ${w.child.pid}: ${m.message}`));
      else resolve(m);
      return true;
    };
    if (!check()) w.waiters.push(() => void check());
    void w.exited.then(() => {
      if (!check()) {
        clearTimeout(timer);
        reject(new Error(`writer process ${w.child.pid} exited before "${type}"`));
      }
    });
  });
}

/** Every writer process running, so an interrupted run can stop them by pid. */
const runningWorkers = new Set<ChildProcess>();

/** Kills every writer process still running (SIGKILL by pid): for an interrupted run. */
export function stopAllWriters(): void {
  for (const child of runningWorkers) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }
  runningWorkers.clear();
}

/** Split `total` into `parts` near-equal whole numbers. */
function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** Runs the worker processes and merges what they measured. Every process is stopped by its pid. */
export async function runWriters(options: WritersOptions): Promise<WritersResult> {
  const host = options.target.replace(/:\d+$/, '');
  checkTargetHost(host, options.allowHost);
  const kind = options.kind ?? 'vmap';
  const procs = Math.max(1, Math.min(options.procs, options.clients));
  const clientsPer = split(options.clients, procs);
  const opsPer = split(options.maxOps, procs);
  const ratesPer = options.rate > 0 ? split(options.rate, procs) : clientsPer.map(() => 0);
  const deadlineMs = options.deadlineMs ?? 10000;
  const workers: Worker[] = clientsPer.map((clients, i) => {
    const config: WorkerConfig = {
      target: options.target,
      kind,
      clients,
      channels: options.channelsPerProc ?? 1,
      durationMs: Math.round(options.durationSec * 1000),
      maxOps: opsPer[i]!,
      rate: ratesPer[i]!,
      maxLive: options.maxLive ?? 64,
      deadlineMs,
      seed: (options.seed ?? 1) * 100 + i,
      cleanup: options.cleanup ?? true,
      batch: options.batch ?? 0,
    };
    const child = fork(join(LOADTEST_DIST, 'writer-worker.js'), [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    runningWorkers.add(child);
    const w: Worker = { child, messages: [], waiters: [], exited: once(child, 'exit') };
    child.on('message', (m: WorkerMessage) => {
      w.messages.push(m);
      for (const f of w.waiters.splice(0)) f();
    });
    return w;
  });
  try {
    await Promise.all(workers.map((w) => nextMessage(w, 'ready', 20000)));
    options.onReady?.();
    for (const w of workers) w.child.send({ type: 'go' });
    // Bounded: the run, one deadline for the calls in flight, and time for cleanup.
    const limit = options.durationSec * 1000 + 2 * deadlineMs + 30000;
    const results = (await Promise.all(workers.map((w) => nextMessage(w, 'done', limit)))).map((m) => (m as { result: WorkerResult }).result);
    const errors: Record<string, number> = {};
    for (const r of results) for (const [k, v] of Object.entries(r.errors)) errors[k] = (errors[k] ?? 0) + v;
    const ops = results.reduce((s, r) => s + r.ops, 0);
    const durationSec = Math.max(...results.map((r) => r.elapsedMs)) / 1000;
    return {
      kind,
      procs,
      clients: options.clients,
      rate: options.rate,
      ...(options.batch !== undefined && options.batch > 0 ? { batch: options.batch } : {}),
      ops,
      allocs: results.reduce((s, r) => s + r.allocs, 0),
      frees: results.reduce((s, r) => s + r.frees, 0),
      errors,
      durationSec,
      opsPerSec: ops / durationSec,
      latency: summarize(mergeHistograms(results.map((r) => decodeHistogram(r.histogram)))),
      clientCores: Math.round((results.reduce((a, r) => a + r.cpuSec, 0) / durationSec) * 100) / 100,
    };
  } finally {
    for (const w of workers) {
      if (w.child.exitCode === null && w.child.signalCode === null && w.child.pid !== undefined) process.kill(w.child.pid, 'SIGKILL');
    }
    await Promise.all(workers.map((w) => w.exited));
    for (const w of workers) runningWorkers.delete(w.child);
  }
}

/** One line for a terminal. */
export function formatWriters(r: WritersResult): string {
  const l = r.latency;
  const errs = Object.entries(r.errors).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  if (r.batch !== undefined) {
    return (
      `${r.opsPerSec.toFixed(1)} AllocBatch/s of ${r.batch} areas over ${r.durationSec.toFixed(2)}s (${r.ops} batches, ${r.allocs} areas) ` +
      `from ${r.procs} process(es), ${r.clients} client(s), back to back; batch latency ms p50 ${l.p50} p99 ${l.p99} max ${l.max}; errors: ${errs}`
    );
  }
  return (
    `${Math.round(r.opsPerSec)} ops/s over ${r.durationSec.toFixed(2)}s (${r.ops} ops: ${r.allocs} allocs, ${r.frees} frees) ` +
    `from ${r.procs} processes, ${r.clients} clients${r.rate > 0 ? `, offered ${r.rate}/s` : ', closed loop'}; ` +
    `latency ms p50 ${l.p50} p99 ${l.p99} p99.9 ${l.p999} max ${l.max}; errors: ${errs}`
  );
}

async function main(): Promise<void> {
  const cmd = new Command()
    .name('writers')
    .description('Concurrent gRPC Alloc/Free load against vmapd; bounded by --duration and --max-ops.')
    .addOption(new Option('--grpc-port <port>', 'vmapd gRPC port').env('LOADTEST_GRPC_PORT').default(50051).argParser(intIn(1, 65535)))
    .addOption(new Option('--procs <n>', 'worker processes (one Node client process tops out around 8-11k calls/s)').env('LOADTEST_PROCS').default(2).argParser(intIn(1, 64)))
    .addOption(new Option('--clients <n>', 'concurrent calls in flight in all (closed-loop clients)').env('LOADTEST_CLIENTS').default(16).argParser(intIn(1, 4096)))
    .addOption(new Option('--channels <n>', 'gRPC connections per process').default(1).argParser(intIn(1, 1024)))
    .addOption(new Option('-d, --duration <s>', 'seconds to run (at most 3600)').env('LOADTEST_DURATION').default(10).argParser(secondsUpTo(3600)))
    .addOption(new Option('--max-ops <n>', 'stop after this many successful ops').default(5_000_000).argParser(intIn(1, 1_000_000_000)))
    .addOption(new Option('--rate <n>', 'ops/s offered in all; 0 = closed loop').env('LOADTEST_RATE').default(0).argParser(intIn(0, 10_000_000)))
    .addOption(new Option('--max-live <n>', 'live areas each client keeps at most').default(64).argParser(intIn(1, 100000)))
    .addOption(new Option('--prefill <k>', 'first add this many areas (AllocBatch) and keep them').env('LOADTEST_PREFILL').default(0).argParser(intIn(0, 10_000_000)))
    .addOption(new Option('--seed <n>', 'random seed').default(1).argParser(intIn(0, 2 ** 31)))
    .addOption(new Option('--batch <n>', 'each op is one AllocBatch of n one-page areas, kept (0: the Alloc/Free mix)').default(0).argParser(intIn(0, MAX_BATCH)))
    .addOption(new Option('--no-cleanup', 'leave the clients\' live areas allocated at the end'))
    .addOption(new Option('--json', 'print the result as JSON'));
  for (const o of hostOptions()) cmd.addOption(o);
  const o = cmd.parse().opts<{
    host: string;
    allowHost?: string;
    grpcPort: number;
    procs: number;
    clients: number;
    channels: number;
    duration: number;
    maxOps: number;
    rate: number;
    maxLive: number;
    prefill: number;
    seed: number;
    cleanup: boolean;
    batch: number;
    json?: boolean;
  }>();
  const target = hostPort(checkTargetHost(o.host, o.allowHost), o.grpcPort);
  let prefilled: PrefillResult | undefined;
  if (o.prefill > 0) {
    const client = makeVmapClient(target);
    try {
      await client.ready(20000);
      prefilled = await prefill(client, o.prefill, o.seed);
    } finally {
      client.close();
    }
    if (!o.json) process.stdout.write(`prefilled ${prefilled.areas} areas in ${prefilled.ms} ms (${prefilled.method})\n`);
  }
  const result = await runWriters({
    target,
    procs: o.procs,
    clients: o.clients,
    channelsPerProc: o.channels,
    durationSec: o.duration,
    maxOps: o.maxOps,
    rate: o.rate,
    maxLive: o.maxLive,
    seed: o.seed,
    cleanup: o.cleanup,
    batch: o.batch,
    allowHost: o.allowHost,
  });
  process.stdout.write((o.json ? JSON.stringify({ prefill: prefilled, ...result }, null, 2) : formatWriters(result)) + '\n');
}

if (isMain(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`writers: ${messageOf(err)}\n`);
    process.exit(1);
  });
}
