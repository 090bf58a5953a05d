/**
 * The area image brought up to date: the image's list, with the rows
 * written since its epoch put in (a new area, or a changed one: lazily
 * freed) and the starts removed since taken out. A start reads a million
 * areas from the image and only the rows that changed after it from the
 * table, instead of every row (schema 3, sqlite-schema.ts).
 *
 * The unchanged areas between two changes are copied as runs of each
 * column (TypedArray.set), and their request ids as one slice of the
 * image's id text, so bringing an image up to date costs a binary search
 * and a few copies per changed row, not a step per area.
 */
import type { EncodedAreaList } from './area-list-codec.js';
import { f64, textCoder, u32, u8 } from './area-list-codec.js';
import { lowerBound } from '../vmap/area-columns.js';

/** Runs at least this long are copied with TypedArray.set (a view of each column made per run); shorter ones area by area. */
const SET_RUN = 256;

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
  const keyCap = image.keyed.length + changed.keyed.length;
  const keyed = u32(keyCap);
  const idEnds = u32(keyCap);
  // The image's texts keep their indexes; the changed rows' are looked up, and added when new.
  const texts = [...image.texts];
  const remap = changed.texts.map(textCoder(texts));
  const parts: string[] = [];
  let n = 0; // areas out
  let k = 0; // keyed areas out
  let idLength = 0; // id text out
  let i = 0; // the image's next area
  let ki = 0; // the image's next keyed area
  /** Copies the image's areas [i, to) as they are: column runs, and their ids as one run of the id text. */
  const copyTo = (to: number): void => {
    if (to <= i) return;
    const shift = n - i;
    if (to - i >= SET_RUN) {
      out.starts.set(image.starts.subarray(i, to), n);
      out.pages.set(image.pages.subarray(i, to), n);
      out.flags.set(image.flags.subarray(i, to), n);
      out.callers.set(image.callers.subarray(i, to), n);
      out.owners.set(image.owners.subarray(i, to), n);
    } else {
      for (let x = i; x < to; x++) {
        out.starts[x + shift] = image.starts[x]!;
        out.pages[x + shift] = image.pages[x]!;
        out.flags[x + shift] = image.flags[x]!;
        out.callers[x + shift] = image.callers[x]!;
        out.owners[x + shift] = image.owners[x]!;
      }
    }
    n += to - i;
    const kTo = lowerBound(image.keyed, to);
    if (kTo > ki) {
      const idFrom = ki === 0 ? 0 : image.idEnds[ki - 1]!;
      const idShift = idLength - idFrom;
      for (let x = ki; x < kTo; x++, k++) {
        keyed[k] = image.keyed[x]! + shift;
        idEnds[k] = image.idEnds[x]! + idShift;
      }
      idLength = idEnds[k - 1]!;
      parts.push(image.requestIds.slice(idFrom, image.idEnds[kTo - 1]!));
      ki = kTo;
    }
    i = to;
  };
  /** Skips the image's area i. */
  const drop = (): void => {
    if (ki < image.keyed.length && image.keyed[ki] === i) ki++;
    i++;
  };
  let j = 0;
  let r = 0;
  while (j < n1 || r < removed.length) {
    // The next start the delta names: a changed area, or a removal (a changed area at the same start wins).
    const sj = j < n1 ? changed.starts[j]! : Infinity;
    const sr = r < removed.length ? removed[r]! : Infinity;
    const at = Math.min(sj, sr);
    copyTo(lowerBound(image.starts, at, i));
    if (i < n0 && image.starts[i] === at) drop();
    if (sr === at) r++;
    if (sj !== at) continue;
    out.starts[n] = sj;
    out.pages[n] = changed.pages[j]!;
    out.flags[n] = changed.flags[j]!;
    out.callers[n] = remap[changed.callers[j]!]!;
    out.owners[n] = remap[changed.owners[j]!]!;
    const kj = lowerBound(changed.keyed, j);
    if (kj < changed.keyed.length && changed.keyed[kj] === j) {
      const id = changed.requestIds.slice(kj === 0 ? 0 : changed.idEnds[kj - 1]!, changed.idEnds[kj]!);
      parts.push(id);
      keyed[k] = n;
      idEnds[k++] = idLength += id.length;
    }
    j++;
    n++;
  }
  copyTo(n0);
  return {
    starts: out.starts.subarray(0, n),
    pages: out.pages.subarray(0, n),
    flags: out.flags.subarray(0, n),
    callers: out.callers.subarray(0, n),
    owners: out.owners.subarray(0, n),
    texts,
    keyed: keyed.subarray(0, k),
    requestIds: parts.join(''),
    idEnds: idEnds.subarray(0, k),
  };
}
