/** How `/meminfo` and the MemInfo RPC read the space (the seed's experiment). */
export type ReadMode = 'locked-walk' | 'rcu-walk' | 'snapshot';

/** Every read mode, default last. */
export const READ_MODES: readonly ReadMode[] = ['locked-walk', 'rcu-walk', 'snapshot'];

/** The three ways to read meminfo, as one thread or another has them. */
export interface MeminfoReads<R> {
  /** The published numbers: O(1), no lock. */
  readonly published: () => R;
  /** A walk of the published list, no lock: the 2014 patch. */
  readonly walk: () => R;
  /** A walk of the live list under the writer mutex: the kernel before it. */
  readonly locked: () => Promise<R>;
}

/** Meminfo read the way `mode` says; all three agree on the same state. */
export function readInMode<R>(mode: ReadMode, reads: MeminfoReads<R>): R | Promise<R> {
  switch (mode) {
    case 'snapshot':
      return reads.published();
    case 'rcu-walk':
      return reads.walk();
    case 'locked-walk':
      return reads.locked();
  }
}
