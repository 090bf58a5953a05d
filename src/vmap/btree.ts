/**
 * sorted-btree is CommonJS with an `exports.default`; under Node's ES module
 * loader its default export arrives as `module.exports`. This module hands
 * the class out once, typed, so the rest of the code imports a plain class.
 */
import sortedBtree from 'sorted-btree';

/** The copy-on-write B+ tree class (O(1) clone). */
export const BTree = sortedBtree.default;
/** An instance of BTree. */
export type BTree<K, V> = sortedBtree.default<K, V>;

// What `take` found, passed out of the editRange callback without a closure
// per call (the callback runs synchronously, before editRange returns).
let taken: unknown;
const takeAndDelete = (_key: unknown, value: unknown): { delete: true } => {
  taken = value;
  return DELETE;
};
const DELETE = { delete: true } as const;

/**
 * Removes `key` and returns its value (undefined when absent), in one
 * descent: BTree.delete is itself an editRange over [key, key], so this
 * costs what a delete costs, where get-then-delete would walk the tree twice.
 * `key` must not be NaN (the tree throws).
 */
export function take<K, V>(tree: BTree<K, V>, key: K): V | undefined {
  taken = undefined;
  tree.editRange(key, key, true, takeAndDelete);
  const value = taken as V | undefined;
  taken = undefined;
  return value;
}
