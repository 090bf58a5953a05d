import type { EncodedAreaList } from '../store/area-list-codec.js';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { SpaceGeometry } from '../vmap/geometry.js';
import type { VmapArea } from '../vmap/vmap-area.js';
import type { VmapMetrics } from './metrics.js';
import type { ReadMode } from './read-modes.js';

/** Test-only hooks into the write path. */
export interface ServiceHooks {
  /**
   * Called under the writer mutex after a batch has been applied in memory
   * and before the store commits it, with the batch's size and its writes'
   * deadlines (epoch ms, the server's copies). A test can stall writes here
   * (and let deadlines pass); a rejection fails the batch and undoes it.
   */
  beforeCommit?: (batchSize: number, deadlines: readonly number[]) => Promise<void>;
  /**
   * Called after each write has been applied, with its result. A test can
   * throw here to stand for a bug met half way through a write.
   */
  afterApply?: (result: unknown) => void;
}

/** What VmapService needs to start. */
export interface ServiceOptions {
  readonly geometry: SpaceGeometry;
  readonly lazyMaxPages?: number;
  readonly readMode?: ReadMode;
  readonly logger: Logger;
  readonly metrics?: VmapMetrics;
  readonly hooks?: ServiceHooks;
  /** Per-owner limits on busy reserved bytes and areas; 0 = none. */
  readonly quotaBytes?: number;
  readonly quotaAreas?: number;
  /** Writes that may wait for their batch before new ones are refused (Busy). */
  readonly maxPendingWrites?: number;
  /** Where writes become durable; default: nowhere (MemoryStore). */
  readonly store?: Store;
  /** The areas the store recovered, ascending by start; default: none. */
  readonly areas?: Iterable<VmapArea>;
  /** The same areas in columns, when the store has them so: the owners' usage is counted from them. */
  readonly list?: EncodedAreaList;
  /** The generation of the recovered state (the change-log position on PostgreSQL); default 0. */
  readonly generation?: number;
}
