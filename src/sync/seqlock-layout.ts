/**
 * Where everything lives in a seqlock's SharedArrayBuffer, and the errors the
 * seqlock throws. Kept apart from the writer and reader so both sides derive
 * the same offsets from the one header, never from their own assumptions.
 *
 *   Int32 header, 8 words (32 bytes):
 *     [0] sequence: even = stable, odd = write in progress (the kernel's seqcount)
 *     [1] magic, so openSeqlock refuses a buffer that is not a seqlock
 *     [2] counter count      (fixed at creation)
 *     [3] text capacity      (bytes, fixed at creation)
 *     [4] JSON capacity      (bytes, fixed at creation)
 *     [5] text length        (bytes of the current record)
 *     [6] JSON length        (bytes of the current record)
 *     [7] reserved: pads the header to 32 bytes so the doubles are 8-aligned
 *   Float64 fields from byte 32: [0] generation, [1] publishedAt, [2..] counters
 *   then the text region (text capacity bytes), then the JSON region.
 *
 * Doubles rather than int32 halves: a generation is a safe integer (< 2^53)
 * and a Float64Array holds it exactly with no split to reassemble.
 */

/** Int32 index of the sequence word. */
export const SEQ = 0;
/** Int32 index of the magic word. */
export const MAGIC = 1;
/** Int32 index of the number of counters. */
export const COUNTER_COUNT = 2;
/** Int32 index of the text region's capacity. */
export const TEXT_CAPACITY = 3;
/** Int32 index of the JSON region's capacity. */
export const JSON_CAPACITY = 4;
/** Int32 index of the current text body's length. */
export const TEXT_LENGTH = 5;
/** Int32 index of the current JSON body's length. */
export const JSON_LENGTH = 6;
/** Int32 words in the header. */
const HEADER_WORDS = 8;
/** Float64 index of the generation. */
export const GENERATION = 0;
/** Float64 index of publishedAt. */
export const PUBLISHED_AT = 1;
/** Float64 index of the first counter. */
export const FIRST_COUNTER = 2;

/** 'VMSQ': marks a buffer laid out by createSeqlock. */
export const SEQLOCK_MAGIC = 0x564d5351;

/** What the seqlock refuses or gives up with; `code` says which. */
export class SeqlockError extends Error {
  constructor(
    readonly code: 'SEQLOCK_BODY_TOO_LARGE' | 'SEQLOCK_BAD_RECORD' | 'SEQLOCK_BAD_BUFFER' | 'SEQLOCK_STALLED',
    message: string,
  ) {
    super(message);
    this.name = 'SeqlockError';
  }
}

/** The typed views over one seqlock buffer, shared by writer and reader. */
export interface Views {
  /** The Int32 header; the sequence word is only ever touched with Atomics. */
  readonly header: Int32Array;
  /** generation, publishedAt, counters. */
  readonly fields: Float64Array;
  /** The text region, textCapacity bytes. */
  readonly text: Uint8Array;
  /** The JSON region, jsonCapacity bytes. */
  readonly json: Uint8Array;
  readonly counterCount: number;
  readonly textCapacity: number;
  readonly jsonCapacity: number;
}

/** Bytes a seqlock of these sizes needs. */
export function byteLengthFor(counterCount: number, textCapacity: number, jsonCapacity: number): number {
  return HEADER_WORDS * 4 + (FIRST_COUNTER + counterCount) * 8 + textCapacity + jsonCapacity;
}

/** Writes the fixed part of the header of a fresh buffer. */
export function initHeader(sab: SharedArrayBuffer, counterCount: number, textCapacity: number, jsonCapacity: number): void {
  const header = new Int32Array(sab, 0, HEADER_WORDS);
  header[MAGIC] = SEQLOCK_MAGIC;
  header[COUNTER_COUNT] = counterCount;
  header[TEXT_CAPACITY] = textCapacity;
  header[JSON_CAPACITY] = jsonCapacity;
}

/** The views over `sab`, checking that it is a seqlock buffer of a consistent size. */
export function viewsOf(sab: SharedArrayBuffer): Views {
  if (!(sab instanceof SharedArrayBuffer) || sab.byteLength < HEADER_WORDS * 4) {
    throw new SeqlockError('SEQLOCK_BAD_BUFFER', 'not a seqlock buffer: expected a SharedArrayBuffer made by createSeqlock');
  }
  const header = new Int32Array(sab, 0, HEADER_WORDS);
  // The fixed words are written once before the buffer is shared, so plain reads see them.
  const counterCount = header[COUNTER_COUNT] ?? -1;
  const textCapacity = header[TEXT_CAPACITY] ?? -1;
  const jsonCapacity = header[JSON_CAPACITY] ?? -1;
  if (
    header[MAGIC] !== SEQLOCK_MAGIC ||
    counterCount < 0 ||
    textCapacity < 0 ||
    jsonCapacity < 0 ||
    byteLengthFor(counterCount, textCapacity, jsonCapacity) !== sab.byteLength
  ) {
    throw new SeqlockError('SEQLOCK_BAD_BUFFER', 'not a seqlock buffer: bad magic or sizes that do not match its length');
  }
  const fieldsAt = HEADER_WORDS * 4;
  const textAt = fieldsAt + (FIRST_COUNTER + counterCount) * 8;
  return {
    header,
    fields: new Float64Array(sab, fieldsAt, FIRST_COUNTER + counterCount),
    text: new Uint8Array(sab, textAt, textCapacity),
    json: new Uint8Array(sab, textAt + textCapacity, jsonCapacity),
    counterCount,
    textCapacity,
    jsonCapacity,
  };
}
