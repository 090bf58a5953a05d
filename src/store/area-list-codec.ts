/**
 * The wire form of a whole area list (what a reader thread's replica starts
 * from): columns in shared memory, with the texts that repeat (callers,
 * owners) as indexes into one small table, and the request ids, which do
 * not, as one string of only the areas that have one, laid end to end, with
 * a column of where each ends: reading one back is a slice of that string
 * (about a fifth of what parsing them as a JSON array cost).
 *
 * On a restart with a million areas this is what stands between the
 * recovered space and a listening reader thread. Encoded as change records
 * (change-codec.ts: three texts per area in one JSON array) the list took
 * about 0.4 s to encode and 0.6 s to decode; here the numbers are never
 * copied (SharedArrayBuffer: encoded once, posted to every thread) and a
 * caller or owner is one Map lookup on encoding and one array read on
 * decoding.
 */
import { GUARD, LAZY, type AreaColumns } from '../vmap/area-columns.js';
import { makeArea, type AreaList, type VmapArea } from '../vmap/vmap-area.js';
import { ChangeCodecError } from './change-codec.js';

/** An area list in columns: the i-th entry of each column belongs to the i-th area, ascending by start (the allocator's own AreaColumns). */
export type EncodedAreaList = AreaColumns;

export { GUARD, LAZY };

// Columns in shared memory: posting one to a thread copies nothing. (A
// buffer of at least one entry: a typed array cannot view zero bytes of one.)
export const f64 = (n: number): Float64Array => new Float64Array(new SharedArrayBuffer(8 * Math.max(1, n))).subarray(0, n);
export const u32 = (n: number): Uint32Array => new Uint32Array(new SharedArrayBuffer(4 * Math.max(1, n))).subarray(0, n);
export const u8 = (n: number): Uint8Array => new Uint8Array(new SharedArrayBuffer(Math.max(1, n))).subarray(0, n);

/** Puts one area's fields, as AreaFields.each hands them over. */
export type PutArea = (start: number, pages: number, guard: boolean, lazy: boolean, caller: string, owner: string, requestId: string) => void;

/**
 * The `count` areas of `list` (busy and lazy, as `each` visits them) in
 * columns. @throws RangeError when `list` holds another number of areas
 */
export function encodeAreaList(list: Pick<AreaList, 'each'>, count: number): EncodedAreaList {
  return encodeAreaFields(count, (put) => list.each((va) => void put(va.start, va.pages, va.guard, va.lazy, va.caller, va.owner, va.requestId)));
}

/**
 * The `count` areas `each` puts, ascending, field by field (no area object
 * needed: the SQLite rows are encoded straight from their columns), in
 * columns. @throws RangeError when `each` puts another number of areas
 */
export function encodeAreaFields(count: number, each: (put: PutArea) => void): EncodedAreaList {
  const starts = f64(count);
  const pages = f64(count);
  const flags = u8(count);
  const callers = u32(count);
  const owners = u32(count);
  const texts: string[] = [];
  const code = textCoder(texts);
  const keyed: number[] = [];
  const requestIds: string[] = [];
  const ends: number[] = [];
  let end = 0;
  let i = 0;
  each((start, areaPages, guard, lazy, caller, owner, requestId) => {
    if (i >= count) throw new RangeError(`the area list holds more than the ${count} areas it was said to`);
    starts[i] = start;
    pages[i] = areaPages;
    flags[i] = (guard ? GUARD : 0) | (lazy ? LAZY : 0);
    callers[i] = code(caller);
    owners[i] = code(owner);
    if (requestId !== '') {
      keyed.push(i);
      requestIds.push(requestId);
      ends.push((end += requestId.length));
    }
    i++;
  });
  if (i !== count) throw new RangeError(`the area list holds ${i} areas, not ${count}`);
  const keyedColumn = u32(keyed.length);
  keyedColumn.set(keyed);
  const idEnds = u32(ends.length);
  idEnds.set(ends);
  return { starts, pages, flags, callers, owners, texts, keyed: keyedColumn, requestIds: requestIds.join(''), idEnds };
}

