/**
 * One reserved range of the space: the kernel's `vmap_area` together with the
 * few `vm_struct` fields vmapd keeps (caller, owner). Areas are immutable:
 * freeing one replaces it with a lazy copy, so a published snapshot that still
 * holds the old object never sees it change.
 */
export interface VmapArea {
  /** First page, relative to the space's base. */
  readonly start: number;
  /** Reserved pages, guard page included. */
  readonly pages: number;
  /** Whether the last reserved page is a guard page. */
  readonly guard: boolean;
  /** Free-form tag shown in vmallocinfo (the kernel prints the caller's symbol). */
  readonly caller: string;
  /** Who allocated it. */
  readonly owner: string;
  /** Freed and awaiting purge: still reserved, no longer busy. */
  readonly lazy: boolean;
  /**
   * The client's idempotency key for the alloc that made it ('' for none).
   * Cleared when the area is freed: a key names a live area only.
   */
  readonly requestId: string;
}

/**
 * A VmapArea with every field given. The allocator makes all its areas here,
 * with every field in one order, so they share one hidden class.
 */
export function makeArea(start: number, pages: number, guard: boolean, caller: string, owner: string, lazy: boolean, requestId: string): VmapArea {
  return { start, pages, guard, caller, owner, lazy, requestId };
}

/** The lazy copy of busy area `va`, as freeing makes it: its request id no longer names it. */
export function lazyCopy(va: VmapArea): VmapArea {
  return makeArea(va.start, va.pages, va.guard, va.caller, va.owner, true, '');
}

/**
 * A read-only, ordered view of a space's areas (busy and lazy) as they were
 * when the view was taken: what a published snapshot holds. Later writes to
 * the space never show in it.
 */
export interface AreaList {
  /** The area (busy or lazy) with the greatest start at or below `page`. */
  floor(page: number): VmapArea | undefined;
  /** Areas starting at or after `page`, ascending. */
  from(page: number): IterableIterator<VmapArea>;
  /**
   * Calls `visit` on every area, ascending: the same areas as `from(0)`,
   * without an iterator per step (the O(n) walks of the read modes use it).
   */
  each(visit: (va: VmapArea) => void): void;
  /** Calls `visit` on every area starting in [lo, hi), ascending, without an iterator per step. */
  range(lo: number, hi: number, visit: (va: VmapArea) => void): void;
}
