/**
 * The ordered area list of a space, as readers see it: the busy index merged
 * with the purge list (lazily freed areas are in the purge list only, as in
 * the kernel). Built over a clone of the busy index it is a view, which
 * later writes to the space never reach: an O(1) clone, since the B+ tree is
 * copy-on-write and a LazySlice never changes.
 */
import type { BusyTree } from './busy-tree.js';
import type { LazySlice } from './lazy-list.js';
import type { AreaList } from './vmap-area.js';

/**
 * The areas of `busy` and `lazy` as one ordered list. It reads `busy` as it
 * is at each call: a view when `busy` is a clone that nothing writes to.
 */
export function areaList(busy: BusyTree, lazy: LazySlice): AreaList {
  return {
    floor(page) {
      if (Number.isNaN(page)) return undefined; // NaN names no page
      const busyVa = busy.floor(page);
      const lazyVa = lazy.floor(page);
      return lazyVa === undefined || (busyVa !== undefined && busyVa.start > lazyVa.start) ? busyVa : lazyVa;
    },
    from: (page) => lazy.merge(busy.from(page), page),
    each: (visit) => lazy.each(busy, visit),
    range(lo, hi, visit) {
      for (const va of lazy.merge(busy.from(lo), lo)) {
        if (va.start >= hi) break;
        visit(va);
      }
    },
  };
}
