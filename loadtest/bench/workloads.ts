/**
 * The benchmark's workload: the space it runs on, the random area sizes, and
 * the steady-state loop (free a random live area, alloc a new one) on
 * VmapSpace and on the reference model alike.
 */
import { PAGE_SIZE } from '../../src/vmap/page.js';
import type { VmapSpace } from '../../src/vmap/space.js';
import type { SeededRandom } from '../lib/random.js';
import type { ReferenceSpace } from '../lib/reference-space.js';

/** vmapd's default space: x86-64 VMALLOC_START as a page number, 2^33 - 1 pages (32 TiB but the last page, as VMALLOC_END leaves it out). */
export const SPACE_SHAPE = { basePage: 0xffffc90000000, pages: 2 ** 33 - 1 } as const;
/** vmapd's default lazy-free limit. */
export const LAZY_MAX_PAGES = 16384;
/** Largest area, guard page not counted. */
export const MAX_AREA_PAGES = 64;
/** Iterations between clock reads in the steady-state loop: a clock read per pair would weigh on the figure. */
export const CHUNK = 1024;

/** Random area size in bytes: 1-64 whole pages. */
export function randomSize(rng: SeededRandom): number {
  return (1 + rng.below(MAX_AREA_PAGES)) * PAGE_SIZE;
}

/** `iters` steady-state iterations on a VmapSpace: free a random live area, alloc a new one. */
export function vmapSteady(space: VmapSpace, live: number[], rng: SeededRandom, iters: number): void {
  const len = live.length;
  for (let i = 0; i < iters; i++) {
    const idx = rng.below(len);
    space.free(live[idx]!);
    // Writing the new start into the freed slot is swap-remove followed by push.
    live[idx] = space.alloc({ size: randomSize(rng) }).area.start;
  }
}

/** The same workload on the reference model. */
export function refSteady(space: ReferenceSpace, live: number[], rng: SeededRandom, iters: number): void {
  const len = live.length;
  for (let i = 0; i < iters; i++) {
    const idx = rng.below(len);
    space.free(live[idx]!);
    live[idx] = space.alloc({ size: randomSize(rng) }).area.start;
  }
}
