/**
 * The shared memory of a pool of reader threads: the published /meminfo
 * and readiness, each thread's count of calls waiting for the writer, and
 * the tally of reads and writes. Made before the service exists, so that a
 * warm thread can build its server on it while the store is still read
 * (reader-warmup.ts); the pool publishes the service's numbers into it
 * before any thread listens.
 */
import { ActivityTally, readerSlot } from '../sync/activity-tally.js';
import type { MemInfo } from '../vmap/meminfo.js';
import type { PoolBuffers } from './reader-data.js';
import { MeminfoPublisher, ReadinessPublisher } from './publication.js';

/** What /meminfo holds until the pool publishes the service's first snapshot (no thread listens before). */
const NOTHING_YET: MemInfo = { total: 0, used: 0, chunk: 0, lazy: 0, nrAreas: 0, nrLazyAreas: 0 };

/** The memory every thread of one pool maps; see the module comment. */
export class ReaderMemory {
  readonly meminfo = new MeminfoPublisher({ generation: 0, meminfo: NOTHING_YET, text: '', json: '' }, 0);
  readonly readiness = new ReadinessPublisher('starting');
  /** Per reader thread: its calls waiting for the writer (written by the threads). */
  readonly calls: Int32Array;
  /** Writes counted by the writer, gRPC reads by its counters, HTTP reads by each thread. */
  readonly activity: ActivityTally;
  /**
   * Per reader thread: set by the writer when it nudges the thread to take
   * its change stream (`changesQueued`), cleared by the thread when it finds
   * the stream empty. A set word means a nudge is on its way or the thread
   * is still taking: the writer posts no other (one message per wait, not
   * one per published batch).
   */
  readonly nudges: Int32Array;

  /** The memory of a pool of `threads` threads. */
  constructor(readonly threads: number) {
    this.calls = new Int32Array(new SharedArrayBuffer(4 * threads));
    this.activity = new ActivityTally(readerSlot(threads));
    this.nudges = new Int32Array(new SharedArrayBuffer(4 * threads));
  }

  /** The buffers, as a thread's settings carry them. */
  get buffers(): PoolBuffers {
    return {
      meminfo: this.meminfo.buffer,
      readiness: this.readiness.buffer,
      calls: this.calls.buffer as SharedArrayBuffer,
      activity: this.activity.buffer,
      nudges: this.nudges.buffer as SharedArrayBuffer,
    };
  }
}
