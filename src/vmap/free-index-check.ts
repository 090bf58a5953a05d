/**
 * The free index's structural check, for tests and the benchmark's
 * cross-check: O(n), so never on a request's path.
 */
import { Inner, Leaf, Rec } from './free-index-records.js';
import type { FreeTree } from './free-index-tree.js';

/**
 * Checks `tree` in one in-order walk: blocks ascending and never touching,
 * sizes positive, every record within its fill limits, every leaf at one
 * depth, each record reached once, keys the first start and maxima the
 * largest block of their child, and that the block count, the records in use
 * and `freePages` (the index's running total) match the walk. Returns a
 * description of the first violation, or null.
 */
export function checkFreeTree(t: FreeTree, freePages: number): string | null {
  const { lf, lc, nf, nc, ncnt } = t.rec;
  const seenLeaves = new Set<number>();
  const seenNodes = new Set<number>();
  let prevEnd = -1;
  let blocks = 0;
  let pages = 0;
  // The first start and the largest block under record `x` at depth `d`, or a problem.
  const visit = (x: number, d: number): { first: number; max: number } | string => {
    const root = d === 0;
    if (d === t.height) {
      if (seenLeaves.has(x)) return `leaf ${x} reached twice`;
      seenLeaves.add(x);
      const c = lc[x]!;
      if (c > Leaf.CAP || c < (root ? 0 : Leaf.MIN)) return `leaf ${x} holds ${c} blocks`;
      const b = x * Rec.LEAF_STRIDE;
      let max = 0;
      for (let k = 0; k < c; k++) {
        const s = lf[b + k]!;
        const z = lf[b + Rec.SIZE + k]!;
        if (!(z > 0)) return `block at ${s} has size ${z}`;
        if (!(s > prevEnd)) return `block at ${s} touches or overlaps the block ending at ${prevEnd}`;
        prevEnd = s + z;
        blocks++;
        pages += z;
        if (z > max) max = z;
      }
      return { first: c > 0 ? lf[b]! : NaN, max };
    }
    if (seenNodes.has(x)) return `node ${x} reached twice`;
    seenNodes.add(x);
    const c = ncnt[x]!;
    if (c > Inner.CAP || c < (root ? 2 : Inner.MIN)) return `node ${x} holds ${c} children`;
    const b = x * Rec.NODE_STRIDE;
    let max = 0;
    let first = NaN;
    for (let j = 0; j < c; j++) {
      const r = visit(nc[x * Inner.CAP + j]!, d + 1);
      if (typeof r === 'string') return r;
      if (nf[b + j] !== r.first) return `node ${x}: key ${j} is ${nf[b + j]}, its child starts at ${r.first}`;
      if (nf[b + Rec.MAX + j] !== r.max) return `node ${x}: max ${j} is ${nf[b + Rec.MAX + j]}, its child's largest block ${r.max}`;
      if (j === 0) first = r.first;
      if (r.max > max) max = r.max;
    }
    return { first, max };
  };
  const r = visit(t.root, 0);
  if (typeof r === 'string') return r;
  if (blocks !== t.count) return `count ${t.count} != ${blocks} blocks`;
  if (seenLeaves.size !== t.rec.leaves || seenNodes.size !== t.rec.nodes) {
    return `${t.rec.leaves} leaves and ${t.rec.nodes} nodes in use, ${seenLeaves.size} and ${seenNodes.size} in the tree`;
  }
  if (r.max !== t.largest) return `largest ${t.largest} != ${r.max}`;
  if (pages !== freePages) return `free pages ${freePages} != ${pages}`;
  return null;
}
