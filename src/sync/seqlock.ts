/**
 * A seqlock (the kernel's seqcount) over a SharedArrayBuffer: one writer
 * thread publishes records, reader threads copy them out with no lock and no
 * message, so a reader never waits for a writer (vmapd's /meminfo rule).
 *
 * Why a torn copy can never be returned (ECMAScript memory model, §29):
 * - The reader's first look is Atomics.load(seq) = s, even. It reads from the
 *   writer's closing Atomics.add of publish k; both are seq-cst on the same
 *   word, so that add synchronizes-with the load, and every payload store of
 *   publish k (and earlier) happens-before the reader's copy: by coherent
 *   reads the copy cannot see any payload older than publish k.
 * - The re-check is a read-modify-write, Atomics.or(seq, 0), not a second load.
 *   If it still returns s, then publish k+1's opening Atomics.add (also an RMW
 *   on that word) comes after it in the word's total order and reads the value
 *   it wrote, so the re-check synchronizes-with that add; the copy, earlier in
 *   the reader's agent order, therefore happens-before every payload store of
 *   publish k+1 and later, and by coherent reads cannot read from them.
 *   So the copy read only publish k's bytes: it is whole. With a plain
 *   Atomics.load as the re-check there is no edge from the reader back to the
 *   writer, and the model (like C++'s, see Boehm, "Can seqlocks get along with
 *   programming language memory models?", 2012) would let a racing payload
 *   read see publish k+1 while the re-check still saw s. The RMW costs a write
 *   to the sequence's cache line, but only when a new record is copied.
 * Payload accesses are plain typed-array reads and writes; they race, which
 * the JS model defines (a racing read returns some bytes written, never
 * undefined behaviour), and the re-check discards any copy that raced.
 */
import { Buffer } from 'node:buffer';
import {
  FIRST_COUNTER,
  GENERATION,
  JSON_LENGTH,
  PUBLISHED_AT,
  SEQ,
  SeqlockError,
  TEXT_LENGTH,
  byteLengthFor,
  initHeader,
  viewsOf,
  type Views,
} from './seqlock-layout.js';
// The reader lives in seqlock-reader.ts; import everything from here.

export { SeqlockError } from './seqlock-layout.js';

/** One published state: what a writer gives and a reader gets back. */
export interface SeqlockRecord<Body = Buffer> {
  /** The state's generation; readers key nothing on it, the sequence word does that. */
  readonly generation: number;
  /** When the writer published it (any clock the owner chooses, e.g. Date.now()). */
  readonly publishedAt: number;
  /** Exactly `counterCount` numbers, fixed at creation. */
  readonly counters: readonly number[];
  /** The text body (e.g. /meminfo as text/plain). */
  readonly text: Body;
  /** The JSON body (e.g. /meminfo as application/json). */
  readonly json: Body;
}

/** What a writer publishes: bodies as bytes, or strings to be encoded as UTF-8. */
export type SeqlockInput = SeqlockRecord<Uint8Array | string>;

/** Sizes fixed for the buffer's whole life, and the record readers see first. */
export interface SeqlockOptions {
  /** How many counters every record carries. */
  readonly counterCount: number;
  /** Largest text body, in bytes. */
  readonly textCapacity: number;
  /** Largest JSON body, in bytes. */
  readonly jsonCapacity: number;
  /** Published at creation, so a reader always finds a record. */
  readonly initial: SeqlockInput;
}

/** The writer side: only one thread may hold it, as the kernel's seqcount needs. */
export interface SeqlockWriter {
  /**
   * Publishes `record`. Checked whole before the sequence goes odd, so a
   * refused record (SEQLOCK_BODY_TOO_LARGE, SEQLOCK_BAD_RECORD) leaves the
   * published one untouched and readers never see a write begin.
   */
  publish(record: SeqlockInput): void;
}

/** What createSeqlock makes: the buffer to post to reader threads, and its writer. */
export interface Seqlock {
  readonly buffer: SharedArrayBuffer;
  readonly writer: SeqlockWriter;
}

/** Lays out a new seqlock buffer and publishes `options.initial` in it. */
export function createSeqlock(options: SeqlockOptions): Seqlock {
  const { counterCount, textCapacity, jsonCapacity } = options;
  for (const [name, value] of Object.entries({ counterCount, textCapacity, jsonCapacity })) {
    if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) {
      throw new SeqlockError('SEQLOCK_BAD_RECORD', `${name} must be a non-negative int32, got ${value}`);
    }
  }
  const buffer = new SharedArrayBuffer(byteLengthFor(counterCount, textCapacity, jsonCapacity));
  initHeader(buffer, counterCount, textCapacity, jsonCapacity);
  const writer = new Writer(viewsOf(buffer));
  writer.publish(options.initial);
  return { buffer, writer };
}

class Writer implements SeqlockWriter {
  /** Buffers over the regions, for Buffer.write of string bodies straight into shared memory. */
  private readonly textOut: Buffer;
  private readonly jsonOut: Buffer;

  constructor(private readonly v: Views) {
    this.textOut = Buffer.from(v.text.buffer, v.text.byteOffset, v.text.byteLength);
    this.jsonOut = Buffer.from(v.json.buffer, v.json.byteOffset, v.json.byteLength);
  }

  publish(record: SeqlockInput): void {
    const { v } = this;
    if (record.counters.length !== v.counterCount) {
      throw new SeqlockError('SEQLOCK_BAD_RECORD', `a record carries ${v.counterCount} counters, got ${record.counters.length}`);
    }
    const textLength = byteLength(record.text);
    const jsonLength = byteLength(record.json);
    if (textLength > v.textCapacity) {
      throw new SeqlockError('SEQLOCK_BODY_TOO_LARGE', `text body of ${textLength} bytes exceeds the capacity of ${v.textCapacity} bytes`);
    }
    if (jsonLength > v.jsonCapacity) {
      throw new SeqlockError('SEQLOCK_BODY_TOO_LARGE', `JSON body of ${jsonLength} bytes exceeds the capacity of ${v.jsonCapacity} bytes`);
    }
    Atomics.add(v.header, SEQ, 1); // odd: write in progress (write_seqcount_begin)
    v.fields[GENERATION] = record.generation;
    v.fields[PUBLISHED_AT] = record.publishedAt;
    for (let i = 0; i < v.counterCount; i++) v.fields[FIRST_COUNTER + i] = record.counters[i] ?? 0;
    v.header[TEXT_LENGTH] = textLength;
    v.header[JSON_LENGTH] = jsonLength;
    put(this.textOut, record.text);
    put(this.jsonOut, record.json);
    Atomics.add(v.header, SEQ, 1); // even: stable again (write_seqcount_end)
  }
}

function byteLength(body: Uint8Array | string): number {
  return typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.byteLength;
}

function put(region: Buffer, body: Uint8Array | string): void {
  if (typeof body === 'string') region.write(body, 0, 'utf8');
  else region.set(body, 0);
}

export { openSeqlock, type ReaderOptions, type ReaderStats, type SeqlockReader } from './seqlock-reader.js';

/** For tests and diagnostics: the raw sequence word (even = stable). */
export function sequenceOf(buffer: SharedArrayBuffer): number {
  return Atomics.load(viewsOf(buffer).header, SEQ);
}
