/**
 * The space's journal: while a write batch runs, what each change did, so
 * that a batch that fails is undone in O(its changes) rather than the space
 * rebuilt. The kernel's error paths undo exactly what they did, too.
 */
import { LazySlice } from './lazy-list.js';
import { addBusy, removeBusy, type SpaceState } from './space-state.js';
import type { VmapArea } from './vmap-area.js';

/** What one change did, recorded while a journal is open so it can be undone. */
export type Undo =
  /** An area was allocated. */
  | { readonly op: 'alloc'; readonly area: VmapArea }
  /** A busy area (as it was) was freed lazily; its lazy copy is last on the purge list. */
  | { readonly op: 'free'; readonly area: VmapArea }
  /** A busy area was released at once. */
  | { readonly op: 'release'; readonly area: VmapArea }
  /** The purge list (its array, slice and pages) was returned to free space. */
  | { readonly op: 'purge'; readonly list: VmapArea[]; readonly slice: LazySlice; readonly pages: number };

/**
 * Undoes change `u`, which must be the newest not yet undone. `busyAgain`
 * hears an area that is busy again (a free or release undone), `gone` one
 * that is not (an alloc undone).
 */
export function undoChange(s: SpaceState, u: Undo, busyAgain: (va: VmapArea) => void, gone: (va: VmapArea) => void): void {
  switch (u.op) {
    case 'alloc':
      removeBusy(s, u.area);
      s.freeIndex.insert(u.area.start, u.area.pages);
      gone(u.area);
      break;
    case 'free': {
      // Newest first: its lazy copy is the last on the purge list, and past
      // every slice a published view holds (views are taken between batches).
      const lazyVa = s.lazyAreas.pop();
      if (lazyVa === undefined || lazyVa.start !== u.area.start) throw new Error(`undo: the purge list does not end with page ${u.area.start}`);
      if (s.lazySlice.length > s.lazyAreas.length) s.lazySlice = new LazySlice(s.lazyAreas, s.lazyAreas.length);
      s.lazyPages -= u.area.pages;
      addBusy(s, u.area);
      busyAgain(u.area);
      break;
    }
    case 'release':
      s.freeIndex.reserve(u.area.start, u.area.pages);
      addBusy(s, u.area);
      busyAgain(u.area);
      break;
    case 'purge':
      // The purge replaced the array, so the old one is as it was.
      for (const va of u.list) s.freeIndex.reserve(va.start, va.pages);
      s.lazyAreas = u.list;
      s.lazySlice = u.slice;
      s.lazyPages = u.pages;
      break;
  }
}
