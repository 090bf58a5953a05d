/**
 * One benchmark run per live-area count on VmapSpace (every figure of the
 * results table), and the steady-state run on the reference model that the
 * report sets beside it.
 */
import { performance } from 'node:perf_hooks';
import { VmapSpace } from '../../src/vmap/space.js';
import { SeededRandom } from '../lib/random.js';
import { ReferenceSpace } from '../lib/reference-space.js';
import { heapSample, type GcMeter, type HeapSample } from './memory.js';
import type { Timing } from './options.js';
import { consume } from './sink.js';
import { fragmentation, timeMeminfo, timeWalkMeminfo } from './space-figures.js';
import { measureSteady, type SteadyResult } from './windows.js';
import { CHUNK, LAZY_MAX_PAGES, SPACE_SHAPE, randomSize, refSteady, vmapSteady } from './workloads.js';

/** Live areas of the reference model's run; the speedup sets it beside VmapSpace's run at the same count. */
export const REF_LIVE = 10_000;

/** Every figure of one live-area count. */
export interface SizeResult {
  live: number;
  prefillMs: number;
  prefillAllocsPerSec: number;
  steady: SteadyResult;
  meminfoNsPerCall: number;
  walkMeminfoUsPerCall: number;
  /** heapUsed delta / N; null without --expose-gc. */
  heapBytesPerAreaAfterPrefill: number | null;
  /** heapUsed + arrayBuffers delta / N (typed-array backing stores included). */
  totalBytesPerAreaAfterPrefill: number | null;
  heapBytesPerAreaAfterSteady: number | null;
  totalBytesPerAreaAfterSteady: number | null;
  freeBlocks: number;
  spanPages: number;
  holePages: number;
  lazyAreas: number;
}

/** The reference model's steady state and how long its prefill took. */
export type ReferenceResult = SteadyResult & { prefillMs: number };

/** Prefills a VmapSpace with `n` areas, runs the steady state, and takes every figure. */
export async function benchSize(n: number, seed: number, timing: Timing, gc: GcMeter): Promise<SizeResult> {
  const rng = new SeededRandom(seed);
  // The live-start array is built before the baseline so the heap delta is the space alone.
  const live: number[] = [];
  for (let i = 0; i < n; i++) live.push(0);
  const before = heapSample();

  const space = new VmapSpace({ ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES });
  const p0 = performance.now();
  for (let i = 0; i < n; i++) live[i] = space.alloc({ size: randomSize(rng) }).area.start;
  const prefillMs = performance.now() - p0;

  const afterPrefill = heapSample();
  const steady = await measureSteady(() => vmapSteady(space, live, rng, CHUNK), timing, gc);
  const afterSteady = heapSample();

  const meminfoNsPerCall = timeMeminfo(space, timing.meminfoCalls);
  const walk = timeWalkMeminfo(space, timing.walkMinMs);
  const frag = fragmentation(space);
  const perArea = (after: HeapSample | null, total: boolean): number | null =>
    after === null || before === null
      ? null
      : (after.heapUsed - before.heapUsed + (total ? after.arrayBuffers - before.arrayBuffers : 0)) / n;
  const result: SizeResult = {
    live: n,
    prefillMs,
    prefillAllocsPerSec: (n * 1000) / prefillMs,
    steady,
    meminfoNsPerCall,
    walkMeminfoUsPerCall: walk.usPerCall,
    heapBytesPerAreaAfterPrefill: perArea(afterPrefill, false),
    totalBytesPerAreaAfterPrefill: perArea(afterPrefill, true),
    heapBytesPerAreaAfterSteady: perArea(afterSteady, false),
    totalBytesPerAreaAfterSteady: perArea(afterSteady, true),
    freeBlocks: frag.freeBlocks,
    spanPages: frag.spanPages,
    holePages: frag.holePages,
    lazyAreas: space.meminfo().nrLazyAreas,
  };
  // Keep the space and the live array reachable until every figure is taken.
  consume(space.meminfo().nrAreas + live.length);
  return result;
}

/** The same prefill and steady state on the reference model, for contrast. */
export async function benchReference(n: number, seed: number, timing: Timing, gc: GcMeter): Promise<ReferenceResult> {
  const rng = new SeededRandom(seed);
  const space = new ReferenceSpace({ ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES });
  const live: number[] = [];
  const p0 = performance.now();
  for (let i = 0; i < n; i++) live.push(space.alloc({ size: randomSize(rng) }).area.start);
  const prefillMs = performance.now() - p0;
  const steady = await measureSteady(() => refSteady(space, live, rng, CHUNK), timing, gc);
  consume(space.meminfo().nrAreas);
  return { ...steady, prefillMs };
}
