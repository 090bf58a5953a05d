import { NoSuchArea, OutOfSpace } from './errors.js';
import { LazySlice } from './lazy-list.js';
import { walkMeminfo, type MemInfo } from './meminfo.js';
import { PAGE_SIZE } from './page.js';
import { checkedAlignPages, checkedPages, checkedVend, checkedVstart, type AllocRequest, type AllocResult, type FreeResult, type PurgeResult } from './requests.js';
import { checkSpace } from './space-check.js';
import { undoChange, type Undo } from './space-journal.js';
import type { AreaColumns } from './area-columns.js';
import { restoreAreas, restoreColumns, type RestoreSource } from './space-restore.js';
import { checkedShape, type SpaceShape } from './space-shape.js';
import { addBusy, emptySpace, purgeListNow, removeBusy, type SpaceState } from './space-state.js';
import { areaList } from './space-view.js';
import { lazyCopy, makeArea, type AreaList, type VmapArea } from './vmap-area.js';

/**
 * One virtual address space and its allocator: the model of mm/vmalloc.c.
 * Pure and synchronous; every address inside is a page number relative to the
 * base. Invariants, checked by `checkInvariants`:
 *
 * - busy, lazy and free ranges never overlap and together cover the space;
 * - the free index holds exactly the gaps between reserved ranges, coalesced;
 * - the counters equal what a walk of the areas computes.
 */
export class VmapSpace {
  /** Absolute page number of the first page. */
  readonly basePage: number;
  /** Pages in the space. */
  readonly pages: number;
  /** Purge threshold: strictly more lazy pages than this triggers a purge. */
  readonly lazyMaxPages: number;

  /** The areas, free blocks and counters (space-state.ts). */
  private readonly s: SpaceState;
  private mutations = 0;
  /** While a write batch runs: what each change did, oldest first (see beginJournal). */
  private journal: Undo[] | null = null;

  /** An empty space of the given shape. @throws InvalidArgument naming the setting at fault */
  constructor(shape: SpaceShape) {
    const { basePage, pages, lazyMaxPages } = checkedShape(shape);
    this.basePage = basePage;
    this.pages = pages;
    this.lazyMaxPages = lazyMaxPages;
    this.s = emptySpace(pages);
  }

  /**
   * Reserves the lowest range that fits the request (see AllocRequest). When
   * nothing fits and lazily freed areas exist, purges them and tries once
   * more, as alloc_vmap_area() does.
   *
   * @throws InvalidArgument naming the field at fault
   * @throws OutOfSpace when nothing fits even after the purge
   */
  alloc(req: AllocRequest): AllocResult {
    const n = checkedPages(req, this.pages);
    const alignPages = checkedAlignPages(req);
    const vstart = checkedVstart(req, this.pages);
    const vend = checkedVend(req, this.pages, vstart);
    const index = this.s.freeIndex;
    let purged: PurgeResult | null = null;
    let start = index.findLowest(n, alignPages, vstart, vend, this.basePage);
    if (start < 0 && this.s.lazyAreas.length > 0) {
      purged = this.purge();
      start = index.findLowest(n, alignPages, vstart, vend, this.basePage);
    }
    if (start < 0) {
      throw new OutOfSpace(`no free range of ${n * PAGE_SIZE} bytes${alignPages > 1 ? ` aligned to ${alignPages * PAGE_SIZE}` : ''} in the requested range`);
    }
    index.carveFit();
    const area = makeArea(start, n, req.noGuard !== true, req.caller ?? '', req.owner ?? '', false, req.requestId ?? '');
    addBusy(this.s, area);
    this.mutations++;
    this.journal?.push({ op: 'alloc', area });
    return { area, purged };
  }

  /**
   * Lazily frees the busy area starting at `start`: it keeps its range until
   * the next purge, which happens at once if the lazy pages now exceed
   * `lazyMaxPages`.
   *
   * `autoPurge` false leaves the purge out whatever the lazy pages (a
   * standby replaying the leader's changes: the purge is a change of its own).
   *
   * @throws NoSuchArea unless a busy, not yet freed area starts exactly there
   */
  free(start: number, autoPurge = true): FreeResult {
    const s = this.s;
    // NaN names no area (and would misguide the tree's search).
    const va = Number.isNaN(start) ? undefined : s.busy.take(start);
    if (va === undefined) {
      throw new NoSuchArea(`trying to free nonexistent area at page ${start}`);
    }
    const lazyVa = lazyCopy(va);
    s.lazyAreas.push(lazyVa);
    s.usedPages -= va.pages;
    s.lazyPages += va.pages;
    s.nrBusy--;
    this.mutations++;
    this.journal?.push({ op: 'free', area: va });
    const purged = autoPurge && s.lazyPages > this.lazyMaxPages ? this.purge() : null;
    return { area: lazyVa, purged };
  }

  /**
   * Removes the busy area starting at `start` at once, without the lazy step:
   * the kernel's free_vmap_area(), used on error paths to undo an alloc that
   * must not stand (a batch that failed half way).
   *
   * @throws NoSuchArea unless a busy, not yet freed area starts exactly there
   */
  release(start: number): VmapArea {
    const va = Number.isNaN(start) ? undefined : this.s.busy.get(start);
    if (va === undefined) throw new NoSuchArea(`trying to release nonexistent area at page ${start}`);
    removeBusy(this.s, va);
    this.s.freeIndex.insert(va.start, va.pages);
    this.mutations++;
    this.journal?.push({ op: 'release', area: va });
    return va;
  }

