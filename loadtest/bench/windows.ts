/**
 * Steady-state measurement: a warm-up, then a fixed number of fixed-length
 * time windows. The overall rate (every operation over all windows, GC
 * pauses included) is the figure the targets use; the windows' median and
 * spread show how steady it was.
 */
import { performance } from 'node:perf_hooks';
import type { GcMeter } from './memory.js';
import type { Timing } from './options.js';
import { CHUNK } from './workloads.js';

/** What the windows measured. */
export interface SteadyResult {
  /** All operations in all windows over their total time, GC included. */
  opsPerSec: number;
  medianWindowOpsPerSec: number;
  minWindowOpsPerSec: number;
  maxWindowOpsPerSec: number;
  ops: number;
  seconds: number;
  /** GC time reported during the windows, and how many of those GCs were major. */
  gcMs: number;
  gcMajor: number;
}

/** The median of `xs` (not empty). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Warm-up, then `timing.windows` windows of `timing.windowMs`; `chunk()` runs CHUNK iterations (2 ops each). */
export async function measureSteady(chunk: () => void, timing: Timing, gc: GcMeter): Promise<SteadyResult> {
  const runFor = (ms: number): { ops: number; ms: number } => {
    let iters = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      chunk();
      iters += CHUNK;
      t = performance.now();
    } while (t - t0 < ms);
    return { ops: iters * 2, ms: t - t0 };
  };
  runFor(timing.warmupMs);
  // GC entries arrive late: let the warm-up's in before the baseline is read.
  await gc.flush();
  const gc0 = gc.ms;
  const major0 = gc.majors;
  const rates: number[] = [];
  let ops = 0;
  let ms = 0;
  for (let w = 0; w < timing.windows; w++) {
    const r = runFor(timing.windowMs);
    rates.push((r.ops * 1000) / r.ms);
    ops += r.ops;
    ms += r.ms;
  }
  await gc.flush();
  return {
    opsPerSec: (ops * 1000) / ms,
    medianWindowOpsPerSec: median(rates),
    minWindowOpsPerSec: Math.min(...rates),
    maxWindowOpsPerSec: Math.max(...rates),
    ops,
    seconds: ms / 1000,
    gcMs: gc.ms - gc0,
    gcMajor: gc.majors - major0,
  };
}