/** The index in `texts` of a text, added at the end when it is not there yet. */
export function textCoder(texts: string[]): (text: string) => number {
  const index = new Map(texts.map((t, i) => [t, i]));
  return (text) => {
    let i = index.get(text);
    if (i === undefined) {
      i = texts.length;
      texts.push(text);
      index.set(text, i);
    }
    return i;
  };
}

/** The text at `i` of `texts`, which must be there. */
function textAt(texts: readonly string[], i: number, what: string, area: number): string {
  const t = texts[i];
  if (typeof t !== 'string') throw new ChangeCodecError(`area ${area} names ${what} ${i}, which the text table lacks`);
  return t;
}

/** See EncodedAreas.cursor. @throws ChangeCodecError as EncodedAreas.each does */
export interface AreaCursor {
  take(count: number, visit: (va: VmapArea) => void): boolean;
}

/**
 * The areas an encoded list holds, made one at a time as they are walked,
 * as the allocator makes them (one hidden class), ascending as encoded. The
 * columns are checked on construction, each text as its area is made.
 */
export class EncodedAreas implements Iterable<VmapArea> {
  /** How many areas there are. */
  readonly length: number;

  /** @throws ChangeCodecError when the columns of `e` do not line up */
  constructor(readonly list: EncodedAreaList) {
    const n = list.starts.length;
    if (list.pages.length !== n || list.flags.length !== n || list.callers.length !== n || list.owners.length !== n) throw new ChangeCodecError('the area list columns differ in length');
    const { idEnds, keyed, requestIds } = list;
    if (idEnds.length !== keyed.length) throw new ChangeCodecError('the request ids do not match the keyed areas');
    for (let k = 0; k < idEnds.length; k++) {
      if (idEnds[k]! < (k === 0 ? 0 : idEnds[k - 1]!)) throw new ChangeCodecError('the request ids end out of order');
    }
    if ((idEnds.length === 0 ? 0 : idEnds[idEnds.length - 1]!) !== requestIds.length) throw new ChangeCodecError('the request ids do not end where their text does');
    this.length = n;
  }

  /**
   * Visits every area in order: a plain loop, which costs about half what a
   * generator does over a million areas.
   *
   * @throws ChangeCodecError when an area names a text the table lacks, or the keyed areas are out of order
   */
  each(visit: (va: VmapArea) => void): void {
    this.cursor().take(this.length, visit);
  }

  /** A walk over the areas that can stop and go on: `take(n, visit)` visits the next n (fewer at the end) and says whether the walk is done. */
  cursor(): AreaCursor {
    const { starts, pages, flags, callers, owners, texts, keyed, requestIds, idEnds } = this.list;
    const n = this.length;
    let i = 0;
    let k = 0;
    let idStart = 0;
    let nextKeyed = keyed.length > 0 ? keyed[0]! : -1;
    return {
      take(count, visit) {
        const to = Math.min(n, i + count);
        for (; i < to; i++) {
          let requestId = '';
          if (i === nextKeyed) {
            const idEnd = idEnds[k++]!;
            requestId = requestIds.slice(idStart, idEnd);
            idStart = idEnd;
            nextKeyed = k < keyed.length ? keyed[k]! : -1;
          }
          const f = flags[i]!;
          visit(makeArea(starts[i]!, pages[i]!, (f & GUARD) !== 0, textAt(texts, callers[i]!, 'caller', i), textAt(texts, owners[i]!, 'owner', i), (f & LAZY) !== 0, requestId));
        }
        if (i < n) return false;
        if (k !== keyed.length) throw new ChangeCodecError('keyed areas out of order or out of range');
        return true;
      },
    };
  }

  /** The areas, all made at once (see each). */
  [Symbol.iterator](): IterableIterator<VmapArea> {
    return this.toArray()[Symbol.iterator]();
  }

  /** Every area, made at once. */
  toArray(): VmapArea[] {
    const out: VmapArea[] = [];
    this.each((va) => out.push(va));
    return out;
  }
}

/** Every area `e` holds, made at once (see EncodedAreas). @throws ChangeCodecError when `e` is not well formed */
export function decodeAreaList(e: EncodedAreaList): VmapArea[] {
  return new EncodedAreas(e).toArray();
}
