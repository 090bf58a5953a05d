/**
 * The strings of one column across the elements of a repeated message
 * (callers, owners, request ids): consecutive areas mostly share them, so
 * each is encoded, or decoded, once while it repeats. This is what
 * protobufjs's Writer.string and Reader.string cannot know.
 */
import type protobuf from 'protobufjs/minimal.js';

/** The UTF-8 bytes of one column's strings, each encoded once while it repeats. */
export class Utf8Column {
  private last: string | undefined;
  private lastBytes = Buffer.alloc(0);

  /** The UTF-8 bytes of `s` (what Writer.bytes writes as Writer.string would write `s`). */
  bytes(s: string): Buffer {
    if (s !== this.last) {
      this.last = s;
      this.lastBytes = Buffer.from(s, 'utf8');
    }
    return this.lastBytes;
  }
}

/** Longest string compared byte for byte with the last one before it is decoded anew. */
const MAX_COMPARED = 64;

/**
 * One column's strings as read: a string whose bytes equal the last one's
 * is that same string, so 10,000 equal callers are one string (decoded
 * once, held once).
 */
export class RepeatedStrings {
  private start = 0;
  private end = 0;
  private value = '';

  /** Strings of the message `bytes` (the buffer its Reader reads). */
  constructor(private readonly bytes: Buffer) {}

  /**
   * The length-delimited string at `r` (a Reader of this message's bytes), as Reader.string reads it.
   *
   * @throws RangeError for a string beyond the reader's end (Reader.string would cut it short)
   */
  string(r: protobuf.Reader): string {
    const n = r.uint32();
    const start = r.pos;
    const end = start + n;
    if (end > r.len) throw new RangeError(`string of ${n} bytes beyond the message`);
    r.pos = end;
    if (n === 0) return '';
    const buf = this.bytes;
    if (n === this.end - this.start && n <= MAX_COMPARED) {
      let same = true;
      for (let i = 0; i < n; i++) {
        if (buf[start + i] !== buf[this.start + i]) {
          same = false;
          break;
        }
      }
      if (same) return this.value;
    }
    this.start = start;
    this.end = end;
    this.value = buf.toString('utf8', start, end);
    return this.value;
  }
}
