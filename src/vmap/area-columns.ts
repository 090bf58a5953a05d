/**
 * Areas as columns, one row an area, ascending by start: the shape a store
 * recovers them in (the area image, or the rows of the table) and the one
 * the reader threads are sent (src/store/area-list-codec.ts encodes it).
 * A space restored from columns keeps the busy ones there, not as objects
 * (`BusyRows`), and makes a leaf's areas only when that leaf is first
 * looked up or written: a restart of a million areas makes none.
 */
import { makeArea, type VmapArea } from './vmap-area.js';

/** The columns of a list of areas. */
export interface AreaColumns {
  readonly starts: Float64Array;
  readonly pages: Float64Array;
  /** GUARD and LAZY bits. */
  readonly flags: Uint8Array;
  /** Index in `texts` of each area's caller. */
  readonly callers: Uint32Array;
  /** Index in `texts` of each area's owner. */
  readonly owners: Uint32Array;
  /** The distinct callers and owners. */
  readonly texts: readonly string[];
  /** Indexes of the areas that carry a request id, ascending. */
  readonly keyed: Uint32Array;
  /** Their request ids, in the order of `keyed`, end to end. */
  readonly requestIds: string;
  /** Where each of them ends in `requestIds` (UTF-16 units), ascending. */
  readonly idEnds: Uint32Array;
}

/** The bits of an area's `flags`. */
export const GUARD = 1;
export const LAZY = 2;

/**
 * The busy areas of checked columns (space-restore.ts checks them): `rows`
 * holds the row of each, ascending. Never changes, so the leaves of every
 * generation of a busy index may share it.
 */
export class BusyRows {
  constructor(
    readonly cols: AreaColumns,
    readonly rows: Int32Array,
  ) {}

  /** Busy areas. */
  get length(): number {
    return this.rows.length;
  }

  /** The start of busy area `i`. */
  startOf(i: number): number {
    return this.cols.starts[this.rows[i]!]!;
  }

  /** Makes busy areas [from, from + n) into `into[0, n)`, as the allocator makes them. */
  make(from: number, n: number, into: VmapArea[]): void {
    const { starts, pages, flags, callers, owners, texts, keyed, requestIds, idEnds } = this.cols;
    const rows = this.rows;
    // The first keyed row at or after this run's first row, then onwards as the rows ascend.
    let k = lowerBound(keyed, rows[from]!);
    for (let j = 0; j < n; j++) {
      const row = rows[from + j]!;
      while (k < keyed.length && keyed[k]! < row) k++;
      const requestId = k < keyed.length && keyed[k] === row ? requestIds.slice(k === 0 ? 0 : idEnds[k - 1]!, idEnds[k]!) : '';
      const f = flags[row]!;
      into[j] = makeArea(starts[row]!, pages[row]!, (f & GUARD) !== 0, texts[callers[row]!]!, texts[owners[row]!]!, false, requestId);
    }
  }
}

/** The first index at or after `from` of `a` (ascending) whose value is >= `v`. */
export function lowerBound(a: ArrayLike<number>, v: number, from = 0): number {
  let lo = from;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
