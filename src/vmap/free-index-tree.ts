/**
 * The B+ tree of the free index: blocks ordered by start in the leaves, and
 * in each inner node, per child, the first start of its subtree (the key)
 * and its largest block (the kernel's subtree_max_size). Keys are exact, not
 * mere separators: a child's blocks all end before the next child's key,
 * which is what lets the search skip children that lie wholly below a
 * range's start.
 *
 * Every change starts from a path, the inner nodes from the root down to one
 * leaf and the child taken in each, that a descent (here, or the search's)
 * leaves behind: maxima and keys are put right along it, with no parent
 * links to keep. Splits and underflow are in free-index-rebalance.ts.
 */
import { FreeRecords, Inner, Leaf, Rec } from './free-index-records.js';
import { mergeOrBorrow, splitLeaf } from './free-index-rebalance.js';

/**
 * Deepest path: each inner level but the root's holds at least Inner.MIN
 * children, so this many levels would hold more blocks than a 2^53-page space can have.
 */
export const MAX_DEPTH = 64;

/** The tree, and the path its last descent took; see the module comment. */
export class FreeTree {
  /** The leaf and inner-node records. */
  readonly rec: FreeRecords;
  /** The root: a leaf while `height` is 0, an inner node otherwise. */
  root: number;
  /** Inner levels above the leaves. */
  height = 0;
  /** Blocks in the tree. */
  count = 0;
  /** The path: the inner node at each depth from the root... */
  readonly pn = new Int32Array(MAX_DEPTH);
  /** ...and the child taken there. */
  readonly pi = new Int32Array(MAX_DEPTH);
  /** The leaf the path ends at. */
  leaf: number;

  /** An empty tree with room for about `capacity` blocks before its arrays grow. */
  constructor(capacity: number) {
    this.rec = new FreeRecords(capacity);
    this.root = this.rec.takeLeaf();
    this.leaf = this.root;
  }

  /**
   * Leads the path to the leaf where start `x` belongs and returns how many
   * of its blocks start below `x` (`inclusive`: at or below). Keys are first
   * starts, so unless `x` is below every block that leaf holds the block
   * just below `x`.
   */
  descend(x: number, inclusive: boolean): number {
    const { nf, nc, ncnt, lf, lc } = this.rec;
    let node = this.root;
    // Linear scans: over 32 adjacent keys they beat a binary search, whose
    // halvings the branch predictor cannot guess.
    for (let d = 0; d < this.height; d++) {
      const b = node * Rec.NODE_STRIDE;
      const cnt = ncnt[node]!;
      let j = 1;
      if (inclusive) while (j < cnt && nf[b + j]! <= x) j++;
      else while (j < cnt && nf[b + j]! < x) j++;
      this.pn[d] = node;
      this.pi[d] = --j;
      node = nc[node * Inner.CAP + j]!;
    }
    this.leaf = node;
    const b = node * Rec.LEAF_STRIDE;
    const c = lc[node]!;
    let k = 0;
    if (inclusive) while (k < c && lf[b + k]! <= x) k++;
    else while (k < c && lf[b + k]! < x) k++;
    return k;
  }

  /** First start of the leaf after the path's, Infinity at the last leaf. The keys hold it: no descent. */
  nextFirst(): number {
    const { nf, ncnt } = this.rec;
    for (let d = this.height - 1; d >= 0; d--) {
      const x = this.pn[d]!;
      const j = this.pi[d]! + 1;
      if (j < ncnt[x]!) return nf[x * Rec.NODE_STRIDE + j]!;
    }
    return Infinity;
  }

  /** The leaf after the path's, which the caller knows exists (nextFirst was finite); the path stays. */
  nextLeaf(): number {
    const { nc, ncnt } = this.rec;
    let d = this.height - 1;
    while (this.pi[d]! + 1 >= ncnt[this.pn[d]!]!) d--;
    let node = nc[this.pn[d]! * Inner.CAP + this.pi[d]! + 1]!;
    for (d++; d < this.height; d++) node = nc[node * Inner.CAP]!;
    return node;
  }

  /** Moves the path to the next leaf; the caller knows there is one (nextFirst was finite). */
  toNext(): void {
    const { nc, ncnt } = this.rec;
    let d = this.height - 1;
    while (this.pi[d]! + 1 >= ncnt[this.pn[d]!]!) d--;
    let node = nc[this.pn[d]! * Inner.CAP + ++this.pi[d]!]!;
    for (d++; d < this.height; d++) {
      this.pn[d] = node;
      this.pi[d] = 0;
      node = nc[node * Inner.CAP]!;
    }
    this.leaf = node;
  }

