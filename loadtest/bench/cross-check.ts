/**
 * The benchmark's correctness check: VmapSpace and the reference model, fed
 * the same seeded workload, must place every area at the same page and end
 * with the same meminfo, so that timing one against the other compares like
 * with like.
 */
import { VmapSpace } from '../../src/vmap/space.js';
import { SeededRandom } from '../lib/random.js';
import { ReferenceSpace } from '../lib/reference-space.js';
import { LAZY_MAX_PAGES, SPACE_SHAPE, randomSize } from './workloads.js';

/** Live areas the cross-check builds before its free/alloc pairs. */
export const CROSS_CHECK_LIVE = 2_000;

/** How far the cross-check got, and the first difference (null: none). */
export interface CrossCheck {
  readonly iterations: number;
  readonly mismatch: string | null;
}

/** Runs the same seeded workload (CROSS_CHECK_LIVE allocs, then `iters` free/alloc pairs) on both models and compares every placement. */
export function crossCheck(seed: number, iters: number): CrossCheck {
  const rngA = new SeededRandom(seed);
  const rngB = new SeededRandom(seed);
  // Prefill draws from two identical streams; the steady loop below shares rngA.
  const space = new VmapSpace({ ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES });
  const ref = new ReferenceSpace({ ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES });
  const liveA: number[] = [];
  const liveB: number[] = [];
  for (let i = 0; i < CROSS_CHECK_LIVE; i++) {
    liveA.push(space.alloc({ size: randomSize(rngA) }).area.start);
    liveB.push(ref.alloc({ size: randomSize(rngB) }).area.start);
    if (liveA[i] !== liveB[i]) return { iterations: i, mismatch: `prefill ${i}: vmap ${liveA[i]} vs reference ${liveB[i]}` };
  }
  // One shared PRNG stream drives both models, so every pick and size is the same.
  for (let i = 0; i < iters; i++) {
    const idx = rngA.below(liveA.length);
    const size = randomSize(rngA);
    space.free(liveA[idx]!);
    ref.free(liveB[idx]!);
    const a = space.alloc({ size }).area.start;
    const b = ref.alloc({ size }).area.start;
    if (a !== b) return { iterations: i, mismatch: `free/alloc pair ${i}: vmap placed at ${a}, reference at ${b}` };
    liveA[idx] = a;
    liveB[idx] = b;
  }
  const a = space.meminfo();
  const b = ref.meminfo();
  const keys = ['total', 'used', 'chunk', 'lazy', 'nrAreas', 'nrLazyAreas'] as const;
  for (const k of keys) {
    if (a[k] !== b[k]) return { iterations: iters, mismatch: `meminfo.${k}: vmap ${a[k]} vs reference ${b[k]}` };
  }
  const inv = space.checkInvariants();
  if (inv !== null) return { iterations: iters, mismatch: `VmapSpace invariant: ${inv}` };
  return { iterations: iters, mismatch: null };
}
