/**
 * The reading half of varint-writer.ts: fields read at a protobufjs
 * Reader's position without the objects its own methods make. Reader.uint64
 * makes a LongBits and a Long per field (three uint64 fields an area, so
 * 60,000 objects for a reply of 10,000 areas, as many for the request), and
 * Reader.string calls into the UTF-8 decoder even for an empty string. These
 * read the same bytes, with the same bounds, and leave the Reader where its
 * own method would.
 */
import type protobuf from 'protobufjs/minimal.js';

/** A uint64 as its two unsigned 32-bit halves, filled in by readUint64. */
export interface Uint64Halves {
  lo: number;
  hi: number;
}

/** 2^32. */
const WORD = 0x100000000;
/** Below this high half, `hi * 2^32 + lo` is a safe integer. */
const SAFE_HI = 0x200000;

/**
 * Reads the varint at `r`'s position into `into` (as Reader.uint64 reads
 * it: the low 64 bits of up to ten bytes) and moves past it.
 *
 * @throws RangeError past the reader's end, Error for a varint of more than ten bytes (as Reader.uint64)
 */
export function readUint64(r: protobuf.Reader, into: Uint64Halves): void {
  const buf = r.buf;
  const len = r.len;
  let pos = r.pos;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < 10; i++) {
    if (pos >= len) throw new RangeError(`index out of range: ${pos} + 1 > ${len}`);
    const b = buf[pos++]!;
    const bits = b & 0x7f;
    if (i < 4) lo |= bits << (7 * i);
    else if (i === 4) {
      lo |= bits << 28;
      hi = bits >>> 4;
    } else hi |= bits << (7 * i - 32);
    if (b < 0x80) {
      into.lo = lo >>> 0;
      into.hi = hi >>> 0;
      r.pos = pos;
      return;
    }
  }
  throw new Error('invalid varint encoding');
}

/** `hi * 2^32 + lo` when it is a safe integer, else -1. */
export function safeValue(v: Uint64Halves): number {
  return v.hi < SAFE_HI ? v.hi * WORD + v.lo : -1;
}

/** The uint64 `v`, as bigint. */
export function bigValue(v: Uint64Halves): bigint {
  return v.hi < SAFE_HI ? BigInt(v.hi * WORD + v.lo) : (BigInt(v.hi) << 32n) | BigInt(v.lo);
}

/**
 * The length-delimited string at `r`'s position, as Reader.string reads it,
 * with an empty one read without a call into the decoder.
 */
export function readString(r: protobuf.Reader): string {
  const pos = r.pos;
  if (pos < r.len && r.buf[pos] === 0) {
    r.pos = pos + 1;
    return '';
  }
  return r.string();
}
