/**
 * The busy index: busy areas by start page in a copy-on-write B+ tree made
 * for this one job (the kernel's `vmap_area_root` and `vmap_area_list` in
 * one). It replaces a general B+ tree of comparator-ordered keys, which cost
 * more than the rest of an alloc and a free together:
 *
 * - keys are page numbers in an array of unboxed doubles per node, searched
 *   without a comparator call, and a leaf's keys share a few cache lines;
 * - `clone()` is O(1): it gives the writer a new generation, so every node
 *   made before is shared and is copied before it is written (path copying,
 *   as in a persistent tree). A view taken after each write batch then costs
 *   the writer only the nodes it changes next;
 * - one descent per operation records its path, so a miss copies nothing
 *   and a hit copies only the path it changes;
 * - a tree restored from columns (`fromRows`) makes a leaf's areas when a
 *   lookup or a write first reaches it (`BusyNode.make`), walks for the walk only.
 *
 * An inner node's key for child j is a lower bound of every key under it,
 * and above every key under child j - 1: deleting a child's least key leaves
 * it as it is, which is still true. Every node but the root holds at least
 * one entry (an underfull node is merged with or refilled from a sibling),
 * so a floor lookup that finds nothing in its leaf finds its answer at the
 * end of the subtree to the left.
 */
import { buildBottomUp } from './busy-tree-build.js';
import { BusyNode, CAP, MIN, childIndex, eachIn, lowerBound, upperBound } from './busy-tree-node.js';
import type { BusyRows } from './area-columns.js';
import type { VmapArea } from './vmap-area.js';

/** Generations are unique across trees: a node is written only by the tree whose generation it carries. */
let nextGeneration = 1;

/** Deepest path a tree reaches: CAP/4 ≥ 16-way fan-out over 2^53 keys is far less. */
const MAX_DEPTH = 32;

/** Busy areas by start page; see the module comment. */
export class BusyTree {
  private root: BusyNode;
  private gen: number;
  private count: number;
  // The path of the last descent: nodes and the child (or entry) index taken at each.
  private readonly pathNodes: BusyNode[] = new Array<BusyNode>(MAX_DEPTH);
  private readonly pathIdx = new Int32Array(MAX_DEPTH);
  private depth = 0;

  /** An empty tree, or (with `root`) one sharing `root`'s nodes. */
  constructor(root?: BusyNode, count = 0) {
    this.gen = nextGeneration++;
    this.root = root ?? new BusyNode(true, this.gen);
    this.count = count;
  }

  /** A tree of `areas`, strictly ascending by start (restoreAreas checks that), built bottom up in O(n). */
  static fromAscending(areas: readonly VmapArea[]): BusyTree {
    return BusyTree.bottomUp(areas.length, (leaf, from, to) => {
      for (let i = from; i < to; i++) leaf.insertEntry(i - from, areas[i]!.start, areas[i]!);
    });
  }

  /**
   * A tree of the busy areas of `rows`, built as fromAscending builds one,
   * whose leaves make their areas only when first looked up or written
   * (BusyNode.make): a restart makes no area object up front.
   */
  static fromRows(rows: BusyRows): BusyTree {
    return BusyTree.bottomUp(rows.length, (leaf, from, to) => {
      const keys = leaf.keys;
      for (let i = from; i < to; i++) keys[i - from] = rows.startOf(i);
      leaf.n = to - from;
      leaf.src = rows;
      leaf.srcFrom = from;
    });
  }

  /** A tree of `count` ascending entries, bottom up (busy-tree-build.ts). */
  private static bottomUp(count: number, fill: (leaf: BusyNode, from: number, to: number) => void): BusyTree {
    const tree = new BusyTree();
    if (count === 0) return tree;
    tree.root = buildBottomUp(count, tree.gen, fill);
    tree.count = count;
    return tree;
  }

  /** Areas in the tree. */
  get size(): number {
    return this.count;
  }

  /**
   * A tree holding what this one holds, in O(1). Neither tree's later
   * writes show in the other: both copy the shared nodes before writing.
   */
  clone(): BusyTree {
    this.gen = nextGeneration++;
    return new BusyTree(this.root, this.count);
  }

  /** The area starting exactly at `start`. `start` must not be NaN. */
  get(start: number): VmapArea | undefined {
    let x = this.root;
    while (x.kids !== null) x = x.kids[childIndex(x.keys, x.n, start)]!;
    const i = lowerBound(x.keys, x.n, start);
    if (i >= x.n || x.keys[i] !== start) return undefined;
    x.make();
    return x.vals[i];
  }

  /** The area with the greatest start at or below `page`. `page` must not be NaN. */
  floor(page: number): VmapArea | undefined {
    let x = this.root;
    let d = 0;
    while (x.kids !== null) {
      const j = childIndex(x.keys, x.n, page);
      this.pathNodes[d] = x;
      this.pathIdx[d++] = j;
      x = x.kids[j]!;
    }
    const i = upperBound(x.keys, x.n, page);
    if (i > 0) {
      x.make();
      return x.vals[i - 1];
    }
    // Nothing here at or below `page`: the answer is the last area of the
    // nearest subtree to the left, if any.
    while (d > 0) {
      const j = this.pathIdx[--d]!;
      if (j > 0) {
        let y = this.pathNodes[d]!.kids![j - 1]!;
        while (y.kids !== null) y = y.kids[y.n - 1]!;
        y.make();
        return y.vals[y.n - 1];
      }
    }
    return undefined;
  }

