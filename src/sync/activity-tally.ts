/**
 * Running counts of what every thread does, in shared memory: the writes the
 * writer committed and the /meminfo reads each thread served, for the live
 * charts' writes/s and reads/s. Each slot has one writing thread, on a cache
 * line of its own (no thread's count slows another's); a count is a 32-bit
 * word that wraps, and a reader follows the wraps by adding the difference
 * since its last look, which it takes far more often than 2^32 counts.
 */

/** Int32 words per slot: a 64-byte cache line each. */
const SLOT_WORDS = 16;

/** The slots: 0 for committed writes, 1 for the writer's gRPC reads, 2 + i for reader thread i's reads. */
export const WRITES_SLOT = 0;
export const GRPC_READS_SLOT = 1;
export const readerSlot = (thread: number): number => 2 + thread;

export class ActivityTally {
  readonly buffer: SharedArrayBuffer;
  private readonly words: Int32Array;

  /** A new tally of `slots` slots, or the tally in `buffer` (from another thread). */
  constructor(slotsOrBuffer: number | SharedArrayBuffer) {
    this.buffer = typeof slotsOrBuffer === 'number' ? new SharedArrayBuffer(4 * SLOT_WORDS * slotsOrBuffer) : slotsOrBuffer;
    this.words = new Int32Array(this.buffer);
  }

  /** Adds `n` to slot `slot` (only the slot's own thread calls this). */
  add(slot: number, n = 1): void {
    Atomics.add(this.words, slot * SLOT_WORDS, n);
  }

  /** A counter of slot `slot`, for a hot path to bump. */
  counter(slot: number): () => void {
    const words = this.words;
    const at = slot * SLOT_WORDS;
    return () => void Atomics.add(words, at, 1);
  }

  /** Slots in the tally. */
  get slots(): number {
    return this.words.length / SLOT_WORDS;
  }

  /** The word of slot `slot` as it is now (wrapping at 2^32). */
  word(slot: number): number {
    return Atomics.load(this.words, slot * SLOT_WORDS) >>> 0;
  }
}

/** One thread's running totals of a tally: whole numbers, wraps followed. */
export class ActivityTotals {
  private readonly seen: number[];
  private readonly totals: number[];

  constructor(private readonly tally: ActivityTally) {
    this.seen = Array.from({ length: tally.slots }, (_, i) => tally.word(i));
    // Counted before this thread looked: taken as they are (a thread that starts late sees the counts so far).
    this.totals = [...this.seen];
  }

  /** Committed writes so far, and /meminfo reads of every thread and edge so far. */
  read(): { writes: number; reads: number } {
    let reads = 0;
    for (let i = 0; i < this.seen.length; i++) {
      const now = this.tally.word(i);
      this.totals[i]! += (now - this.seen[i]!) >>> 0;
      this.seen[i] = now;
      if (i !== WRITES_SLOT) reads += this.totals[i]!;
    }
    return { writes: this.totals[WRITES_SLOT]!, reads };
  }
}
