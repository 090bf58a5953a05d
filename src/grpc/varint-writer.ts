/**
 * Varints and length-delimited bytes written into a buffer sized
 * beforehand: what the AllocBatch encoders (the server's reply, the
 * client's request) still do by hand. protobufjs's Writer queues an object
 * per field until finish(), some 200,000 for 10,000 areas, all live at
 * once: with it, an AllocBatch of 10,000 took 40% (the client's request)
 * to twice (both encoders) as long end to end (loadtest/bench-bulk.ts,
 * memory store). Reading goes through protobufjs's Reader.
 * A 64-bit varint is two 32-bit halves, exact beyond 2^53.
 */

/** Bytes of the varint of `v` (an unsigned 32-bit number). */
export function varint32Size(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Bytes of the varint of the 64-bit value `hi * 2^32 + lo` (both unsigned 32-bit). */
export function varint64Size(lo: number, hi: number): number {
  if (hi === 0) return varint32Size(lo);
  // 35 bits fill five bytes; every further 7 bits of hi one more.
  return hi < 0x8 ? 5 : hi < 0x400 ? 6 : hi < 0x20000 ? 7 : hi < 0x1000000 ? 8 : hi < 0x80000000 ? 9 : 10;
}

/** Writes the varint of `v` (unsigned 32-bit) at `pos`; returns the position after it. */
export function writeVarint32(buf: Uint8Array, pos: number, v: number): number {
  while (v > 0x7f) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Writes the varint of `hi * 2^32 + lo` at `pos`; returns the position after it. */
export function writeVarint64(buf: Uint8Array, pos: number, lo: number, hi: number): number {
  while (hi !== 0) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  return writeVarint32(buf, pos, lo);
}

/** Writes `bytes` length-delimited at `pos`; returns the position after them. */
export function writeBytes(buf: Buffer, pos: number, bytes: Buffer): number {
  pos = writeVarint32(buf, pos, bytes.length);
  // A call into buf.set costs more than copying a short string byte by byte.
  if (bytes.length <= 16) {
    for (let i = 0; i < bytes.length; i++) buf[pos + i] = bytes[i]!;
  } else {
    buf.set(bytes, pos);
  }
  return pos + bytes.length;
}
