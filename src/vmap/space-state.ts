/**
 * What a space holds: its areas, its free blocks and the counters kept over
 * them. VmapSpace keeps one privately and is its only writer; the parts of
 * it that live in other modules (the journal's undo, restore, the check) are
 * functions over it, so the state is handed to them rather than made public.
 */
import { BusyTree } from './busy-tree.js';
import { FreeIndex } from './free-index.js';
import { LazySlice } from './lazy-list.js';
import type { VmapArea } from './vmap-area.js';

/** The state of one space; see the module comment. */
export interface SpaceState {
  /**
   * Busy (not lazily freed) areas by start page: the busy rbtree and
   * vmap_area_list in one. As in the kernel, free takes an area out of it and
   * onto the purge list, so a purge only touches the free index. Replaced
   * only by restore (space-restore.ts), which builds it whole.
   */
  busy: BusyTree;
  /** Free blocks: free_vmap_area_root. Replaced only by restore, as `busy`. */
  freeIndex: FreeIndex;
  /**
   * Lazily freed areas awaiting purge, in free order: the kernel's purge
   * list. Only ever appended to; a purge replaces the array, so a LazySlice
   * of it (what a view holds) never changes.
   */
  lazyAreas: VmapArea[];
  /** The purge list as last sliced for a walk or a view; reused while nothing was appended. */
  lazySlice: LazySlice;
  /** Pages reserved by busy areas. */
  usedPages: number;
  /** Pages reserved by lazy areas. */
  lazyPages: number;
  /** Busy areas. */
  nrBusy: number;
}

/** The state of an empty space of `pages` pages: one free block spanning it. */
export function emptySpace(pages: number): SpaceState {
  const lazyAreas: VmapArea[] = [];
  const s: SpaceState = {
    busy: new BusyTree(),
    freeIndex: new FreeIndex(),
    lazyAreas,
    lazySlice: new LazySlice(lazyAreas, 0),
    usedPages: 0,
    lazyPages: 0,
    nrBusy: 0,
  };
  s.freeIndex.insert(0, pages);
  return s;
}

/** The purge list as it is now, as an immutable slice. O(1). */
export function purgeListNow(s: SpaceState): LazySlice {
  const cur = s.lazySlice;
  if (cur.length === s.lazyAreas.length) return cur;
  return (s.lazySlice = new LazySlice(s.lazyAreas, s.lazyAreas.length));
}

/** Enters `va`, whose range is already reserved, in the busy index and its counters. */
export function addBusy(s: SpaceState, va: VmapArea): void {
  s.busy.set(va.start, va);
  s.usedPages += va.pages;
  s.nrBusy++;
}

/** Takes busy area `va` out of the busy index and its counters (its range stays reserved). */
export function removeBusy(s: SpaceState, va: VmapArea): void {
  s.busy.delete(va.start);
  s.usedPages -= va.pages;
  s.nrBusy--;
}
