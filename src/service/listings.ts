import { Busy } from './errors.js';

/** Int32 index of the count of slots taken, all holders together. */
const TOTAL = 0;

/**
 * The listings (ListAreas streams and /vmallocinfo responses, every thread
 * and both edges together) that may run at once. Each holds a snapshot alive
 * while its reader reads, so their number bounds the memory that slow
 * readers can pin.
 *
 * The count lives in a SharedArrayBuffer that every thread attaches to,
 * taken with a compare-and-swap, so the limit holds across threads with no
 * message. Each holder (the writer thread is holder 0, reader thread i is
 * holder i + 1) also counts its own slots, so that the slots of a thread
 * that died can be given back (reclaim).
 */
export class ListingSlots {
  private readonly words: Int32Array;

  /**
   * @param max most listings at once; 0 means none at all
   * @param buffer the shared count (from `buffer` of the first ListingSlots); default: a new one
   * @param holder who takes slots through this object
   * @param holders how many holders a new buffer has room for
   */
  constructor(
    readonly max: number,
    buffer?: SharedArrayBuffer,
    private readonly holder = 0,
    holders = 1,
  ) {
    this.words = new Int32Array(buffer ?? new SharedArrayBuffer(4 * (1 + holders)));
    if (holder < 0 || 1 + holder >= this.words.length) throw new RangeError(`listing slot holder ${holder} outside the buffer's ${this.words.length - 1}`);
  }

  /** The shared count, for other threads to attach to. */
  get buffer(): SharedArrayBuffer {
    return this.words.buffer as SharedArrayBuffer;
  }

  /** Listings running now, every holder's. */
  get running(): number {
    return Atomics.load(this.words, TOTAL);
  }

  /**
   * Takes a slot; the returned function gives it back (calling it again does nothing).
   *
   * @throws Busy when `max` listings already run
   */
  acquire(): () => void {
    for (;;) {
      const active = Atomics.load(this.words, TOTAL);
      if (active >= this.max) throw new Busy(`server busy: ${active} listings already running (--max-listings ${this.max}); retry later`);
      if (Atomics.compareExchange(this.words, TOTAL, active, active + 1) === active) break;
    }
    Atomics.add(this.words, 1 + this.holder, 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      Atomics.sub(this.words, 1 + this.holder, 1);
      Atomics.sub(this.words, TOTAL, 1);
    };
  }

  /** Gives back every slot `holder` still held (it is gone); returns how many. */
  reclaim(holder: number): number {
    const held = Atomics.exchange(this.words, 1 + holder, 0);
    Atomics.sub(this.words, TOTAL, held);
    return held;
  }
}
