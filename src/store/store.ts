import type { VmapArea } from '../vmap/vmap-area.js';
import type { EncodedAreaList } from './area-list-codec.js';

/**
 * One change to the durable state, in the order the allocator made it. A
 * batch's changes are committed together, in order, in one transaction.
 */
export type Change =
  /** A new busy area. */
  | { readonly op: 'insert'; readonly area: VmapArea }
  /** The busy area at `start` was freed and is now lazy. */
  | { readonly op: 'lazy'; readonly start: number }
  /** The busy area at `start` was released at once (a failed batch undone). */
  | { readonly op: 'delete'; readonly start: number }
  /** Every lazy area was purged. */
  | { readonly op: 'purge' };

/** Where the state lives between runs. */
export interface Store {
  /** A short name for logs and metrics: `memory`, `sqlite` or `postgres`. */
  readonly kind: string;
  /**
   * Makes `changes` durable, all or nothing. Resolves once they are on disk;
   * rejects (StoreFailure) if they may not be, leaving the store as it was.
   */
  commit(changes: readonly Change[]): Promise<void>;
  /**
   * Waits for nothing in flight, then releases the store. `finalList` gives
   * the areas as vmapd leaves them, every write answered: a store that keeps
   * an image of them (SQLite's area image) writes it from that.
   */
  close(finalList?: () => EncodedAreaList): Promise<void>;
  /** vmapd listens: work the store put off so as not to slow the start may begin (SQLite: the start's area image). */
  listening?(): void;
}

/** What a store held when it was opened. */
export interface Recovered {
  readonly store: Store;
  /**
   * Busy and lazy areas, ascending by start, and how many. Walked once, to
   * rebuild the space (the SQLite store makes each area as it is walked).
   */
  readonly areas: Iterable<VmapArea> & { readonly length: number };
  /** The same areas in columns, when the store has them so (SQLite: from its area image or its rows' columns): the reader threads start from it as it is. */
  readonly list?: EncodedAreaList;
  /**
   * The change-log position the areas are the state after (the PostgreSQL
   * store's); the service numbers its snapshots from it, so that every node
   * on one database gives a state the same generation. 0 when absent.
   */
  readonly position?: number;
}

/** The store of `--store memory`: nothing survives the process. */
export class MemoryStore implements Store {
  readonly kind = 'memory';

  /** @inheritdoc */
  commit(): Promise<void> {
    return Promise.resolve();
  }

  /** @inheritdoc */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** The allocations and frees `changes` commit: a delete takes back an insert of a failed AllocBatch, and a purge is neither. */
export function writesIn(changes: readonly Change[]): number {
  let n = 0;
  for (const c of changes) n += c.op === 'insert' || c.op === 'lazy' ? 1 : c.op === 'delete' ? -1 : 0;
  return n;
}
