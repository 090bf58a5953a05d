/**
 * Bulk loads of the busy index (busy-tree.ts): a tree of ascending entries
 * built bottom up in O(n), its nodes three quarters full, so the first
 * inserts after a restart do not split at once.
 */
import { BusyNode, CAP } from './busy-tree-node.js';

/** Bulk loads fill nodes to this, leaving room for inserts. */
const FILL = (CAP * 3) / 4;

/**
 * Splits `n` items into the fewest runs of at most FILL, of sizes as even as
 * can be (so each holds at least FILL / 2 >= MIN when there are several),
 * and calls `run` on each [from, to): how a bulk load fills its nodes.
 */
export function forEachGroup(n: number, run: (from: number, to: number) => void): void {
  const groups = Math.ceil(n / FILL);
  for (let g = 0; g < groups; g++) run(Math.floor((g * n) / groups), Math.floor(((g + 1) * n) / groups));
}

/**
 * The root of a tree of `count` (> 0) ascending entries, every node of
 * generation `gen`: `fill` fills each new leaf with entries [from, to).
 */
export function buildBottomUp(count: number, gen: number, fill: (leaf: BusyNode, from: number, to: number) => void): BusyNode {
  let level: BusyNode[] = [];
  forEachGroup(count, (from, to) => {
    const leaf = new BusyNode(true, gen);
    fill(leaf, from, to);
    level.push(leaf);
  });
  while (level.length > 1) {
    const below = level;
    level = [];
    forEachGroup(below.length, (from, to) => {
      const inner = new BusyNode(false, gen);
      for (let i = from; i < to; i++) inner.insertKid(i - from, below[i]!);
      level.push(inner);
    });
  }
  return level[0]!;
}
