/**
 * The reference model of the vmap allocator: one sorted array where VmapSpace
 * has an rbtree, a free index and counters. Two users, one model:
 *
 * - the property tests (test/vmap/space.property.test.ts, and through
 *   test/fuzz/service-model.ts the fuzz tests) run it beside VmapSpace and
 *   demand the same answers, so it is the oracle of the allocator's contract;
 * - the allocator benchmark (loadtest/bench-allocator.ts) cross-checks
 *   VmapSpace's placements against it at scale, and times it for contrast.
 *
 * It lives under loadtest/ rather than test/ because the Docker build copies
 * src/ and loadtest/ but not test/, and both trees import it.
 */
import { InvalidArgument, NoSuchArea, OutOfSpace } from '../../src/vmap/errors.js';
import type { MemInfo } from '../../src/vmap/meminfo.js';
import type { AllocRequest, PurgeResult } from '../../src/vmap/requests.js';
import type { VmapArea } from '../../src/vmap/vmap-area.js';

/** Bytes per page; restated here so the model does not lean on the code it checks. */
const PAGE = 4096;
const PAGE_N = 4096n;

/** The shape of a reference space, as for VmapSpace. */
export interface ReferenceShape {
  readonly basePage: number;
  readonly pages: number;
  readonly lazyMaxPages?: number;
}

/** A free gap between reserved ranges, `[start, end)` in relative pages. */
export interface Gap {
  readonly start: number;
  readonly end: number;
}

/** True for 0 and for integers that are powers of two, checked on a BigInt (exact for any finite double). */
function validAlign(align: unknown): boolean {
  if (align === 0) return true;
  if (typeof align !== 'number' || !Number.isInteger(align) || align <= 0) return false;
  const b = BigInt(align);
  return (b & (b - 1n)) === 0n;
}

/**
 * A deliberately simple reference model of VmapSpace, for differential tests
 * and the benchmark's cross-check.
 *
 * State is one array of reserved ranges (busy and lazily freed areas) kept
 * sorted by start; everything else but the lazy page count is computed from
 * it by scanning:
 *
 * - `alloc` validates the request in the same order as VmapSpace (size,
 *   size against the whole space, align, vstart, vend, vstart < vend), then
 *   walks the gaps between reserved ranges in ascending order and takes the
 *   first aligned start whose whole area (guard page included) fits in both
 *   the gap and `[vstart, vend)`. Alignment is computed on the absolute byte
 *   address with BigInt, so there is no rounding to reason about. When
 *   nothing fits and lazy areas exist, it purges them all and scans once more.
 * - `free` marks the busy area starting exactly there as lazy (clearing its
 *   request id) and purges all lazy areas when their pages exceed
 *   `lazyMaxPages` strictly.
 * - `purge` drops every lazy area from the array (the gaps coalesce by
 *   themselves, since gaps are whatever lies between reserved ranges).
 * - `meminfo` sums over the array and takes the largest gap.
 *
 * It is O(n) per operation on purpose: obviously correct beats fast here.
 * The scans are plain loops with no allocation per element, and lookups by
 * start are binary searches, only so that the benchmark can cross-check
 * 100k operations on thousands of live areas in about a second.
 */
export class ReferenceSpace {
  readonly basePage: number;
  readonly pages: number;
  readonly lazyMaxPages: number;
  /** Busy and lazy areas, sorted by start, never overlapping. */
  private reserved: VmapArea[] = [];
  /**
   * Pages of the lazy areas in `reserved`: the one figure kept rather than
   * scanned for, since every free needs it. Only `free` and `purge` change it;
   * meminfo() still sums by scanning, so a count gone wrong shows as a purge
   * at another time than VmapSpace's.
   */
  private lazyPages = 0;

  constructor(shape: ReferenceShape) {
    this.basePage = shape.basePage;
    this.pages = shape.pages;
    this.lazyMaxPages = shape.lazyMaxPages ?? 16384;
  }

  /** Same contract as VmapSpace.alloc. */
  alloc(req: AllocRequest): { area: VmapArea; purged: PurgeResult | null } {
    const size: unknown = req.size;
    if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0 || size > Number.MAX_SAFE_INTEGER) {
      throw new InvalidArgument('size', 'bad size');
    }
    const guard = req.noGuard !== true;
    const n = Math.ceil(size / PAGE) + (guard ? 1 : 0);
    if (n > this.pages) throw new InvalidArgument('size', 'larger than the space');
    const align = req.align ?? 0;
    if (!validAlign(align)) throw new InvalidArgument('align', 'bad align');
    const vstart = req.vstart ?? 0;
    if (!Number.isInteger(vstart) || vstart < 0 || vstart >= this.pages) throw new InvalidArgument('vstart', 'outside');
    const vend = req.vend === undefined || req.vend === 0 ? this.pages : req.vend;
    if (!Number.isInteger(vend) || vend <= 0 || vend > this.pages) throw new InvalidArgument('vend', 'outside');
    if (vstart >= vend) throw new InvalidArgument('vstart', 'not below vend');

