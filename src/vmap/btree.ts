/**
 * sorted-btree is CommonJS with an `exports.default`; under Node's ES module
 * loader its default export arrives as `module.exports`. This module hands
 * the class out once, typed, so the rest of the code imports a plain class.
 * The reader threads' replica (src/threads/area-replica.ts) and the space
 * map's node sums (area-summary.ts) use it; the writer's busy index is
 * busy-tree.ts.
 */
import sortedBtree from 'sorted-btree';

/** The copy-on-write B+ tree class (O(1) clone). */
export const BTree = sortedBtree.default;
/** An instance of BTree. */
export type BTree<K, V> = sortedBtree.default<K, V>;
