/**
 * A deliberately naive reference model of the vmap allocator, for contrast in
 * the allocator benchmark (loadtest/bench-allocator.ts). It keeps the reserved
 * ranges (busy and lazily freed) in one array sorted by start page and:
 *
 * - allocs by scanning the gaps between consecutive ranges in ascending order
 *   and taking the lowest gap that fits (page granularity, one guard page after
 *   each area), then splicing the new range in: O(n);
 * - frees by binary search, marking the area lazy; once the lazy pages exceed
 *   `lazyMaxPages` it purges, dropping every lazy range in one O(n) pass;
 * - when nothing fits and lazy ranges exist, purges and retries once;
 * - computes meminfo's largest chunk by walking the gaps: O(n).
 *
 * It supports only the default request (no alignment, no range limits, always
 * a guard page), which is all the benchmark uses. It is self-contained on
 * purpose: the test suite has its own reference model.
 */

const PAGE_SIZE = 4096;

/** One reserved range, in pages relative to the space's base. */
interface RefArea {
  readonly start: number;
  /** Reserved pages, guard page included. */
  readonly pages: number;
  lazy: boolean;
}

/** The same shape as VmapSpace's MemInfo (bytes and counts). */
export interface RefMemInfo {
  readonly total: number;
  readonly used: number;
  readonly chunk: number;
  readonly lazy: number;
  readonly nrAreas: number;
  readonly nrLazyAreas: number;
}

/** Sorted-array allocator with the same placement and lazy-free rules as VmapSpace. */
export class ReferenceSpace {
  readonly pages: number;
  readonly lazyMaxPages: number;
  /** Busy and lazy ranges, ascending by start; they never overlap. */
  private ranges: RefArea[] = [];
  private usedPages = 0;
  private lazyPages = 0;
  private nrBusy = 0;
  private nrLazy = 0;

  constructor(pages: number, lazyMaxPages = 16384) {
    this.pages = pages;
    this.lazyMaxPages = lazyMaxPages;
  }

  /** Reserves the lowest range holding `size` bytes plus a guard page; returns its start page. */
  alloc(size: number): number {
    const n = Math.ceil(size / PAGE_SIZE) + 1;
    let start = this.findLowest(n);
    if (start < 0 && this.nrLazy > 0) {
      this.purge();
      start = this.findLowest(n);
    }
    if (start < 0) throw new Error(`reference: no free range of ${n} pages`);
    this.ranges.splice(this.insertionIndex, 0, { start, pages: n, lazy: false });
    this.usedPages += n;
    this.nrBusy++;
    return start;
  }

  /** Lazily frees the busy area starting at `start`; purges when over the limit. */
  free(start: number): void {
    const i = this.indexOf(start);
    const va = i < 0 ? undefined : this.ranges[i];
    if (va === undefined || va.lazy) throw new Error(`reference: no busy area at page ${start}`);
    va.lazy = true;
    this.usedPages -= va.pages;
    this.lazyPages += va.pages;
    this.nrBusy--;
    this.nrLazy++;
    if (this.lazyPages > this.lazyMaxPages) this.purge();
  }

  /** Drops every lazily freed range; returns how many there were. */
  purge(): number {
    const purged = this.nrLazy;
    if (purged > 0) this.ranges = this.ranges.filter((va) => !va.lazy);
    this.lazyPages = 0;
    this.nrLazy = 0;
    return purged;
  }

  /** Counters for used/lazy/areas; the largest chunk by an O(n) gap walk. */
  meminfo(): RefMemInfo {
    let chunk = 0;
    let prevEnd = 0;
    for (const va of this.ranges) {
      if (va.start - prevEnd > chunk) chunk = va.start - prevEnd;
      prevEnd = va.start + va.pages;
    }
    if (this.pages - prevEnd > chunk) chunk = this.pages - prevEnd;
    return {
      total: this.pages * PAGE_SIZE,
      used: this.usedPages * PAGE_SIZE,
      chunk: chunk * PAGE_SIZE,
      lazy: this.lazyPages * PAGE_SIZE,
      nrAreas: this.nrBusy,
      nrLazyAreas: this.nrLazy,
    };
  }

  /** Where the last successful `findLowest` would insert its range. */
  private insertionIndex = 0;

  /** Lowest start of a gap of at least `n` pages, or -1; scans gaps ascending. */
  private findLowest(n: number): number {
    const ranges = this.ranges;
    let prevEnd = 0;
    for (let i = 0; i < ranges.length; i++) {
      const va = ranges[i]!;
      if (va.start - prevEnd >= n) {
        this.insertionIndex = i;
        return prevEnd;
      }
      prevEnd = va.start + va.pages;
    }
    if (this.pages - prevEnd >= n) {
      this.insertionIndex = ranges.length;
      return prevEnd;
    }
    return -1;
  }

  /** Index of the range starting exactly at `start`, or -1 (binary search). */
  private indexOf(start: number): number {
    const ranges = this.ranges;
    let lo = 0;
    let hi = ranges.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = ranges[mid]!.start;
      if (s === start) return mid;
      if (s < start) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
