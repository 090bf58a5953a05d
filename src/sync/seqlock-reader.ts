/**
 * The reader side of the seqlock (see seqlock.ts for the API and the
 * memory-model argument): copies a record out of shared memory only when
 * the sequence moved, re-checks it with a read-modify-write, and stops
 * waiting for a writer stuck mid-write.
 */
import { Buffer } from 'node:buffer';
import { FIRST_COUNTER, GENERATION, JSON_LENGTH, PUBLISHED_AT, SEQ, SeqlockError, TEXT_LENGTH, viewsOf, type Views } from './seqlock-layout.js';
import type { SeqlockRecord } from './seqlock.js';

/** How long a reader keeps trying before it stops waiting for a writer. */
export interface ReaderOptions {
  /**
   * Milliseconds of failed attempts (sequence odd, or changed under the copy)
   * after which read() stops: a live publish takes microseconds, so this only
   * expires when the writer died mid-write or was descheduled for that long.
   * Default 20.
   */
  readonly giveUpAfterMs?: number;
}

/** What a reader did, for metrics and tests; plain counts, never reset. */
export interface ReaderStats {
  /** read() calls. */
  reads: number;
  /** Records copied out of shared memory (a new sequence seen). */
  copies: number;
  /** Attempts that found the sequence odd or changed, and went round again. */
  retries: number;
  /** read() calls that gave up on the writer and returned the last good record. */
  stale: number;
}

/** The reader side: one per thread, never blocks the writer. */
export interface SeqlockReader {
  /**
   * The current record, whole. Returns the very same object while nothing was
   * published since the last call (one Atomics.load, no copy, no allocation).
   * If the writer stays mid-write for giveUpAfterMs, returns the last good
   * record this reader copied (stale but whole: /meminfo must answer rather
   * than wait) and counts it in stats.stale; throws SEQLOCK_STALLED if it has
   * none. While the sequence stays at that same odd value, later calls give up
   * at once instead of spinning again.
   */
  read(): SeqlockRecord;
  readonly stats: Readonly<ReaderStats>;
}

/** Opens a reader over a buffer made by createSeqlock (typically posted from the writer's thread). */
export function openSeqlock(buffer: SharedArrayBuffer, options: ReaderOptions = {}): SeqlockReader {
  return new Reader(viewsOf(buffer), options.giveUpAfterMs ?? 20);
}

/** Failed attempts spent spinning before a reader starts yielding its core to the writer. */
const SPINS_BEFORE_BACKOFF = 1000;

/** A sequence value no read returns: it is odd, and `cachedSeq` only ever holds even ones. */
const NONE = -1;

class Reader implements SeqlockReader {
  readonly stats: ReaderStats = { reads: 0, copies: 0, retries: 0, stale: 0 };
  private cached: SeqlockRecord | undefined;
  private cachedSeq = NONE;
  /** The odd sequence value this reader last gave up on, if any. */
  private stalled = false;
  private stalledSeq = 0;

  constructor(
    private readonly v: Views,
    private readonly giveUpAfterMs: number,
  ) {}

  read(): SeqlockRecord {
    this.stats.reads++;
    const { header } = this.v;
    let seq = Atomics.load(header, SEQ);
    if (seq === this.cachedSeq && this.cached !== undefined) return this.cached;
    if (this.stalled && seq === this.stalledSeq) return this.giveUp(seq);
    let deadline = 0;
    let failed = 0;
    for (;;) {
      if ((seq & 1) === 0) {
        const record = this.copy();
        const again = Atomics.or(header, SEQ, 0); // the RMW re-check: see the file's comment
        if (again === seq) {
          if (record === undefined) {
            throw new SeqlockError('SEQLOCK_BAD_BUFFER', 'stable record has lengths beyond its capacities: buffer not written by a seqlock writer');
          }
          this.cached = record;
          this.cachedSeq = seq;
          this.stats.copies++;
          return record;
        }
        seq = again;
      } else {
        seq = Atomics.load(header, SEQ);
      }
      this.stats.retries++;
      // Time is read only once an attempt failed, so the uncontended path never calls now().
      const now = performance.now();
      if (deadline === 0) deadline = now + this.giveUpAfterMs;
      else if (now >= deadline) return this.giveUp(seq);
      // Past a burst of spins the writer is probably descheduled mid-write, and on a
      // machine with few cores this spinning thread may be what keeps it off the CPU:
      // sleep a tenth of a millisecond, or less if the sequence moves (it returns at
      // once then), so the writer can run. Nothing notifies; the timeout bounds it.
      if (++failed >= SPINS_BEFORE_BACKOFF && (seq & 1) !== 0) Atomics.wait(header, SEQ, seq, 0.1);
    }
  }

  private giveUp(seq: number): SeqlockRecord {
    // Only a stuck odd value is remembered: a writer publishing too fast to copy is alive.
    if ((seq & 1) !== 0) {
      this.stalled = true;
      this.stalledSeq = seq;
    }
    if (this.cached === undefined) {
      throw new SeqlockError('SEQLOCK_STALLED', `no whole record after ${this.giveUpAfterMs} ms (sequence ${seq}) and none read before: the writer is stuck mid-write`);
    }
    this.stats.stale++;
    return this.cached;
  }

  /** Copies the record into fresh memory, or undefined if the lengths read are impossible (a racing write). */
  private copy(): SeqlockRecord | undefined {
    const { v } = this;
    const textLength = v.header[TEXT_LENGTH] ?? -1;
    const jsonLength = v.header[JSON_LENGTH] ?? -1;
    // Racing reads may see any bytes: never let them size an allocation or a copy.
    if (textLength < 0 || textLength > v.textCapacity || jsonLength < 0 || jsonLength > v.jsonCapacity) return undefined;
    const counters: number[] = new Array<number>(v.counterCount);
    for (let i = 0; i < v.counterCount; i++) counters[i] = v.fields[FIRST_COUNTER + i] ?? 0;
    const text = Buffer.allocUnsafeSlow(textLength);
    text.set(v.text.subarray(0, textLength));
    const json = Buffer.allocUnsafeSlow(jsonLength);
    json.set(v.json.subarray(0, jsonLength));
    return Object.freeze({
      generation: v.fields[GENERATION] ?? 0,
      publishedAt: v.fields[PUBLISHED_AT] ?? 0,
      counters: Object.freeze(counters),
      text,
      json,
    });
  }
}