    // Alignment below a page is a page.
    const alignBytes = BigInt(align) > PAGE_N ? BigInt(align) : PAGE_N;
    let purged: PurgeResult | null = null;
    let start = this.lowestFit(n, alignBytes, vstart, vend);
    if (start === undefined && this.reserved.some((a) => a.lazy)) {
      purged = this.purge();
      start = this.lowestFit(n, alignBytes, vstart, vend);
    }
    if (start === undefined) throw new OutOfSpace('nothing fits');
    const area: VmapArea = { start, pages: n, guard, caller: req.caller ?? '', owner: req.owner ?? '', lazy: false, requestId: req.requestId ?? '' };
    this.reserved.splice(this.firstAfter(start), 0, area);
    return { area, purged };
  }

  /** The lowest start of `n` pages, aligned to `alignBytes` absolutely, inside `[vstart, vend)` and one gap. */
  lowestFit(n: number, alignBytes: bigint, vstart: number, vend: number): number | undefined {
    const base = BigInt(this.basePage);
    const reserved = this.reserved;
    const paged = alignBytes === PAGE_N;
    // The gap before reserved[i], then (i === length) the one after the last range.
    let cursor = 0;
    for (let i = 0; i <= reserved.length && cursor < vend; i++) {
      const a = reserved[i];
      const lo = Math.max(cursor, vstart);
      const hi = Math.min(a === undefined ? this.pages : a.start, vend);
      if (paged) {
        // Every page start is page aligned: no arithmetic to get wrong.
        if (lo + n <= hi) return lo;
      } else {
        const absBytes = (base + BigInt(lo)) * PAGE_N;
        const alignedBytes = ((absBytes + alignBytes - 1n) / alignBytes) * alignBytes;
        const start = alignedBytes / PAGE_N - base;
        if (start + BigInt(n) <= BigInt(hi)) return Number(start);
      }
      if (a !== undefined) cursor = a.start + a.pages;
    }
    return undefined;
  }

  /** Same contract as VmapSpace.free. */
  free(start: number): { area: VmapArea; purged: PurgeResult | null } {
    const i = this.indexOf(start);
    const old = this.reserved[i];
    if (old === undefined || old.lazy) throw new NoSuchArea('no busy area starts there');
    // A lazy area no longer answers to its request id.
    const area: VmapArea = { ...old, lazy: true, requestId: '' };
    this.reserved[i] = area;
    this.lazyPages += area.pages;
    return { area, purged: this.lazyPages > this.lazyMaxPages ? this.purge() : null };
  }

  /** Same contract as VmapSpace.purge. */
  purge(): PurgeResult {
    let areas = 0;
    let pages = 0;
    for (const a of this.reserved) {
      if (!a.lazy) continue;
      areas++;
      pages += a.pages;
    }
    if (areas > 0) this.reserved = this.reserved.filter((a) => !a.lazy);
    this.lazyPages = 0;
    return { areas, pages };
  }

  /** Same contract as VmapSpace.find. */
  find(page: number): VmapArea | undefined {
    // The only range that can hold `page` is the last one starting at or before it.
    const a = this.reserved[this.firstAfter(page) - 1];
    return a !== undefined && !a.lazy && a.start <= page && page < a.start + a.pages ? a : undefined;
  }

  /** Busy and lazy areas starting at or after `from`, ascending. */
  areas(from = 0): VmapArea[] {
    return this.reserved.filter((a) => a.start >= from);
  }

  /** The free gaps between reserved ranges, ascending, none empty. */
  gaps(): Gap[] {
    const gaps: Gap[] = [];
    let cursor = 0;
    for (const a of this.reserved) {
      if (a.start > cursor) gaps.push({ start: cursor, end: a.start });
      cursor = a.start + a.pages;
    }
    if (cursor < this.pages) gaps.push({ start: cursor, end: this.pages });
    return gaps;
  }

  /** Same numbers as VmapSpace.meminfo, by scanning. */
  meminfo(): MemInfo {
    let busyPages = 0;
    let lazyPages = 0;
    let nrAreas = 0;
    let nrLazyAreas = 0;
    let chunk = 0;
    let cursor = 0;
    for (const a of this.reserved) {
      chunk = Math.max(chunk, a.start - cursor);
      cursor = a.start + a.pages;
      if (a.lazy) {
        lazyPages += a.pages;
        nrLazyAreas++;
      } else {
        busyPages += a.pages;
        nrAreas++;
      }
    }
    chunk = Math.max(chunk, this.pages - cursor);
    return { total: this.pages * PAGE, used: busyPages * PAGE, chunk: chunk * PAGE, lazy: lazyPages * PAGE, nrAreas, nrLazyAreas };
  }

  /** Index of the range starting exactly at `start`, or -1 (binary search). */
  private indexOf(start: number): number {
    const i = this.firstAfter(start) - 1;
    return i >= 0 && this.reserved[i]!.start === start ? i : -1;
  }

  /** Index of the first range starting after `page` (binary search): where a range starting at `page` goes. */
  private firstAfter(page: number): number {
    const reserved = this.reserved;
    let lo = 0;
    let hi = reserved.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (reserved[mid]!.start <= page) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
