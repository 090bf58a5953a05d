/**
 * The shape of a range of the space: how many pages of each bucket are busy,
 * guard, lazy or free, and the free blocks of the range (how many, the
 * largest, a histogram of their sizes). Built from sums over runs of the
 * ordered area list (area-summary.ts): O(buckets · log n) for any range and
 * bucket count, never a walk of the areas. Pages in, pages out; the edges
 * turn them into bytes.
 */
import { AreaSummary, FREE_CLASSES } from './area-summary.js';
import type { VmapArea } from './vmap-area.js';

/** Largest bucket count a map is made with. */
export const MAX_MAP_BUCKETS = 4096;

/** What a map is made from: a published, ordered list of areas that can sum a run of itself. */
export interface MapSource {
  /** The area (busy or lazy) with the greatest start at or below `page`. */
  floor(page: number): VmapArea | undefined;
  /** Adds to `into`, in order, the areas starting in [lo, hi). */
  summarize(lo: number, hi: number, into: AreaSummary): void;
}

/** One power-of-two class of free block sizes: blocks of [2^k, 2^(k+1)) pages. */
export interface FreeClass {
  readonly log2: number;
  readonly blocks: number;
  readonly pages: number;
}

/** The map of pages [from, to), in `buckets` buckets. */
export interface SpaceMap {
  readonly from: number;
  readonly to: number;
  /** Buckets made: the bucket count asked for, or one per page when the range is smaller. */
  readonly buckets: number;
  /** Per bucket: usable pages of busy areas. */
  readonly busy: Float64Array;
  /** Per bucket: guard pages of busy areas. */
  readonly guard: Float64Array;
  /** Per bucket: pages of lazily freed areas (reserved until a purge). */
  readonly lazy: Float64Array;
  /** Per bucket: pages no area holds. */
  readonly free: Float64Array;
  /** Areas (busy or lazy) overlapping the range. */
  readonly areas: number;
  readonly freePages: number;
  /** Free blocks: the gaps between reserved areas, clipped to the range. */
  readonly freeBlocks: number;
  /** The largest free block in the range (the lowest of equals), or null when nothing is free. */
  readonly largestFree: { readonly start: number; readonly pages: number } | null;
  /** Free blocks by size class, ascending, non-empty classes only. */
  readonly freeClasses: readonly FreeClass[];
}

/**
 * The first page of bucket `i` of `buckets` over [from, from + span):
 * from + floor(i * span / buckets), without a product past 2^53.
 */
export function bucketStart(from: number, span: number, buckets: number, i: number): number {
  const q = Math.floor(span / buckets);
  const r = span - q * buckets;
  return from + i * q + Math.floor((i * r) / buckets);
}

/** The pages of area `va` in [a, b), by kind (its guard page is its last). */
function pagesIn(va: VmapArea, a: number, b: number): { busy: number; guard: number; lazy: number } {
  const lo = Math.max(a, va.start);
  const hi = Math.min(b, va.start + va.pages);
  if (hi <= lo) return { busy: 0, guard: 0, lazy: 0 };
  if (va.lazy) return { busy: 0, guard: 0, lazy: hi - lo };
  const guardPage = va.guard ? va.start + va.pages - 1 : -1;
  const guard = guardPage >= lo && guardPage < hi ? 1 : 0;
  return { busy: hi - lo - guard, guard, lazy: 0 };
}

/**
 * The map of pages [from, to) of `source` in `buckets` buckets.
 *
 * @throws RangeError for an empty range or a bucket count below 1
 */
export function spaceMap(source: MapSource, from: number, to: number, buckets: number): SpaceMap {
  const span = to - from;
  if (!Number.isInteger(from) || !Number.isInteger(to) || !(span > 0)) throw new RangeError(`map range [${from}, ${to}) is empty or not whole pages`);
  if (!Number.isInteger(buckets) || buckets < 1) throw new RangeError(`map of ${buckets} buckets`);
  const n = Math.min(buckets, span);
  const starts = new Float64Array(n + 1);
  for (let i = 0; i <= n; i++) starts[i] = bucketStart(from, span, n, i);
  const busy = new Float64Array(n);
  const guard = new Float64Array(n);
  const lazy = new Float64Array(n);

  // Adds the pages of `va` from bucket `i` on, as far as the area and the range go.
  const spreadFrom = (va: VmapArea, i: number): void => {
    for (const end = Math.min(va.start + va.pages, to); i < n && starts[i]! < end; i++) {
      const p = pagesIn(va, starts[i]!, starts[i + 1]!);
      busy[i]! += p.busy;
      guard[i]! += p.guard;
      lazy[i]! += p.lazy;
    }
  };

  // An area that starts before the range and reaches into it: its pages in the range.
  const before = from > 0 ? source.floor(from - 1) : undefined;
  const overlapsFrom = before !== undefined && before.start + before.pages > from;
  if (overlapsFrom) spreadFrom(before, 0);
  // The whole range's sum, bucket after bucket: free space runs from the end of that area.
  const whole = new AreaSummary(overlapsFrom ? Math.min(before.start + before.pages, to) : from);
  for (let i = 0; i < n; i++) {
    const s = new AreaSummary();
    source.summarize(starts[i]!, starts[i + 1]!, s);
    if (s.count === 0) continue;
    whole.addSummary(s);
    // The sum counts each area whole in the bucket it starts in; the last one may run on past it.
    busy[i]! += s.busy;
    guard[i]! += s.guard;
    lazy[i]! += s.lazy;
    if (s.lastEnd > starts[i + 1]!) {
      const last = source.floor(s.lastStart)!;
      const past = pagesIn(last, starts[i + 1]!, Infinity);
      busy[i]! -= past.busy;
      guard[i]! -= past.guard;
      lazy[i]! -= past.lazy;
      spreadFrom(last, i + 1);
    }
  }
  if (whole.lastEnd < to) whole.gap(whole.lastEnd, to);

  const free = new Float64Array(n);
  for (let i = 0; i < n; i++) free[i] = starts[i + 1]! - starts[i]! - busy[i]! - guard[i]! - lazy[i]!;
  const freeClasses: FreeClass[] = [];
  const classes = whole.classes;
  if (classes !== null) {
    for (let k = 0; k < FREE_CLASSES; k++) if (classes[k]! > 0) freeClasses.push({ log2: k, blocks: classes[k]!, pages: classes[FREE_CLASSES + k]! });
  }
  return {
    from,
    to,
    buckets: n,
    busy,
    guard,
    lazy,
    free,
    areas: whole.count + (overlapsFrom ? 1 : 0),
    freePages: whole.gapPages,
    freeBlocks: whole.gaps,
    largestFree: whole.gaps === 0 ? null : { start: whole.maxGapStart, pages: whole.maxGap },
    freeClasses,
  };
}
