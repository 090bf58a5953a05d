/**
 * The area image: the whole area list of a SQLite store as one file
 * (vmapd.image), written when vmapd stops cleanly (and by a start that read
 * rows changed since the last one), and read back, in one piece, by the next
 * start, which reads from the table only the rows changed since it
 * (area-delta.ts). A million areas read as rows cost SQLite about
 * 1.5 s (and as a blob, its chain of overflow pages, 0.1 s); as a file of
 * columns (about 30 MB) they are one read into shared memory, whose columns
 * are then viewed where they lie and posted to the reader threads as they
 * are.
 *
 * It is the area list's columns (area-list-codec.ts) laid end to end:
 *
 *   0  "VMAPIMG1"                      magic and format
 *   8  16 bytes                         the token the database names it by
 *  24  u32 n, u32 k, u32 t, u32 r       areas, keyed areas, bytes of the texts, bytes of the request ids
 *  40  u64 0                            (reserved)
 *  48  f64 starts[n], f64 pages[n], u32 callers[n], u32 owners[n], u32 keyed[k], u32 idEnds[k],
 *      u8 flags[n], texts (JSON array, UTF-8, t bytes), request ids (end to end, UTF-8, r bytes)
 *
 * all little-endian. How it relates to the table is the store's business
 * (sqlite-schema.ts: the database names the image by its token, with the
 * epoch it holds every change of).
 */
import { ChangeCodecError } from './change-codec.js';
import type { EncodedAreaList } from './area-list-codec.js';

const MAGIC = 'VMAPIMG1';
const HEADER_BYTES = 48;
/** Bytes of the token. */
export const IMAGE_TOKEN_BYTES = 16;

/** The bytes of `list` as an image named `token` (IMAGE_TOKEN_BYTES bytes). */
export function encodeAreaImage(list: EncodedAreaList, token: Uint8Array): Buffer {
  if (token.length !== IMAGE_TOKEN_BYTES) throw new RangeError(`an image token is ${IMAGE_TOKEN_BYTES} bytes`);
  const n = list.starts.length;
  const k = list.keyed.length;
  const texts = Buffer.from(JSON.stringify(list.texts), 'utf8');
  const ids = Buffer.from(list.requestIds, 'utf8');
  const out = Buffer.alloc(HEADER_BYTES + 8 * n * 2 + 4 * n * 2 + 8 * k + n + texts.length + ids.length);
  out.write(MAGIC, 0, 'latin1');
  out.set(token, 8);
  out.writeUInt32LE(n, 24);
  out.writeUInt32LE(k, 28);
  out.writeUInt32LE(texts.length, 32);
  out.writeUInt32LE(ids.length, 36);
  let at = HEADER_BYTES;
  for (const column of [list.starts, list.pages, list.callers, list.owners, list.keyed, list.idEnds, list.flags]) {
    out.set(new Uint8Array(column.buffer, column.byteOffset, column.byteLength), at);
    at += column.byteLength;
  }
  out.set(texts, at);
  out.set(ids, at + texts.length);
  return out;
}

/** An image read back: the token it was written under and the list it holds. */
export interface AreaImage {
  readonly token: Uint8Array;
  readonly list: EncodedAreaList;
}

/**
 * The area list the image in `image` holds, its columns views of `image`
 * itself (shared memory: posted to the reader threads as they are). The
 * layout is checked here, and that every text an area names is there; the
 * areas themselves are checked as any recovered list is, by the space.
 *
 * @throws ChangeCodecError when `image` is not a whole image of this format
 */
export function decodeAreaImage(image: SharedArrayBuffer): AreaImage {
  const bytes = new Uint8Array(image);
  if (bytes.length < HEADER_BYTES || Buffer.from(image, 0, 8).toString('latin1') !== MAGIC) throw new ChangeCodecError('not an area image of this format');
  const view = new DataView(image);
  const n = view.getUint32(24, true);
  const k = view.getUint32(28, true);
  const t = view.getUint32(32, true);
  const r = view.getUint32(36, true);
  const size = HEADER_BYTES + 16 * n + 8 * n + 8 * k + n + t + r;
  if (bytes.length !== size) throw new ChangeCodecError(`the area image is ${bytes.length} bytes, not the ${size} its header says`);
  let at = HEADER_BYTES;
  const starts = new Float64Array(image, at, n);
  const pages = new Float64Array(image, (at += 8 * n), n);
  const callers = new Uint32Array(image, (at += 8 * n), n);
  const owners = new Uint32Array(image, (at += 4 * n), n);
  const keyed = new Uint32Array(image, (at += 4 * n), k);
  const idEnds = new Uint32Array(image, (at += 4 * k), k);
  const flags = new Uint8Array(image, (at += 4 * k), n);
  at += n;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let texts: unknown;
  let requestIds: string;
  try {
    // TextDecoder reads no shared memory: these two copy their bytes out first.
    texts = JSON.parse(decoder.decode(bytes.slice(at, at + t)));
    requestIds = decoder.decode(bytes.slice(at + t, at + t + r));
  } catch (err) {
    throw new ChangeCodecError(`the area image's texts do not read: ${(err as Error).message}`);
  }
  if (!Array.isArray(texts) || !texts.every((x) => typeof x === 'string')) throw new ChangeCodecError("the area image's text table is not a list of strings");
  // What walking the list would find wrong later, found now: the image is refused whole, never half used.
  for (let i = 0; i < n; i++) {
    if (callers[i]! >= texts.length || owners[i]! >= texts.length) throw new ChangeCodecError(`area ${i} of the area image names a text the table lacks`);
  }
  for (let i = 0; i < k; i++) {
    if (keyed[i]! >= n || (i > 0 && keyed[i]! <= keyed[i - 1]!)) throw new ChangeCodecError("the area image's keyed areas are out of order or out of range");
  }
  return { token: bytes.slice(8, 8 + IMAGE_TOKEN_BYTES), list: { starts, pages, flags, callers, owners, texts: texts as string[], keyed, requestIds, idEnds } };
}
