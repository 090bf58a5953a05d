/**
 * The area image brought up to date: the image's list, with the rows
 * written since its epoch put in (a new area, or a changed one: lazily
 * freed) and the starts removed since taken out. A start reads a million
 * areas from the image and only the rows that changed after it from the
 * table, instead of every row (schema 3, sqlite-schema.ts).
 *
 * The unchanged areas are copied column to column, and their request ids
 * as runs of the image's id text, so bringing an image of a million areas
 * up to date costs a few milliseconds plus the changed rows.
 */
import type { EncodedAreaList } from './area-list-codec.js';
import { f64, u32, u8 } from './area-list-codec.js';

/**
 * `image` with `changed` (areas, ascending: each replaces the image's area
 * at its start, or is new) and `removed` (starts, ascending: the image's
 * area there is gone, unless `changed` has one there) applied, ascending.
 * Returns `image` itself when there is nothing to apply.
 */
export function applyDelta(image: EncodedAreaList, changed: EncodedAreaList, removed: ArrayLike<number>): EncodedAreaList {
  const n0 = image.starts.length;
  const n1 = changed.starts.length;
  if (n1 === 0 && removed.length === 0) return image;
  const cap = n0 + n1;
  const out = { starts: f64(cap), pages: f64(cap), flags: u8(cap), callers: u32(cap), owners: u32(cap) };
  // The image's texts keep their indexes; the changed rows' are looked up, and added when new.
  const texts = [...image.texts];
  const index = new Map(texts.map((t, i) => [t, i]));
  const remap = changed.texts.map((t) => {
    let i = index.get(t);
    if (i === undefined) {
      i = texts.length;
      texts.push(t);
      index.set(t, i);
    }
    return i;
  });
  const keyed: number[] = [];
  const ends: number[] = [];
  const parts: string[] = [];
  let idLength = 0;
  // The run of the image's id text being kept: [runFrom, runTo), or none.
  let runFrom = -1;
  let runTo = 0;
  const endRun = (): void => {
    if (runFrom >= 0) parts.push(image.requestIds.slice(runFrom, runTo));
    runFrom = -1;
  };
  let i = 0;
  let j = 0;
  let r = 0;
  let ki = 0;
  let kj = 0;
  let n = 0;
  while (i < n0 || j < n1) {
    const si = i < n0 ? image.starts[i]! : Infinity;
    const sj = j < n1 ? changed.starts[j]! : Infinity;
    if (sj <= si) {
      if (sj === si) {
        // Replaced: the image's area there is dropped.
        if (ki < image.keyed.length && image.keyed[ki] === i) {
          endRun();
          ki++;
        }
        i++;
      }
      out.starts[n] = sj;
      out.pages[n] = changed.pages[j]!;
      out.flags[n] = changed.flags[j]!;
      out.callers[n] = remap[changed.callers[j]!]!;
      out.owners[n] = remap[changed.owners[j]!]!;
      if (kj < changed.keyed.length && changed.keyed[kj] === j) {
        endRun();
        const id = changed.requestIds.slice(kj === 0 ? 0 : changed.idEnds[kj - 1]!, changed.idEnds[kj]!);
        parts.push(id);
        keyed.push(n);
        ends.push((idLength += id.length));
        kj++;
      }
      j++;
      n++;
      continue;
    }
    while (r < removed.length && removed[r]! < si) r++;
    const isKeyed = ki < image.keyed.length && image.keyed[ki] === i;
    if (r < removed.length && removed[r] === si) {
      if (isKeyed) {
        endRun();
        ki++;
      }
      i++;
      continue;
    }
    out.starts[n] = si;
    out.pages[n] = image.pages[i]!;
    out.flags[n] = image.flags[i]!;
    out.callers[n] = image.callers[i]!;
    out.owners[n] = image.owners[i]!;
    if (isKeyed) {
      const from = ki === 0 ? 0 : image.idEnds[ki - 1]!;
      const to = image.idEnds[ki]!;
      if (runFrom < 0) runFrom = from;
      runTo = to;
      keyed.push(n);
      ends.push((idLength += to - from));
      ki++;
    }
    i++;
    n++;
  }
  endRun();
  const keyedColumn = u32(keyed.length);
  keyedColumn.set(keyed);
  const idEnds = u32(ends.length);
  idEnds.set(ends);
  return {
    starts: out.starts.subarray(0, n),
    pages: out.pages.subarray(0, n),
    flags: out.flags.subarray(0, n),
    callers: out.callers.subarray(0, n),
    owners: out.owners.subarray(0, n),
    texts,
    keyed: keyedColumn,
    requestIds: parts.join(''),
    idEnds,
  };
}
