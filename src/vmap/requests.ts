/**
 * What VmapSpace's operations take and give back: the allocation request
 * and its checks, and the results of alloc, free and purge.
 */
import { InvalidArgument } from './errors.js';
import { PAGE_SIZE, isPowerOfTwo, pagesFor } from './page.js';
import type { VmapArea } from './vmap-area.js';

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
  /** The new busy area. */
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

// The checks below are alloc's, in the order it makes them (size, size
// against the space, align, vstart, vend, vstart < vend). Each returns one
// number rather than a parsed request, so alloc allocates nothing for them.

/**
 * Pages an area for `req` reserves in a space of `spacePages` pages: its
 * size rounded up to pages, and the guard page unless `noGuard`.
 *
 * @throws InvalidArgument for `size` when it is no positive integer or the area exceeds the space
 */
export function checkedPages(req: AllocRequest, spacePages: number): number {
  const { size } = req;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) {
    throw new InvalidArgument('size', `must be a positive integer number of bytes, got ${String(size)}`);
  }
  const guard = req.noGuard !== true;
  const n = pagesFor(size) + (guard ? 1 : 0);
  if (n > spacePages) {
    throw new InvalidArgument('size', `${size} bytes${guard ? ' and a guard page' : ''} exceed the whole space (${spacePages * PAGE_SIZE} bytes)`);
  }
  return n;
}

/**
 * The alignment `req` asks for, in pages: 1 for none, or for one that every
 * page start meets (at most a page).
 *
 * @throws InvalidArgument for `align` unless it is 0 or a power of two
 */
export function checkedAlignPages(req: AllocRequest): number {
  const align = req.align ?? 0;
  // An integer: isPowerOfTwo also accepts 2^-k, which is no number of bytes.
  if (typeof align !== 'number' || (align !== 0 && !(Number.isInteger(align) && isPowerOfTwo(align)))) {
    throw new InvalidArgument('align', `must be 0 or a power of two, got ${String(align)}`);
  }
  return align > PAGE_SIZE ? align / PAGE_SIZE : 1;
}

/**
 * The lowest page `req` lets the area use: its `vstart`, default 0.
 *
 * @throws InvalidArgument for `vstart` when it lies outside the space
 */
export function checkedVstart(req: AllocRequest, spacePages: number): number {
  const vstart = req.vstart ?? 0;
  if (!Number.isSafeInteger(vstart) || vstart < 0 || vstart >= spacePages) {
    throw new InvalidArgument('vstart', 'must lie inside the space');
  }
  return vstart;
}

/**
 * The page the area must end at or before: `req.vend`, where 0 or none
 * means the space's end.
 *
 * @throws InvalidArgument for `vend` outside the space, or for `vstart` when it is not below it
 */
export function checkedVend(req: AllocRequest, spacePages: number, vstart: number): number {
  const vend = req.vend === undefined || req.vend === 0 ? spacePages : req.vend;
  if (!Number.isSafeInteger(vend) || vend <= 0 || vend > spacePages) {
    throw new InvalidArgument('vend', 'must lie inside the space');
  }
  if (vstart >= vend) throw new InvalidArgument('vstart', 'must be below vend');
  return vend;
}
