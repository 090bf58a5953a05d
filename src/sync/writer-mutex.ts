import { Mutex } from 'async-mutex';

/** Observes how long callers waited for the mutex and how long they held it. */
export interface MutexObserver {
  /** Seconds between asking for the mutex and getting it. */
  waited(seconds: number): void;
  /** Seconds the mutex was held. */
  held(seconds: number): void;
}

/**
 * The writer mutex: vmapd's `vmap_area_lock`. FIFO and async, so a holder
 * keeps it across the `await`s of a write (apply, commit, fsync, publish) and no
 * other write interleaves. Readers in the default read modes never take it.
 */
export class WriterMutex {
  private readonly mutex = new Mutex();

  /** A mutex reporting its wait and hold times to `observer`, if given. */
  constructor(private readonly observer?: MutexObserver) {}

  /** Runs `fn` holding the mutex, released whatever `fn` does. */
  async run<T>(fn: () => T | Promise<T>): Promise<T> {
    const asked = performance.now();
    const release = await this.mutex.acquire();
    const got = performance.now();
    this.observer?.waited((got - asked) / 1000);
    try {
      return await fn();
    } finally {
      this.observer?.held((performance.now() - got) / 1000);
      release();
    }
  }
}
