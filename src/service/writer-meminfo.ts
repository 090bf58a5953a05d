/**
 * The writer's meminfo reads, in the service's read mode (read-modes.ts):
 * the published numbers (`snapshot`), a walk of the published list
 * (`rcu-walk`), or a walk of the live list under the writer mutex
 * (`locked-walk`). All three agree on the same state.
 */
import type { WriterMutex } from '../sync/writer-mutex.js';
import { walkMeminfo } from '../vmap/meminfo.js';
import type { VmapSpace } from '../vmap/space.js';
import { readInMode, type MeminfoReads, type ReadMode } from './read-modes.js';
import { meminfoRead, type MeminfoRead, type Snapshot } from './snapshot.js';

/** See the module comment. */
export class WriterMeminfo {
  /** The three reads, made once: `read` is the hot path. */
  private readonly reads: MeminfoReads<MeminfoRead>;

  constructor(
    private readonly mode: ReadMode,
    private readonly snapshot: () => Snapshot,
    private readonly mutex: WriterMutex,
    private readonly space: VmapSpace,
  ) {
    this.reads = {
      published: snapshot,
      walk: () => {
        const s = snapshot();
        return meminfoRead(walkMeminfo(s.areas, space.pages), s.generation);
      },
      locked: () => this.locked(),
    };
  }

  /** Meminfo in the read mode. */
  read(): MeminfoRead | Promise<MeminfoRead> {
    return readInMode(this.mode, this.reads);
  }

  /**
   * Meminfo by a walk of the live list under the writer mutex: what
   * `locked-walk` reads (on any thread: the HTTP threads ask for it). Under
   * the mutex no batch is half applied, so the live space is exactly the
   * published state.
   */
  locked(): Promise<MeminfoRead> {
    return this.mutex.run(() => meminfoRead(this.space.walkMeminfo(), this.snapshot().generation));
  }
}
