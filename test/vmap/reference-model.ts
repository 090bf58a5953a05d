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
 * A deliberately simple reference model of VmapSpace, for differential tests.
 *
 * State is one array of reserved ranges (busy and lazily freed areas) kept
 * sorted by start; everything else is computed from it by scanning:
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
 */
export class ReferenceSpace {
  readonly basePage: number;
  readonly pages: number;
  readonly lazyMaxPages: number;
  /** Busy and lazy areas, sorted by start, never overlapping. */
  private reserved: VmapArea[] = [];

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
    this.reserved.push(area);
    this.reserved.sort((a, b) => a.start - b.start);
    return { area, purged };
  }

  /** The lowest start of `n` pages, aligned to `alignBytes` absolutely, inside `[vstart, vend)` and one gap. */
  lowestFit(n: number, alignBytes: bigint, vstart: number, vend: number): number | undefined {
    const base = BigInt(this.basePage);
    for (const gap of this.gaps()) {
      const lo = Math.max(gap.start, vstart);
      const hi = Math.min(gap.end, vend);
      const absBytes = (base + BigInt(lo)) * PAGE_N;
      const alignedBytes = ((absBytes + alignBytes - 1n) / alignBytes) * alignBytes;
      const start = alignedBytes / PAGE_N - base;
      if (start + BigInt(n) <= BigInt(hi)) return Number(start);
    }
    return undefined;
  }

  /** Same contract as VmapSpace.free. */
  free(start: number): { area: VmapArea; purged: PurgeResult | null } {
    const i = this.reserved.findIndex((a) => a.start === start && !a.lazy);
    const old = this.reserved[i];
    if (old === undefined) throw new NoSuchArea('no busy area starts there');
    // A lazy area no longer answers to its request id.
    const area: VmapArea = { ...old, lazy: true, requestId: '' };
    this.reserved[i] = area;
    const lazyPages = this.reserved.filter((a) => a.lazy).reduce((sum, a) => sum + a.pages, 0);
    return { area, purged: lazyPages > this.lazyMaxPages ? this.purge() : null };
  }

  /** Same contract as VmapSpace.purge. */
  purge(): PurgeResult {
    const lazy = this.reserved.filter((a) => a.lazy);
    this.reserved = this.reserved.filter((a) => !a.lazy);
    return { areas: lazy.length, pages: lazy.reduce((sum, a) => sum + a.pages, 0) };
  }

  /** Same contract as VmapSpace.find. */
  find(page: number): VmapArea | undefined {
    return this.reserved.find((a) => !a.lazy && a.start <= page && page < a.start + a.pages);
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
    const busy = this.reserved.filter((a) => !a.lazy);
    const lazy = this.reserved.filter((a) => a.lazy);
    const sum = (list: VmapArea[]): number => list.reduce((s, a) => s + a.pages, 0);
    return {
      total: this.pages * PAGE,
      used: sum(busy) * PAGE,
      chunk: Math.max(0, ...this.gaps().map((g) => g.end - g.start)) * PAGE,
      lazy: sum(lazy) * PAGE,
      nrAreas: busy.length,
      nrLazyAreas: lazy.length,
    };
  }
}
