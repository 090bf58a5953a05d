/**
 * The protobuf wire format's few pieces that the AllocBatch codecs need
 * (varints, length-delimited fields), on plain numbers. A 64-bit varint is
 * handled as two 32-bit halves, so a uint64 stays exact beyond 2^53 without
 * a BigInt or a Long on the way. Everything else goes through protobufjs.
 */

/** Wire types (the low three bits of a tag). */
export const WIRE = { varint: 0, fixed64: 1, len: 2, fixed32: 5 } as const;

/** The tag of field `field` with wire type `wire`. */
export function tag(field: number, wire: number): number {
  return (field << 3) | wire;
}

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

/** 2^20: a page number's low 20 bits times the page size fill exactly 32 bits. */
const PAGES_PER_LOW_WORD = 0x100000;
/** 2^32. */
const WORD = 0x100000000;

/** The low 32 bits of `page * 4096` (page < 2^52: the byte count is below 2^64, exact). */
export function pageBytesLo(page: number): number {
  // `>>> 0` takes a double's low 32 bits exactly, without the fmod a `%` of a double costs.
  return ((page >>> 0) & (PAGES_PER_LOW_WORD - 1)) * 4096;
}

/** The high 32 bits of `page * 4096`. */
export function pageBytesHi(page: number): number {
  return Math.floor(page / PAGES_PER_LOW_WORD);
}

/** The low 32 bits of a non-negative safe integer. */
export function lowWord(n: number): number {
  return n >>> 0;
}

/** The high 32 bits of a non-negative safe integer. */
export function highWord(n: number): number {
  return Math.floor(n / WORD);
}

/** The bytes are not what this reader expects: the caller hands them to protobufjs instead (or fails). */
export class WireSurprise extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireSurprise';
  }
}

/** A cursor over the bytes of one message (or a part of one), reading fields in order. */
export class WireReader {
  /** The halves of the last 64-bit varint read. */
  lo = 0;
  hi = 0;

  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}

  /** Whether bytes remain. */
  get more(): boolean {
    return this.pos < this.end;
  }

  private byte(): number {
    if (this.pos >= this.end) throw new WireSurprise('truncated varint');
    return this.buf[this.pos++]!;
  }

  /** A varint that must fit 32 bits (tags, lengths); its value. */
  varint32(): number {
    let b = this.byte();
    if (b < 0x80) return b;
    let v = b & 0x7f;
    for (let shift = 7; shift < 35; shift += 7) {
      b = this.byte();
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        if (v >= WORD) throw new WireSurprise('varint beyond 32 bits');
        return v;
      }
    }
    throw new WireSurprise('varint beyond 32 bits');
  }

  /** A varint of up to 64 bits, into `lo` and `hi`. */
  varint64(): void {
    let lo = 0;
    let b = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      b = this.byte();
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = 0;
        return;
      }
    }
    b = this.byte();
    lo |= (b & 0x0f) << 28;
    let hi = (b & 0x7f) >>> 4;
    for (let shift = 3; b >= 0x80; shift += 7) {
      if (shift > 31) throw new WireSurprise('varint beyond 64 bits');
      b = this.byte();
      hi |= (b & 0x7f) << shift;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** The 64-bit varint just read as a number, when it is a safe integer; else -1. */
  safe(): number {
    return this.hi < 0x200000 ? this.hi * WORD + this.lo : -1;
  }

  /** A length prefix and the end of what it covers. */
  lengthEnd(): number {
    const n = this.varint32();
    const end = this.pos + n;
    if (end > this.end) throw new WireSurprise('length beyond the message');
    return end;
  }

  /** A length-delimited UTF-8 string (invalid sequences replaced, as protobufjs reads them in Node). */
  string(): string {
    const end = this.lengthEnd();
    const s = end === this.pos ? '' : this.buf.toString('utf8', this.pos, end);
    this.pos = end;
    return s;
  }

  /** Skips a field of wire type `wire` whose tag was just read. */
  skip(wire: number): void {
    switch (wire) {
      case WIRE.varint:
        this.varint64();
        return;
      case WIRE.fixed64:
        this.pos += 8;
        break;
      case WIRE.len:
        this.pos = this.lengthEnd();
        return;
      case WIRE.fixed32:
        this.pos += 4;
        break;
      default:
        throw new WireSurprise(`wire type ${wire}`);
    }
    if (this.pos > this.end) throw new WireSurprise('field beyond the message');
  }
}

/**
 * The strings of one field across the elements of a repeated message: a
 * string equal to the last one read is that same string, so 10,000 equal
 * callers are one string (decoded once, held once).
 */
export class RepeatedStrings {
  private start = 0;
  private end = 0;
  private value = '';
  private buf: Buffer | undefined;

  /** A length-delimited string at `r`, as WireReader.string reads it. */
  string(r: WireReader): string {
    const end = r.lengthEnd();
    const start = r.pos;
    r.pos = end;
    const n = end - start;
    if (n === 0) return '';
    if (this.buf === r.buf && n === this.end - this.start && n <= 64) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (r.buf[start + i] !== r.buf[this.start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.value;
    }
    this.buf = r.buf;
    this.start = start;
    this.end = end;
    this.value = r.buf.toString('utf8', start, end);
    return this.value;
  }
}

/**
 * The UTF-8 bytes of one column's strings (callers, owners, request ids),
 * each encoded once while it repeats: consecutive areas mostly share them,
 * and the request reader gives a repeated string one object.
 */
export class Utf8Column {
  private last: string | undefined;
  private lastBytes = Buffer.alloc(0);

  /** The UTF-8 bytes of `s`. */
  bytes(s: string): Buffer {
    if (s !== this.last) {
      this.last = s;
      this.lastBytes = Buffer.from(s, 'utf8');
    }
    return this.lastBytes;
  }
}

/** Writes `bytes` length-delimited at `pos`; returns the position after them. */
export function writeUtf8(buf: Buffer, pos: number, bytes: Buffer): number {
  pos = writeVarint32(buf, pos, bytes.length);
  // A call into buf.set costs more than copying a short string byte by byte.
  if (bytes.length <= 16) {
    for (let i = 0; i < bytes.length; i++) buf[pos + i] = bytes[i]!;
  } else {
    buf.set(bytes, pos);
  }
  return pos + bytes.length;
}
