/**
 * The loads a compare phase puts on a server: a /meminfo flood (autocannon),
 * writer processes (gRPC Alloc/Free or Echo), both over the same seconds,
 * and the CPU meter around a measurement.
 */
import { runFlood, type FloodOptions, type FloodResult } from '../meminfo-flood.js';
import { runWriters, type WritersOptions, type WritersResult } from '../writers.js';
import { cpuMeter, type CpuUse } from '../lib/cpu.js';
import type { CompareSettings } from '../lib/results.js';

/** Assumed prefill speed for the progress estimate, areas/s. */
export const PREFILL_RATE = 30000;
/** Extra warm-up for the first measurement on a fresh server: its first seconds run a few percent slow. */
export const FRESH_WARMUP_SEC = 3;
/** The baseline body when no /meminfo was measured (no vmapd step got that far): what /meminfo measured in the sample run. */
export const DEFAULT_BODY_BYTES = 169;

/** Ops/s one writer process offers at a fixed rate without being the bottleneck (it closes a loop at several thousand). */
const RATED_OPS_PER_PROC = 2000;

/** A flood of `url` for `durationSec` with the run's connections and pipelining. */
export function floodOptions(s: CompareSettings, url: string, durationSec: number): FloodOptions {
  return {
    url,
    connections: s.connections,
    pipelining: s.pipelining,
    durationSec,
    // A count bound on top of time: far above what one autocannon process can reach in that time.
    maxRequests: Math.ceil(durationSec * 200_000),
  };
}

/** Writers against `target` for `durationSec`, at `rate` ops/s or (0) in a closed loop. */
export function writersOptions(s: CompareSettings, target: string, durationSec: number, rate: number, kind: 'vmap' | 'echo' = 'vmap'): WritersOptions {
  return {
    target,
    kind,
    // An offered rate needs one process per RATED_OPS_PER_PROC: more would only take CPU
    // from the server on a small machine. Closed loops use them all.
    procs: rate > 0 ? Math.min(s.procs, Math.ceil(rate / RATED_OPS_PER_PROC)) : s.procs,
    clients: s.clients,
    channelsPerProc: s.channelsPerProc,
    durationSec,
    maxOps: Math.ceil(durationSec * 200_000),
    rate,
    seed: s.seed,
  };
}

/**
 * The AllocBatch loop of phase 5 against `target` for `durationSec`: one
 * process, one call at a time, back to back, each allocating
 * `s.batchAreas` one-page areas. Bounded by time and by a count far above
 * what the writer can serve (a batch of 10,000 takes tens of ms or more).
 */
export function batchOptions(s: CompareSettings, target: string, durationSec: number): WritersOptions {
  return {
    target,
    kind: 'vmap',
    procs: 1,
    clients: 1,
    channelsPerProc: 1,
    durationSec,
    maxOps: Math.ceil(durationSec * 100),
    rate: 0,
    batch: s.batchAreas ?? 10000,
    cleanup: false,
    // A batch can wait behind a locked walk of every area: give it longer than the mix's calls.
    deadlineMs: 30000,
    seed: s.seed,
  };
}

/**
 * Writers and a flood over the same seconds: the flood starts once every
 * writer process is connected. The side being measured (`measured`) runs
 * for its duration; the other runs one second longer, so the measured
 * window never has a tail without the other load (autocannon stops on a
 * one-second tick).
 */
export async function together(w: WritersOptions, f: FloodOptions, measured: 'writers' | 'flood'): Promise<{ writers: WritersResult; flood: FloodResult }> {
  let flood: Promise<FloodResult> | undefined;
  const wo = measured === 'flood' ? { ...w, durationSec: w.durationSec + 1 } : w;
  const fo = measured === 'writers' ? { ...f, durationSec: f.durationSec + 1 } : f;
  const writers = await runWriters({ ...wo, onReady: () => (flood = runFlood(fo)) });
  if (flood === undefined) throw new Error('the writers never started');
  return { writers, flood: await flood };
}

/** Runs `fn` while metering the CPU of the server `pid` (and of a second server `peerPid`) and of the machine. */
export async function metered<T>(pid: number, fn: () => Promise<T>, peerPid?: number): Promise<T & { cpu: CpuUse }> {
  const stop = cpuMeter(pid, peerPid);
  const value = await fn();
  return { ...value, cpu: stop() };
}
