/**
 * Rebuilding a space from a list of areas (what a recovered store holds).
 * The list comes from outside the allocator, so every area is checked
 * against what a space's own walk gives: ascending, never overlapping,
 * inside the space.
 */
import { BusyRows, GUARD, LAZY, type AreaColumns } from './area-columns.js';
import { CorruptAreas } from './restore-error.js';
import { BusyTree } from './busy-tree.js';
import { FreeIndex } from './free-index.js';
import type { SpaceState } from './space-state.js';
import { makeArea, type VmapArea } from './vmap-area.js';

/** Areas to restore from: any iterable, walked by its `each` when it has one (a plain loop, cheaper than an iterator over a million areas). */
export type RestoreSource = Iterable<VmapArea> & { each?(visit: (va: VmapArea) => void): void };

/**
 * Reserves every area of `areas` in `s`, an empty space of `pages` pages
 * (its indexes are replaced),
 * rebuilt as the allocator makes areas (a lazy one keeps no request id).
 * Lazy areas stay lazy and are not purged, whatever their total.
 *
 * @throws CorruptAreas at the first area that is malformed, starts below the
 *   previous one's end, or runs past the end of the space
 */
export function restoreAreas(s: SpaceState, areas: RestoreSource, pages: number): void {
  // Built in order rather than area by area: the busy index bottom up, the
  // free index from the gaps, ascending (each insert lands at its right
  // edge), where reserving each area out of one block that spans the space
  // carves and re-maximizes the same path a million times.
  const free = new FreeIndex();
  const busy: VmapArea[] = [];
  let prevEnd = 0;
  const restore = (va: VmapArea): void => {
    if (!Number.isSafeInteger(va.start) || !Number.isSafeInteger(va.pages) || va.pages <= 0) {
      throw new CorruptAreas(va.start, `area at page ${va.start}: malformed (pages ${va.pages})`);
    }
    if (va.start < prevEnd) throw new CorruptAreas(va.start, `area at page ${va.start} overlaps or precedes the area ending at page ${prevEnd}`);
    if (va.start + va.pages > pages) throw new CorruptAreas(va.start, `area at page ${va.start} (${va.pages} pages) runs past the end of the space`);
    if (va.start > prevEnd) free.insert(prevEnd, va.start - prevEnd);
    prevEnd = va.start + va.pages;
    // Kept as it is when it already is what the allocator would make; a lazy area keeps no request id.
    const area = typeof va.requestId === 'string' && (!va.lazy || va.requestId === '') ? va : makeArea(va.start, va.pages, va.guard, va.caller, va.owner, va.lazy, va.lazy ? '' : (va.requestId ?? ''));
    if (area.lazy) {
      s.lazyAreas.push(area);
      s.lazyPages += area.pages;
    } else {
      busy.push(area);
      s.usedPages += area.pages;
    }
  };
  if ('each' in areas && typeof areas.each === 'function') areas.each(restore);
  else for (const va of areas) restore(va);
  if (prevEnd < pages) free.insert(prevEnd, pages - prevEnd);
  s.freeIndex = free;
  s.busy = BusyTree.fromAscending(busy);
  s.nrBusy = busy.length;
}

/**
 * restoreAreas for areas in columns (what a store recovers): the same
 * checks and the same space, but the busy areas stay in the columns
 * (BusyTree.fromRows) and only the lazy ones are made here, so a restart of
 * a million areas makes no million objects that would all survive the
 * young generation.
 *
 * @throws CorruptAreas as restoreAreas does, and for a text index or a
 *   request id the columns do not hold
 */
export function restoreColumns(s: SpaceState, cols: AreaColumns, pages: number): void {
  const { starts, flags, callers, owners, texts, keyed, requestIds, idEnds } = cols;
  const n = starts.length;
  if (cols.pages.length !== n || flags.length !== n || callers.length !== n || owners.length !== n || idEnds.length !== keyed.length) {
    throw new CorruptAreas(0, 'the area columns differ in length');
  }
  let idEnd = 0;
  for (let k = 0; k < keyed.length; k++) {
    if (keyed[k]! >= n || (k > 0 && keyed[k]! <= keyed[k - 1]!)) throw new CorruptAreas(0, 'the keyed areas are out of order or out of range');
    if (idEnds[k]! < idEnd) throw new CorruptAreas(0, 'the request ids end out of order');
    idEnd = idEnds[k]!;
  }
  if (idEnd !== requestIds.length) throw new CorruptAreas(0, 'the request ids do not end where their text does');
  const free = new FreeIndex();
  const rows = new Int32Array(n);
  let busy = 0;
  let prevEnd = 0;
  for (let i = 0; i < n; i++) {
    const start = starts[i]!;
    const size = cols.pages[i]!;
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(size) || size <= 0) {
      throw new CorruptAreas(start, `area at page ${start}: malformed (pages ${size})`);
    }
    if (start < prevEnd) throw new CorruptAreas(start, `area at page ${start} overlaps or precedes the area ending at page ${prevEnd}`);
    if (start + size > pages) throw new CorruptAreas(start, `area at page ${start} (${size} pages) runs past the end of the space`);
    if (callers[i]! >= texts.length || owners[i]! >= texts.length) throw new CorruptAreas(start, `area at page ${start}: names a caller or owner the list does not hold`);
    if (start > prevEnd) free.insert(prevEnd, start - prevEnd);
    prevEnd = start + size;
    const f = flags[i]!;
    if ((f & LAZY) !== 0) {
      // A lazy area keeps no request id.
      s.lazyAreas.push(makeArea(start, size, (f & GUARD) !== 0, texts[callers[i]!]!, texts[owners[i]!]!, true, ''));
      s.lazyPages += size;
    } else {
      rows[busy++] = i;
      s.usedPages += size;
    }
  }
  if (prevEnd < pages) free.insert(prevEnd, pages - prevEnd);
  s.freeIndex = free;
  s.busy = BusyTree.fromRows(new BusyRows(cols, rows.subarray(0, busy)));
  s.nrBusy = busy;
}
