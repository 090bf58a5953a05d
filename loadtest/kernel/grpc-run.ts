/**
 * The kernel cases over gRPC: one client (the client library, making each
 * call once, on a channel and HTTP/2 connection of its own) per nr_threads
 * worker, all running at once against one
 * vmapd, bounded by a duration (after which every Alloc answers NULL and
 * the cases free what they hold) and by each call's deadline.
 */
import { performance } from 'node:perf_hooks';
import type { VmapClient } from '../../src/client/index.js';
import { makeVmapClient } from '../lib/grpc.js';
import { isLoopback } from '../lib/target.js';
import { grpcBackend, type GrpcBackendState } from './grpc-backend.js';
import { clampParams, type KernelParams } from './params.js';
import { runKernelTests, type RunResult } from './runner.js';

/** How long a gRPC run may take. */
export interface GrpcRunLimits {
  /** After this, Alloc answers NULL: the running cases fail and clean up. */
  readonly durationSec: number;
  /** Deadline of each call. */
  readonly deadlineMs: number;
}

/** A gRPC run's result, with what each client saw. */
export interface GrpcRunResult extends RunResult {
  /** Per worker, failed calls by method and status. */
  readonly callErrors: readonly Record<string, number>[];
  /** Whether the duration ran out before every case finished. */
  readonly stopped: boolean;
}

/**
 * Checks that `target` (host:port) is on this machine's loopback.
 *
 * @throws Error when it is not
 */
export function checkLoopbackTarget(target: string): void {
  const host = target.replace(/:\d+$/, '');
  if (!isLoopback(host)) throw new Error(`refusing to send load to ${host}: the kernel tests only target 127.0.0.1/localhost`);
}

/**
 * Runs the kernel cases with `params` against vmapd at `target` (host:port,
 * loopback only), nr_threads concurrent clients.
 *
 * @throws Error for a host other than loopback, or a server not ready within 10 s
 */
export async function runKernelTestsOverGrpc(target: string, params: KernelParams, limits: GrpcRunLimits): Promise<GrpcRunResult> {
  checkLoopbackTarget(target);
  const p = clampParams(params);
  const clients: VmapClient[] = [];
  try {
    for (let i = 0; i < p.nrThreads; i++) clients.push(makeVmapClient(target, limits.deadlineMs));
    await Promise.all(clients.map((c) => c.ready(10000)));
    const stopAt = performance.now() + limits.durationSec * 1000;
    const states: GrpcBackendState[] = clients.map((_, i) => ({ stopAt, caller: `test_vmalloc/worker${i}`, errors: {}, stopped: false }));
    const result = await runKernelTests(p, (i) => grpcBackend(clients[i]!, states[i]!));
    return { ...result, callErrors: states.map((s) => s.errors), stopped: states.some((s) => s.stopped) };
  } finally {
    for (const c of clients) c.close();
  }
}

/** The clients' failed calls, one line per worker that had any. */
export function callErrorLines(r: GrpcRunResult): string[] {
  return r.callErrors.flatMap((errors, i) => {
    const entries = Object.entries(errors);
    return entries.length === 0 ? [] : [`worker${i}: failed calls: ${entries.map(([k, v]) => `${k} ${v}`).join(', ')}`];
  });
}
