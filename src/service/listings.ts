import { Busy } from './errors.js';

/**
 * The listings (ListAreas streams and /vmallocinfo responses, both edges
 * together) that may run at once. Each holds a snapshot alive while its
 * reader reads, so their number bounds the memory that slow readers can pin.
 */
export class ListingSlots {
  private active = 0;

  /** @param max most listings at once; 0 means none at all */
  constructor(readonly max: number) {}

  /** Listings running now. */
  get running(): number {
    return this.active;
  }

  /**
   * Takes a slot; the returned function gives it back (calling it again does nothing).
   *
   * @throws Busy when `max` listings already run
   */
  acquire(): () => void {
    if (this.active >= this.max) throw new Busy(`server busy: ${this.active} listings already running (--max-listings ${this.max}); retry later`);
    this.active++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.active--;
    };
  }
}