  /**
   * Reserves exactly `va`'s range for it as a busy area: an alloc another
   * node placed, replayed by a standby that follows its change log.
   *
   * @throws Error when any page of it is not free (the replay is out of step)
   */
  place(va: VmapArea): VmapArea {
    const area = makeArea(va.start, va.pages, va.guard, va.caller, va.owner, false, va.requestId);
    this.s.freeIndex.reserve(area.start, area.pages);
    addBusy(this.s, area);
    this.mutations++;
    this.journal?.push({ op: 'alloc', area });
    return area;
  }

  /** Returns every lazily freed area to free space (purge_vmap_area_lazy). */
  purge(): PurgeResult {
    const s = this.s;
    const list = s.lazyAreas;
    const result = { areas: list.length, pages: s.lazyPages };
    if (list.length > 0) this.journal?.push({ op: 'purge', list, slice: s.lazySlice, pages: s.lazyPages });
    for (const va of list) s.freeIndex.insert(va.start, va.pages);
    // A new array, not a truncation: views still hold slices of the old one.
    s.lazyAreas = [];
    s.lazySlice = new LazySlice(s.lazyAreas, 0);
    s.lazyPages = 0;
    if (result.areas > 0) this.mutations++;
    return result;
  }

  /**
   * Starts recording every change (alloc, free, release, purge, including the
   * purges they trigger), so that a write batch that fails can be undone in
   * O(its changes) rather than the space rebuilt (space-journal.ts).
   */
  beginJournal(): void {
    this.journal = [];
  }

  /** Stops recording: what was recorded stands. */
  endJournal(): void {
    this.journal = null;
  }

  /** How many changes the open journal holds: a mark for undoTo. */
  get journalMark(): number {
    return this.journal?.length ?? 0;
  }

  /**
   * Undoes, newest first, every change recorded after `mark`. `busyAgain`
   * hears each area that is busy again (a free or release undone) and
   * `gone` each that is not (an alloc undone), so the caller's own indexes
   * (request ids, quotas) follow.
   */
  undoTo(mark: number, busyAgain: (va: VmapArea) => void = () => undefined, gone: (va: VmapArea) => void = () => undefined): void {
    const journal = this.journal;
    if (journal === null) throw new Error('undoTo without an open journal');
    while (journal.length > mark) {
      const u = journal.pop()!;
      this.mutations++;
      undoChange(this.s, u, busyAgain, gone);
    }
  }

  /**
   * Grows by at least one with every change to the space (alloc, free, or a
   * purge that returned something), so a caller can tell whether a sequence
   * of operations changed anything, failed ones included (a failed alloc may
   * still have purged).
   */
  get version(): number {
    return this.mutations;
  }

  /**
   * Rebuilds a space from a list of areas, busy and lazy, in ascending
   * order: what a recovered store holds. Lazy areas stay lazy and are not
   * purged, whatever their total.
   *
   * @throws CorruptAreas when areas overlap, leave the space, or are not ascending
   */
  static fromAreas(shape: SpaceShape, areas: RestoreSource): VmapSpace {
    const space = new VmapSpace(shape);
    restoreAreas(space.s, areas, space.pages);
    return space;
  }

  /**
   * fromAreas for areas in columns, ascending by start (what a store
   * recovered): the busy ones stay in the columns until first looked up or
   * written (space-restore.ts restoreColumns).
   *
   * @throws CorruptAreas as fromAreas does, and for columns that do not hold what they index
   */
  static fromColumns(shape: SpaceShape, columns: AreaColumns): VmapSpace {
    const space = new VmapSpace(shape);
    restoreColumns(space.s, columns, space.pages);
    return space;
  }

  /**
   * The busy (not lazily freed) area whose reserved range contains `page`.
   * Only the tests ask the space itself: the service finds areas in its
   * published snapshot's view.
   */
  find(page: number): VmapArea | undefined {
    if (Number.isNaN(page)) return undefined; // NaN names no page (and would misguide the tree's search)
    const va = this.s.busy.floor(page);
    return va !== undefined && page < va.start + va.pages ? va : undefined;
  }

  /** The area (busy or lazy) starting exactly at `start`. */
  areaAt(start: number): VmapArea | undefined {
    if (Number.isNaN(start)) return undefined;
    return this.s.busy.get(start) ?? purgeListNow(this.s).at(start);
  }

  /** How full the space is, from maintained counters: O(1). */
  meminfo(): MemInfo {
    const s = this.s;
    return {
      total: this.pages * PAGE_SIZE,
      used: s.usedPages * PAGE_SIZE,
      chunk: s.freeIndex.largest * PAGE_SIZE,
      lazy: s.lazyPages * PAGE_SIZE,
      nrAreas: s.nrBusy,
      nrLazyAreas: s.lazyAreas.length,
    };
  }

  /** Blocks of free space (lazily freed ranges are not free): the free index's size. */
  get freeBlocks(): number {
    return this.s.freeIndex.count;
  }

  /** The same numbers as `meminfo`, computed by walking every area: O(n). */
  walkMeminfo(): MemInfo {
    return walkMeminfo(areaList(this.s.busy, purgeListNow(this.s)), this.pages);
  }

  /** Busy and lazy areas starting at or after page `from`, in ascending order. */
  areas(from = 0): IterableIterator<VmapArea> {
    return areaList(this.s.busy, purgeListNow(this.s)).from(from);
  }

  /**
   * A copy-on-write view of the ordered area list, in O(1): later writes to
   * this space do not show in it. This is what a published snapshot holds.
   */
  view(): AreaList {
    return areaList(this.s.busy.clone(), purgeListNow(this.s));
  }

  /**
   * Checks every invariant of the space (see the class comment). Returns a
   * description of the first violation, or null. O(n); for tests and the
   * benchmark's cross-check.
   */
  checkInvariants(): string | null {
    return checkSpace(this.s, this.pages);
  }
}
