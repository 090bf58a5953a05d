import { BTree, take } from './btree.js';
import { InvalidArgument, NoSuchArea, OutOfSpace } from './errors.js';
import { FreeIndex } from './free-index.js';
import { LazySlice } from './lazy-list.js';
import { walkMeminfo, type MemInfo } from './meminfo.js';
import { PAGE_SIZE, isPowerOfTwo, pagesFor } from './page.js';
import type { AreaList, VmapArea } from './vmap-area.js';

/** The kernel's lazy_max_pages() on a 2-CPU machine: fls(2) * 32 MiB / 4 KiB. */
export const DEFAULT_LAZY_MAX_PAGES = 16384;

/** The shape of a space: where it starts and how many pages it spans. */
export interface SpaceShape {
  /** Absolute page number of the space's first page (its base address / 4096). */
  readonly basePage: number;
  /** Number of pages in the space. */
  readonly pages: number;
  /** Purge lazily freed areas once they hold strictly more than this many pages. */
  readonly lazyMaxPages?: number;
}

/**
 * One allocation request. Sizes are in bytes; the range limits are page
 * numbers relative to the space's base (the edges convert 64-bit addresses,
 * see geometry.ts).
 */
export interface AllocRequest {
  /** Bytes wanted, > 0; rounded up to whole pages. */
  readonly size: number;
  /** Alignment of the absolute start address in bytes: 0 or a power of two. */
  readonly align?: number;
  /** Lowest page the area may use; default 0 (the space's start). */
  readonly vstart?: number;
  /** Page the area must end at or before (exclusive); default the space's end. */
  readonly vend?: number;
  /** Leave out the guard page that normally follows the area. */
  readonly noGuard?: boolean;
  /** Shown in vmallocinfo. */
  readonly caller?: string;
  /** Who asks; shown in vmallocinfo. */
  readonly owner?: string;
  /** The client's idempotency key, kept on the area while it is busy. */
  readonly requestId?: string;
}

/** What a purge returned to free space. */
export interface PurgeResult {
  /** Lazily freed areas purged. */
  readonly areas: number;
  /** Pages they reserved, guard pages included. */
  readonly pages: number;
}

/** What `alloc` did. */
export interface AllocResult {
  readonly area: VmapArea;
  /** Set when nothing fitted at first and the lazy areas were purged to retry. */
  readonly purged: PurgeResult | null;
}

/** What `free` did. */
export interface FreeResult {
  /** The area as it now is: lazily freed. */
  readonly area: VmapArea;
  /** Set when this free pushed the lazy count over the limit and purged. */
  readonly purged: PurgeResult | null;
}

const byStart = (a: number, b: number): number => a - b;

/** What one change did, recorded while a journal is open so it can be undone. */
type Undo =
  /** An area was allocated. */
  | { readonly op: 'alloc'; readonly area: VmapArea }
  /** A busy area (as it was) was freed lazily; its lazy copy is last on the purge list. */
  | { readonly op: 'free'; readonly area: VmapArea }
  /** A busy area was released at once. */
  | { readonly op: 'release'; readonly area: VmapArea }
  /** The purge list (its array, slice and pages) was returned to free space. */
  | { readonly op: 'purge'; readonly list: VmapArea[]; readonly slice: LazySlice; readonly pages: number };

/** The areas of a busy index starting at or after `from`, ascending. */
function* busyFrom(tree: BTree<number, VmapArea>, from: number): IterableIterator<VmapArea> {
  for (const [, va] of tree.entries(from)) yield va;
}

