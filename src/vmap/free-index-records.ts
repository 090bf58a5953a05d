/**
 * The free index's node records: the leaves and the inner nodes of a B+ tree,
 * each a fixed-size record in one typed array per kind, ids being record
 * slots. A leaf holds up to Leaf.CAP blocks, its starts then its sizes, in
 * one 512-byte run; an inner node holds up to Inner.CAP children, their first
 * starts then their largest blocks, and their ids in a parallel Int32Array.
 *
 * Wide records are the point: with 10^5 blocks a binary tree's walk misses
 * the cache at every one of its lower levels, where this one reads three or
 * four records, each as a linear scan over adjacent doubles that the
 * prefetcher streams in. The records stay out of the garbage collector's
 * way, and taking one allocates nothing once the arrays are large enough.
 */

// The layout is in const enums, not exported consts, so that tsc writes the
// numbers into the code that reads the fields: V8 does not fold an imported
// binding into a constant.

/** A leaf's fill limits. */
export const enum Leaf {
  /** Blocks a leaf holds at most. */
  CAP = 32,
  /** Blocks a leaf other than the root holds at least; below, it merges or borrows. */
  MIN = 8,
}

/** An inner node's fill limits. */
export const enum Inner {
  /** Children an inner node holds at most. */
  CAP = 32,
  /** Children an inner node other than the root holds at least (the root, 2). */
  MIN = 8,
}

/** Where a record's fields sit in its kind's Float64Array: `id * STRIDE + field + k`. */
export const enum Rec {
  /** Doubles per leaf: LEAF starts, then LEAF sizes. */
  LEAF_STRIDE = Leaf.CAP * 2,
  /** Offset of a leaf's sizes (its starts are at 0). */
  SIZE = Leaf.CAP,
  /** Doubles per inner node: NODE first starts, then NODE maxima. */
  NODE_STRIDE = Inner.CAP * 2,
  /** Offset of an inner node's child maxima (the kernel's subtree_max_size; keys are at 0). */
  MAX = Inner.CAP,
}

/** The record arrays, with slot recycling and growth; see the module comment. */
export class FreeRecords {
  /** Leaf blocks: start of block k of leaf x at `x * LEAF_STRIDE + k`, its size at `+ SIZE`. Replaced on growth. */
  lf: Float64Array;
  /** Blocks in each leaf. Replaced with `lf`. */
  lc: Int32Array;
  /** Inner nodes: first start of child j's subtree at `x * NODE_STRIDE + j`, its largest block at `+ MAX`. Replaced on growth. */
  nf: Float64Array;
  /** Child ids: child j of node x at `x * NODE + j` (a leaf id on the level above the leaves). Replaced with `nf`. */
  nc: Int32Array;
  /** Children of each inner node. Replaced with `nf`. */
  ncnt: Int32Array;
  /** Leaves in use. */
  leaves = 0;
  /** Inner nodes in use. */
  nodes = 0;

  private leafCap: number;
  private nodeCap: number;
  private leafNext = 0;
  private nodeNext = 0;
  /** Recycled leaves and nodes: plain stacks, reuse is rare next to lookups. */
  private readonly leafFree: number[] = [];
  private readonly nodeFree: number[] = [];

  /** Room for about `blocks` blocks before the arrays grow. */
  constructor(blocks: number) {
    this.leafCap = Math.max(2, Math.ceil(blocks / (Leaf.CAP / 2)) + 1);
    this.nodeCap = Math.max(2, Math.ceil(this.leafCap / (Inner.CAP / 2)) + 1);
    this.lf = new Float64Array(this.leafCap * Rec.LEAF_STRIDE);
    this.lc = new Int32Array(this.leafCap);
    this.nf = new Float64Array(this.nodeCap * Rec.NODE_STRIDE);
    this.nc = new Int32Array(this.nodeCap * Inner.CAP);
    this.ncnt = new Int32Array(this.nodeCap);
  }

  /** An empty leaf. It may grow the arrays, which replaces `lf` and `lc`: callers must read them again. */
  takeLeaf(): number {
    let x = this.leafFree.pop();
    if (x === undefined) {
      if (this.leafNext === this.leafCap) this.growLeaves();
      x = this.leafNext++;
    }
    this.lc[x] = 0;
    this.leaves++;
    return x;
  }

  /** Gives leaf `x`, already unlinked, back for reuse. */
  freeLeaf(x: number): void {
    this.leafFree.push(x);
    this.leaves--;
  }

  /** An empty inner node. It may grow the arrays, which replaces `nf`, `nc` and `ncnt`. */
  takeNode(): number {
    let x = this.nodeFree.pop();
    if (x === undefined) {
      if (this.nodeNext === this.nodeCap) this.growNodes();
      x = this.nodeNext++;
    }
    this.ncnt[x] = 0;
    this.nodes++;
    return x;
  }

  /** Gives inner node `x`, already unlinked, back for reuse. */
  freeNode(x: number): void {
    this.nodeFree.push(x);
    this.nodes--;
  }

  private growLeaves(): void {
    this.leafCap *= 2;
    const lf = new Float64Array(this.leafCap * Rec.LEAF_STRIDE);
    lf.set(this.lf);
    this.lf = lf;
    const lc = new Int32Array(this.leafCap);
    lc.set(this.lc);
    this.lc = lc;
  }

  private growNodes(): void {
    this.nodeCap *= 2;
    const nf = new Float64Array(this.nodeCap * Rec.NODE_STRIDE);
    nf.set(this.nf);
    this.nf = nf;
    const nc = new Int32Array(this.nodeCap * Inner.CAP);
    nc.set(this.nc);
    this.nc = nc;
    const ncnt = new Int32Array(this.nodeCap);
    ncnt.set(this.ncnt);
    this.ncnt = ncnt;
  }
}