  /** Enters `va` under `start`, replacing any area there. `start` must not be NaN. */
  set(start: number, va: VmapArea): void {
    const leaf = this.writablePath(start);
    leaf.make();
    const i = lowerBound(leaf.keys, leaf.n, start);
    if (i < leaf.n && leaf.keys[i] === start) {
      leaf.vals[i] = va;
      return;
    }
    this.count++;
    // A key below the least of the whole tree lowers the bounds on its path.
    for (let d = 0; d < this.depth; d++) {
      const x = this.pathNodes[d]!;
      if (this.pathIdx[d] === 0 && start < x.keys[0]!) x.keys[0] = start;
    }
    let right = leaf.n < CAP ? (leaf.insertEntry(i, start, va), null) : leaf.splitInserting(i, start, va, this.gen);
    for (let d = this.depth - 1; d >= 0 && right !== null; d--) {
      const x = this.pathNodes[d]!;
      const j = this.pathIdx[d]! + 1;
      right = x.n < CAP ? (x.insertKid(j, right), null) : x.splitInsertingKid(j, right, this.gen);
    }
    if (right !== null) {
      const top = new BusyNode(false, this.gen);
      top.insertKid(0, this.root);
      top.insertKid(1, right);
      this.root = top;
    }
  }

  /** Removes the area under `start` and returns it (undefined when absent). `start` must not be NaN. */
  take(start: number): VmapArea | undefined {
    // A read-only descent first: a miss copies nothing.
    let x = this.root;
    let d = 0;
    while (x.kids !== null) {
      const j = childIndex(x.keys, x.n, start);
      this.pathNodes[d] = x;
      this.pathIdx[d++] = j;
      x = x.kids[j]!;
    }
    const i = lowerBound(x.keys, x.n, start);
    if (i >= x.n || x.keys[i] !== start) return undefined;
    this.depth = d;
    const leaf = this.copyPath();
    leaf.make();
    const va = leaf.vals[i]!;
    leaf.removeEntry(i);
    this.count--;
    this.rebalanceUp(leaf);
    return va;
  }

  /** Removes the area under `start`; whether there was one. */
  delete(start: number): boolean {
    return this.take(start) !== undefined;
  }

  /** Calls `visit` on every area, ascending. */
  each(visit: (va: VmapArea) => void): void {
    eachIn(this.root, visit);
  }

  /** The areas starting at or after `page`, ascending. */
  *from(page: number): IterableIterator<VmapArea> {
    const nodes: BusyNode[] = [];
    const idx: number[] = [];
    let x = this.root;
    while (x.kids !== null) {
      const j = childIndex(x.keys, x.n, page);
      nodes.push(x);
      idx.push(j);
      x = x.kids[j]!;
    }
    let i = lowerBound(x.keys, x.n, page);
    for (;;) {
      const vals = x.areas();
      for (; i < x.n; i++) yield vals[i]!;
      // Up to the nearest node with a child to the right, then down its leftmost path.
      let d = nodes.length - 1;
      while (d >= 0 && idx[d]! + 1 >= nodes[d]!.n) d--;
      if (d < 0) return;
      nodes.length = d + 1;
      idx.length = d + 1;
      idx[d]!++;
      x = nodes[d]!.kids![idx[d]!]!;
      while (x.kids !== null) {
        nodes.push(x);
        idx.push(0);
        x = x.kids[0]!;
      }
      i = 0;
    }
  }

  /** The root, for the invariant check (busy-tree-check.ts). */
  get rootNode(): BusyNode {
    return this.root;
  }

  /** Descends to `key`'s leaf, recording the path, and makes the path writable. Returns the leaf. */
  private writablePath(key: number): BusyNode {
    let x = this.root;
    let d = 0;
    while (x.kids !== null) {
      const j = childIndex(x.keys, x.n, key);
      this.pathNodes[d] = x;
      this.pathIdx[d++] = j;
      x = x.kids[j]!;
    }
    this.depth = d;
    return this.copyPath();
  }

  /**
   * Copies every shared node on the recorded path, top down, linking each
   * copy into its (already writable) parent. Returns the leaf's writable node.
   */
  private copyPath(): BusyNode {
    const gen = this.gen;
    if (this.root.gen !== gen) this.root = this.root.copy(gen);
    let parent = this.root;
    for (let d = 0; d < this.depth; d++) {
      this.pathNodes[d] = parent;
      const j = this.pathIdx[d]!;
      let kid = parent.kids![j]!;
      if (kid.gen !== gen) parent.kids![j] = kid = kid.copy(gen);
      parent = kid;
    }
    return parent;
  }

  /**
   * After a removal from `node` (the recorded path's last node, writable):
   * while a node on the path is underfull, merges it with a sibling or
   * refills it from one; then drops a root left with one child.
   */
  private rebalanceUp(node: BusyNode): void {
    let x = node;
    for (let d = this.depth - 1; d >= 0 && x.n < MIN; d--) {
      const parent = this.pathNodes[d]!;
      if (parent.n < 2) break;
      const j = this.pathIdx[d]!;
      const l = j > 0 ? j - 1 : j;
      const kids = parent.kids!;
      if (kids[l]!.gen !== this.gen) kids[l] = kids[l]!.copy(this.gen);
      if (kids[l + 1]!.gen !== this.gen) kids[l + 1] = kids[l + 1]!.copy(this.gen);
      const left = kids[l]!;
      const right = kids[l + 1]!;
      // Areas move between the two: both must be made first.
      left.make();
      right.make();
      if (left.n + right.n <= CAP) {
        left.absorb(right);
        parent.removeKid(l + 1);
      } else {
        left.share(right);
        parent.keys[l + 1] = right.keys[0]!;
      }
      x = parent;
    }
    while (this.root.kids !== null && this.root.n === 1) this.root = this.root.kids[0]!;
  }
}
