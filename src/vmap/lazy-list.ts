/**
 * The purge list as readers see it: lazily freed areas, which (as in the
 * kernel since lazy free moved areas onto `purge_vmap_area_list`) are no
 * longer in the busy index but still reserve their ranges, so every ordered
 * walk must merge them back in.
 *
 * The space appends to its purge list in free order and, on purge, replaces
 * the array rather than emptying it. So a prefix `[0, length)` of one array
 * never changes: a `LazySlice` holding it is immutable, which is what makes a
 * view O(1) and copy-on-write. The list is short (at most about
 * lazyMaxPages areas), so it is sorted only when a walk first asks for it.
 */
import type { BusyTree } from './busy-tree.js';
import type { VmapArea } from './vmap-area.js';

const byStart = (a: VmapArea, b: VmapArea): number => a.start - b.start;
const EMPTY: VmapArea[] = [];
/** Up to this many lazy areas, floor() scans rather than sorts (about a microsecond). */
const LINEAR_SCAN_MAX = 512;

/** An immutable prefix of a purge-list array, sorted by start on demand. */
export class LazySlice {
  private sortedAreas: VmapArea[] | null;

  /**
   * `items[0, length)` must never change afterwards: the owner only appends
   * past `length` and replaces the array instead of truncating it.
   */
  constructor(
    private readonly items: readonly VmapArea[],
    /** Areas in the slice. */
    readonly length: number,
  ) {
    this.sortedAreas = length === 0 ? EMPTY : null;
  }

  /** The slice's areas in ascending start order (sorted once, then cached). */
  private sorted(): readonly VmapArea[] {
    if (this.sortedAreas === null) this.sortedAreas = this.items.slice(0, this.length).sort(byStart);
    return this.sortedAreas;
  }

  /**
   * The area with the greatest start at or below `page`, or undefined. On a
   * short slice not yet sorted, a linear scan: a lookup on a fresh view
   * should not pay for the sort (a view is taken after every write batch).
   */
  floor(page: number): VmapArea | undefined {
    const s = this.length > LINEAR_SCAN_MAX ? this.sorted() : this.sortedAreas;
    if (s !== null) {
      const i = upperBound(s, page);
      return i === 0 ? undefined : s[i - 1];
    }
    let best: VmapArea | undefined;
    for (let i = 0; i < this.length; i++) {
      const va = this.items[i]!;
      if (va.start <= page && (best === undefined || va.start > best.start)) best = va;
    }
    return best;
  }

  /** The area starting exactly at `start`, or undefined. */
  at(start: number): VmapArea | undefined {
    const va = this.floor(start);
    return va !== undefined && va.start === start ? va : undefined;
  }

  /**
   * Calls `visit` on every area of `busy` merged with this slice's, ascending,
   * with the busy index's own loop (`each`) instead of iterators.
   */
  each(busy: BusyTree, visit: (va: VmapArea) => void): void {
    const lazy = this.length === 0 ? [] : this.sorted();
    let i = 0;
    busy.each((va) => {
      while (i < lazy.length && lazy[i]!.start < va.start) visit(lazy[i++]!);
      visit(va);
    });
    while (i < lazy.length) visit(lazy[i++]!);
  }

  /**
   * Areas of `busy` (ascending, each starting at or after `from`) merged with
   * this slice's areas starting at or after `from`, in ascending start order.
   * Starts never coincide: a range is busy or lazy, not both.
   */
  *merge(busy: Iterable<VmapArea>, from: number): IterableIterator<VmapArea> {
    if (this.length === 0) {
      yield* busy;
      return;
    }
    const lazy = this.sorted();
    let i = lowerBound(lazy, from);
    for (const va of busy) {
      while (i < lazy.length && lazy[i]!.start < va.start) yield lazy[i++]!;
      yield va;
    }
    while (i < lazy.length) yield lazy[i++]!;
  }
}

/** Index of the first area in `s` (ascending) starting at or after `page`. */
function lowerBound(s: readonly VmapArea[], page: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s[mid]!.start < page) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first area in `s` (ascending) starting after `page`. */
function upperBound(s: readonly VmapArea[], page: number): number {
  let lo = 0;
  let hi = s.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (s[mid]!.start <= page) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
