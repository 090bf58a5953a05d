/**
 * The random allocations the load scripts make: sizes and alignments shaped
 * like vmalloc's callers (mostly small, page aligned; some large, some with
 * a big alignment), from a seeded generator so a run can be repeated.
 */
import { PAGE_SIZE } from '../../src/vmap/page.js';
import { SeededRandom } from './random.js';

/** Uniform doubles in [0, 1) from SeededRandom, as the function randomAlloc draws from. */
export function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.float();
}

/** An AllocRequest message (uint64 fields as decimal strings). */
export interface AllocMessage {
  size: string;
  align: string;
  caller: string;
}

/** Largest allocation, in pages (1 MiB): keeps 1M live areas far inside a 32 TiB space. */
export const MAX_PAGES = 256;

/**
 * One random request: size log-uniform over 1..MAX_PAGES pages minus up to a
 * page (so sizes are not all page multiples); alignment 0 seven times in ten,
 * otherwise a power of two from 4 KiB to 2 MiB.
 */
export function randomAlloc(random: () => number, caller: string): AllocMessage {
  const pages = Math.max(1, Math.floor(Math.exp(random() * Math.log(MAX_PAGES + 1))));
  const size = pages * PAGE_SIZE - Math.floor(random() * (PAGE_SIZE - 1));
  const align = random() < 0.7 ? 0 : 2 ** (12 + Math.floor(random() * 10));
  return { size: String(size), align: String(align), caller };
}