  /** Largest block of leaf `x`, 0 when empty. */
  leafMax(x: number): number {
    const lf = this.rec.lf;
    const b = x * Rec.LEAF_STRIDE + Rec.SIZE;
    const e = b + this.rec.lc[x]!;
    let m = 0;
    for (let k = b; k < e; k++) if (lf[k]! > m) m = lf[k]!;
    return m;
  }

  /** Largest of inner node `x`'s child maxima. */
  nodeMax(x: number): number {
    const nf = this.rec.nf;
    const b = x * Rec.NODE_STRIDE + Rec.MAX;
    const e = b + this.rec.ncnt[x]!;
    let m = 0;
    for (let j = b; j < e; j++) if (nf[j]! > m) m = nf[j]!;
    return m;
  }

  /** The largest block in the tree, 0 when empty: one record's scan. */
  get largest(): number {
    return this.height === 0 ? this.leafMax(this.root) : this.nodeMax(this.root);
  }

  /** The path leaf's block `k` changed size from `was`: puts the maxima above it right. */
  sizeChanged(was: number, now: number): void {
    const h = this.height;
    if (h === 0) return;
    const cur = this.rec.nf[this.pn[h - 1]! * Rec.NODE_STRIDE + Rec.MAX + this.pi[h - 1]!]!;
    if (now > was) {
      if (now > cur) this.setMax(h - 1, now);
    } else if (was === cur) {
      this.setMax(h - 1, this.leafMax(this.leaf));
    }
  }

  /**
   * Sets the maximum of the child the path takes at depth `d` to `m`, and
   * of every node above as far as it changes them: a rise goes up while it
   * beats the old maximum, a fall while the fallen value was the maximum.
   */
  setMax(d: number, m: number): void {
    const nf = this.rec.nf;
    for (;;) {
      const p = this.pn[d]! * Rec.NODE_STRIDE + Rec.MAX + this.pi[d]!;
      const old = nf[p]!;
      if (old === m) return;
      nf[p] = m;
      if (d === 0) return;
      const cur = nf[this.pn[d - 1]! * Rec.NODE_STRIDE + Rec.MAX + this.pi[d - 1]!]!;
      if (m > old) {
        if (m <= cur) return;
      } else {
        if (old < cur) return;
        m = this.nodeMax(this.pn[d]!);
      }
      d--;
    }
  }

  /** The path leaf's first start is now `first`: writes it into every key it is. */
  fixKey(first: number): void {
    const nf = this.rec.nf;
    for (let d = this.height - 1; d >= 0; d--) {
      nf[this.pn[d]! * Rec.NODE_STRIDE + this.pi[d]!] = first;
      if (this.pi[d] !== 0) return;
    }
  }

  /** Puts block `[s, s + z)` at position `k` of the path's leaf, splitting it when full. */
  insertAt(k: number, s: number, z: number): void {
    this.count++;
    const h = this.height;
    if (h > 0 && z > this.rec.nf[this.pn[h - 1]! * Rec.NODE_STRIDE + Rec.MAX + this.pi[h - 1]!]!) this.setMax(h - 1, z);
    const x = this.leaf;
    const c = this.rec.lc[x]!;
    if (c === Leaf.CAP) {
      splitLeaf(this, k, s, z);
      return;
    }
    const lf = this.rec.lf;
    const b = x * Rec.LEAF_STRIDE;
    // Plain loops: for a few dozen doubles copyWithin's call costs more than the copy.
    for (let i = b + c; i > b + k; i--) {
      lf[i] = lf[i - 1]!;
      lf[i + Rec.SIZE] = lf[i + Rec.SIZE - 1]!;
    }
    lf[b + k] = s;
    lf[b + Rec.SIZE + k] = z;
    this.rec.lc[x] = c + 1;
    if (k === 0) this.fixKey(s);
  }

  /** Takes block `k` out of the path's leaf, merging or refilling the leaf when it runs low. */
  removeAt(k: number): void {
    this.count--;
    const x = this.leaf;
    const lf = this.rec.lf;
    const b = x * Rec.LEAF_STRIDE;
    const c = this.rec.lc[x]! - 1;
    const z = lf[b + Rec.SIZE + k]!;
    for (let i = b + k; i < b + c; i++) {
      lf[i] = lf[i + 1]!;
      lf[i + Rec.SIZE] = lf[i + Rec.SIZE + 1]!;
    }
    this.rec.lc[x] = c;
    const h = this.height;
    if (h === 0) return;
    if (k === 0) this.fixKey(lf[b]!);
    this.sizeChanged(z, 0);
    if (c < Leaf.MIN) mergeOrBorrow(this, h - 1);
  }
}