function makeArea(start: number, pages: number, guard: boolean, caller: string, owner: string, lazy: boolean, requestId: string): VmapArea {
  // Always every field, in one order: one hidden class for all areas.
  return { start, pages, guard, caller, owner, lazy, requestId };
}

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

  /**
   * Busy (not lazily freed) areas by start page: the busy rbtree and
   * vmap_area_list in one. As in the kernel, free takes an area out of it and
   * onto the purge list, so a purge only touches the free index.
   */
  private busy = new BTree<number, VmapArea>(undefined, byStart);
  /** Free blocks: free_vmap_area_root. */
  private freeIndex = new FreeIndex();
  /**
   * Lazily freed areas awaiting purge, in free order: the kernel's purge
   * list. Only ever appended to; a purge replaces the array, so a LazySlice
   * of it (what a view holds) never changes.
   */
  private lazyAreas: VmapArea[] = [];
  /** The purge list as last sliced for a walk or a view; reused while nothing was appended. */
  private lazySlice = new LazySlice(this.lazyAreas, 0);
  private usedPages = 0;
  private lazyPages = 0;
  private nrBusy = 0;
  private mutations = 0;
  /** While a write batch runs: what each change did, oldest first (see beginJournal). */
  private journal: Undo[] | null = null;

  /** An empty space of the given shape. */
  constructor(shape: SpaceShape) {
    const { basePage, pages } = shape;
    const lazyMaxPages = shape.lazyMaxPages ?? DEFAULT_LAZY_MAX_PAGES;
    if (!Number.isSafeInteger(basePage) || basePage < 0) throw new InvalidArgument('space-base', 'must be a page-aligned address');
    if (!Number.isSafeInteger(pages) || pages <= 0) throw new InvalidArgument('space-size', 'must be a positive whole number of pages');
    if (basePage + pages > 2 ** 52) throw new InvalidArgument('space-size', 'the space must end at or below 2^64');
    if (!Number.isSafeInteger(lazyMaxPages) || lazyMaxPages < 0) {
      throw new InvalidArgument('lazy-max-pages', 'must be a non-negative integer');
    }
    this.basePage = basePage;
    this.pages = pages;
    this.lazyMaxPages = lazyMaxPages;
    this.freeIndex.insert(0, pages);
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
    const { size } = req;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) {
      throw new InvalidArgument('size', `must be a positive integer number of bytes, got ${String(size)}`);
    }
    const guard = req.noGuard !== true;
    const n = pagesFor(size) + (guard ? 1 : 0);
    if (n > this.pages) {
      throw new InvalidArgument('size', `${size} bytes${guard ? ' and a guard page' : ''} exceed the whole space (${this.pages * PAGE_SIZE} bytes)`);
    }
    const align = req.align ?? 0;
    // An integer: isPowerOfTwo also accepts 2^-k, which is no number of bytes.
    if (typeof align !== 'number' || (align !== 0 && !(Number.isInteger(align) && isPowerOfTwo(align)))) {
      throw new InvalidArgument('align', `must be 0 or a power of two, got ${String(align)}`);
    }
    const alignPages = align > PAGE_SIZE ? align / PAGE_SIZE : 1;
    const vstart = req.vstart ?? 0;
    const vend = req.vend === undefined || req.vend === 0 ? this.pages : req.vend;
    if (!Number.isSafeInteger(vstart) || vstart < 0 || vstart >= this.pages) {
      throw new InvalidArgument('vstart', 'must lie inside the space');
    }
    if (!Number.isSafeInteger(vend) || vend <= 0 || vend > this.pages) {
      throw new InvalidArgument('vend', 'must lie inside the space');
    }
    if (vstart >= vend) throw new InvalidArgument('vstart', 'must be below vend');

    let purged: PurgeResult | null = null;
    let start = this.freeIndex.findLowest(n, alignPages, vstart, vend, this.basePage);
    if (start < 0 && this.lazyAreas.length > 0) {
      purged = this.purge();
      start = this.freeIndex.findLowest(n, alignPages, vstart, vend, this.basePage);
    }
    if (start < 0) {
      throw new OutOfSpace(`no free range of ${n * PAGE_SIZE} bytes${alignPages > 1 ? ` aligned to ${align}` : ''} in the requested range`);
    }
    this.freeIndex.carveFit();
    const area = makeArea(start, n, guard, req.caller ?? '', req.owner ?? '', false, req.requestId ?? '');
    this.busy.set(start, area);
    this.usedPages += n;
    this.nrBusy++;
    this.mutations++;
    this.journal?.push({ op: 'alloc', area });
    return { area, purged };
  }

  /**
   * Lazily frees the busy area starting at `start`: it keeps its range until
   * the next purge, which happens at once if the lazy pages now exceed
   * `lazyMaxPages`.
   *
   * @throws NoSuchArea unless a busy, not yet freed area starts exactly there
   */
  free(start: number): FreeResult {
    // The B+ tree throws on a NaN key; NaN names no area.
    const va = Number.isNaN(start) ? undefined : take(this.busy, start);
    if (va === undefined) {
      throw new NoSuchArea(`trying to free nonexistent area at page ${start}`);
    }
    const lazyVa = makeArea(va.start, va.pages, va.guard, va.caller, va.owner, true, '');
    this.lazyAreas.push(lazyVa);
    this.usedPages -= va.pages;
    this.lazyPages += va.pages;
    this.nrBusy--;
    this.mutations++;
    this.journal?.push({ op: 'free', area: va });
    const purged = this.lazyPages > this.lazyMaxPages ? this.purge() : null;
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
    const va = Number.isNaN(start) ? undefined : this.busy.get(start);
    if (va === undefined) throw new NoSuchArea(`trying to release nonexistent area at page ${start}`);
    this.busy.delete(start);
    this.freeIndex.insert(va.start, va.pages);
    this.usedPages -= va.pages;
    this.nrBusy--;
    this.mutations++;
    this.journal?.push({ op: 'release', area: va });
    return va;
  }

  /** Returns every lazily freed area to free space (purge_vmap_area_lazy). */
  purge(): PurgeResult {
    const list = this.lazyAreas;
    const result = { areas: list.length, pages: this.lazyPages };
    if (list.length > 0) this.journal?.push({ op: 'purge', list, slice: this.lazySlice, pages: this.lazyPages });
    for (const va of list) this.freeIndex.insert(va.start, va.pages);
    // A new array, not a truncation: views still hold slices of the old one.
    this.lazyAreas = [];
    this.lazySlice = new LazySlice(this.lazyAreas, 0);
    this.lazyPages = 0;
    if (result.areas > 0) this.mutations++;
    return result;
  }

  /**
   * Starts recording every change (alloc, free, release, purge, including the
   * purges they trigger), so that a write batch that fails can be undone in
   * O(its changes) rather than the space rebuilt: the kernel's error paths
   * undo exactly what they did, too.
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
      switch (u.op) {
        case 'alloc':
          this.busy.delete(u.area.start);
          this.freeIndex.insert(u.area.start, u.area.pages);
          this.usedPages -= u.area.pages;
          this.nrBusy--;
          gone(u.area);
          break;
        case 'free': {
          // Newest first: its lazy copy is the last on the purge list, and past
          // every slice a published view holds (views are taken between batches).
          const lazyVa = this.lazyAreas.pop();
          if (lazyVa === undefined || lazyVa.start !== u.area.start) throw new Error(`undo: the purge list does not end with page ${u.area.start}`);
          if (this.lazySlice.length > this.lazyAreas.length) this.lazySlice = new LazySlice(this.lazyAreas, this.lazyAreas.length);
          this.lazyPages -= u.area.pages;
          this.busy.set(u.area.start, u.area);
          this.usedPages += u.area.pages;
          this.nrBusy++;
          busyAgain(u.area);
          break;
        }
        case 'release':
          this.freeIndex.reserve(u.area.start, u.area.pages);
          this.busy.set(u.area.start, u.area);
          this.usedPages += u.area.pages;
          this.nrBusy++;
          busyAgain(u.area);
          break;
        case 'purge':
          // The purge replaced the array, so the old one is as it was.
          for (const va of u.list) this.freeIndex.reserve(va.start, va.pages);
          this.lazyAreas = u.list;
          this.lazySlice = u.slice;
          this.lazyPages = u.pages;
          break;
      }
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
   * Rebuilds a space from a list of areas, busy and lazy (a recovered store,
   * or a published snapshot to roll back to). Lazy areas stay lazy and are
   * not purged, whatever their total.
   *
   * @throws Error when areas overlap, leave the space, or are not ascending
   */
  static fromAreas(shape: SpaceShape, areas: Iterable<VmapArea>): VmapSpace {
    const space = new VmapSpace(shape);
    let prevEnd = 0;
    for (const va of areas) {
      if (!Number.isSafeInteger(va.start) || !Number.isSafeInteger(va.pages) || va.pages <= 0) {
        throw new Error(`area at page ${va.start}: malformed (pages ${va.pages})`);
      }
      if (va.start < prevEnd) throw new Error(`area at page ${va.start} overlaps or precedes the area ending at page ${prevEnd}`);
      if (va.start + va.pages > space.pages) throw new Error(`area at page ${va.start} (${va.pages} pages) runs past the end of the space`);
      prevEnd = va.start + va.pages;
      space.freeIndex.reserve(va.start, va.pages);
      const area = makeArea(va.start, va.pages, va.guard, va.caller, va.owner, va.lazy, va.lazy ? '' : (va.requestId ?? ''));
      if (area.lazy) {
        space.lazyAreas.push(area);
        space.lazyPages += area.pages;
      } else {
        space.busy.set(va.start, area);
        space.usedPages += area.pages;
        space.nrBusy++;
      }
    }
    return space;
  }

  /** The busy (not lazily freed) area whose reserved range contains `page`. */
  find(page: number): VmapArea | undefined {
    if (Number.isNaN(page)) return undefined; // the B+ tree throws on a NaN key
    const pair = this.busy.getPairOrNextLower(page);
    if (pair === undefined) return undefined;
    const va = pair[1];
    return page < va.start + va.pages ? va : undefined;
  }

  /** The area (busy or lazy) starting exactly at `start`. */
  areaAt(start: number): VmapArea | undefined {
    if (Number.isNaN(start)) return undefined;
    return this.busy.get(start) ?? this.lazy().at(start);
  }

  /** The purge list as it is now, as an immutable slice. O(1). */
  private lazy(): LazySlice {
    const cur = this.lazySlice;
    if (cur.length === this.lazyAreas.length) return cur;
    return (this.lazySlice = new LazySlice(this.lazyAreas, this.lazyAreas.length));
  }

  /** How full the space is, from maintained counters: O(1). */
  meminfo(): MemInfo {
    return {
      total: this.pages * PAGE_SIZE,
      used: this.usedPages * PAGE_SIZE,
      chunk: this.freeIndex.largest * PAGE_SIZE,
      lazy: this.lazyPages * PAGE_SIZE,
      nrAreas: this.nrBusy,
      nrLazyAreas: this.lazyAreas.length,
    };
  }

  /** Blocks of free space (lazily freed ranges are not free): the free index's size. */
  get freeBlocks(): number {
    return this.freeIndex.count;
  }

  /** The same numbers as `meminfo`, computed by walking every area: O(n). */
  walkMeminfo(): MemInfo {
    const lazy = this.lazy();
    return walkMeminfo({ each: (visit) => lazy.each(this.busy, visit) }, this.pages);
  }

  /** Busy and lazy areas starting at or after page `from`, in ascending order. */
  areas(from = 0): IterableIterator<VmapArea> {
    return this.lazy().merge(busyFrom(this.busy, from), from);
  }

  /**
   * A copy-on-write view of the ordered area list, in O(1): later writes to
   * this space do not show in it. This is what a published snapshot holds.
   */
  view(): AreaList {
    const tree = this.busy.clone();
    const lazy = this.lazy();
    return {
      floor(page) {
        if (Number.isNaN(page)) return undefined;
        const busy = tree.getPairOrNextLower(page)?.[1];
        const lazyVa = lazy.floor(page);
        return lazyVa === undefined || (busy !== undefined && busy.start > lazyVa.start) ? busy : lazyVa;
      },
      from: (page) => lazy.merge(busyFrom(tree, page), page),
      each: (visit) => lazy.each(tree, visit),
    };
  }

  /**
   * Checks every invariant of the space (see the class comment). Returns a
   * description of the first violation, or null. O(n); for tests and recovery.
   */
  checkInvariants(): string | null {
    const treeProblem = this.freeIndex.checkInvariants();
    if (treeProblem) return `free index: ${treeProblem}`;
    const blocks = this.freeIndex.blocks();
    let cursor = 0;
    let used = 0;
    let lazy = 0;
    let nrBusy = 0;
    let nrLazy = 0;
    let next = blocks.next();
    const consumeFree = (upTo: number): string | null => {
      // Every gap between reserved ranges must be exactly one free block.
      if (cursor === upTo) return null;
      if (next.done || next.value.start !== cursor || next.value.start + next.value.pages !== upTo) {
        return `gap [${cursor}, ${upTo}) is not one free block`;
      }
      next = blocks.next();
      return null;
    };
    for (const va of this.areas()) {
      if (va.start < cursor) return `area at ${va.start} overlaps the range ending at ${cursor}`;
      if (va.pages <= 0 || va.start + va.pages > this.pages) return `area at ${va.start} has a bad size ${va.pages}`;
      const gapProblem = consumeFree(va.start);
      if (gapProblem) return gapProblem;
      cursor = va.start + va.pages;
      if (va.lazy) {
        lazy += va.pages;
        nrLazy++;
      } else {
        used += va.pages;
        nrBusy++;
      }
    }
    const tailProblem = consumeFree(this.pages);
    if (tailProblem) return tailProblem;
    if (!next.done) return `free block at ${next.value.start} overlaps a reserved range`;
    if (used !== this.usedPages || lazy !== this.lazyPages) return `counters used=${this.usedPages} lazy=${this.lazyPages}, walk ${used} ${lazy}`;
    if (nrBusy !== this.nrBusy || nrLazy !== this.lazyAreas.length) return 'area counts disagree with the walk';
    // Busy areas live in the busy index only, lazy ones on the purge list only.
    if (this.busy.size !== this.nrBusy) return `busy index holds ${this.busy.size} areas, ${this.nrBusy} are busy`;
    if (this.lazyAreas.some((va) => !va.lazy)) return 'a busy area is on the purge list';
    if (used + lazy + this.freeIndex.freePages !== this.pages) return 'busy + lazy + free != total';
    return null;
  }
}
