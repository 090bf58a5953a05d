/** How `/meminfo` and the MemInfo RPC read the space (the seed's experiment). */
export type ReadMode = 'locked-walk' | 'rcu-walk' | 'snapshot';

/** Every read mode, default last. */
export const READ_MODES: readonly ReadMode[] = ['locked-walk', 'rcu-walk', 'snapshot'];
