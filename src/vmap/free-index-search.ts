/**
 * The free index's search: the lowest fit for a request, found by walking
 * down the B+ tree in address order (the kernel's find_vmap_lowest_match),
 * and the fit it found, which the index carves without a second descent.
 *
 * The walk is iterative: at each inner node it takes the first child whose
 * largest block is big enough, and comes back for the next one only when
 * that child held no fit after all (alignment or the range's end ruled each
 * block out). With no alignment and no range that never happens: the first
 * big enough child holds a fit, so a search reads one record per level.
 */
import { Inner, Rec } from './free-index-records.js';
import { MAX_DEPTH, type FreeTree } from './free-index-tree.js';

/** The lowest-fit search over one tree, and its last result. */
export class LowestFit {
  /** Whether the last `find` found a fit that is still there (see `forget`). */
  found = false;
  /** Start of that fit. */
  start = 0;
  /** Pages the search was for. */
  pages = 0;
  /** Position of the fit's block in its leaf. */
  k = 0;

  /** The fit's path, kept apart from the tree's, which every descent overwrites. */
  private readonly pn = new Int32Array(MAX_DEPTH);
  private readonly pi = new Int32Array(MAX_DEPTH);
  private leaf = 0;
  private readonly tree: FreeTree;

  /** A search over `tree`. */
  constructor(tree: FreeTree) {
    this.tree = tree;
  }

  /** See FreeIndex.findLowest, which this is. Returns the fit's start or -1, and remembers the fit. */
  find(n: number, align: number, vs: number, ve: number, base: number): number {
    this.pages = n;
    this.found = false;
    if (align === 1 && vs === 0) return this.first(n, ve);
    const t = this.tree;
    const h = t.height;
    if (h === 0) return this.inLeaf(t.root, n, align, vs, ve, base);
    const { nf, nc, ncnt } = t.rec;
    const pn = this.pn;
    const pi = this.pi;
    const low = vs + n;
    let d = 0;
    let x = t.root;
    let j = entry(nf, ncnt, x, low);
    pn[0] = x;
    for (;;) {
      const b = x * Rec.NODE_STRIDE;
      const cnt = ncnt[x]!;
      while (j < cnt && nf[b + Rec.MAX + j]! < n) j++;
      if (j === cnt) {
        // Nothing more here: back to the parent's next child.
        if (d === 0) return -1;
        d--;
        x = pn[d]!;
        j = pi[d]! + 1;
        continue;
      }
      // Keys ascend: if this child starts too late, so does everything after it.
      if (nf[b + j]! + n > ve) return -1;
      pi[d] = j;
      const c = nc[x * Inner.CAP + j]!;
      if (d + 1 === h) {
        const a = this.inLeaf(c, n, align, vs, ve, base);
        if (a >= 0) return a;
        j++;
      } else {
        d++;
        pn[d] = c;
        x = c;
        j = entry(nf, ncnt, x, low);
      }
    }
  }

  /**
   * The search without alignment or a range start, what nearly every
   * request asks: the first block of `n` pages or more is the fit, so the
   * walk takes the first big enough child at each level and never comes back.
   */
  private first(n: number, ve: number): number {
    const t = this.tree;
    const { nf, nc, ncnt, lf, lc } = t.rec;
    let x = t.root;
    for (let d = 0; d < t.height; d++) {
      const b = x * Rec.NODE_STRIDE + Rec.MAX;
      const cnt = ncnt[x]!;
      let j = 0;
      while (j < cnt && nf[b + j]! < n) j++;
      // Below the root a parent's maximum says some child is big enough.
      if (j === cnt) return -1;
      this.pn[d] = x;
      this.pi[d] = j;
      x = nc[x * Inner.CAP + j]!;
    }
    const b = x * Rec.LEAF_STRIDE;
    const e = b + lc[x]!;
    let k = b;
    while (k < e && lf[k + Rec.SIZE]! < n) k++;
    if (k === e || lf[k]! + n > ve) return -1;
    this.found = true;
    this.start = lf[k]!;
    this.k = k - b;
    this.leaf = x;
    return this.start;
  }

  /** Lowest fit in leaf `x`, or -1; on success remembers it. */
  private inLeaf(x: number, n: number, align: number, vs: number, ve: number, base: number): number {
    const lf = this.tree.rec.lf;
    const b = x * Rec.LEAF_STRIDE;
    const e = b + this.tree.rec.lc[x]!;
    for (let k = b; k < e; k++) {
      const z = lf[k + Rec.SIZE]!;
      if (z < n) continue;
      const s = lf[k]!;
      if (s + n > ve) return -1;
      let a = s > vs ? s : vs;
      if (align > 1) {
        const rem = (base + a) % align;
        if (rem !== 0) a += align - rem;
      }
      const end = s + z;
      if (a + n <= (end < ve ? end : ve)) {
        this.found = true;
        this.start = a;
        this.k = k - b;
        this.leaf = x;
        return a;
      }
    }
    return -1;
  }

  /** Points the tree's path at the remembered fit, for the carve. */
  restorePath(): void {
    const t = this.tree;
    for (let d = 0; d < t.height; d++) {
      t.pn[d] = this.pn[d]!;
      t.pi[d] = this.pi[d]!;
    }
    t.leaf = this.leaf;
  }

  /** Drops the remembered fit: the tree is about to change. */
  forget(): void {
    this.found = false;
  }
}

/**
 * The first child of inner node `x` that can hold a block ending at or past
 * `low`: child j's blocks all end before child j + 1's key (blocks never touch).
 */
function entry(nf: Float64Array, ncnt: Int32Array, x: number, low: number): number {
  const b = x * Rec.NODE_STRIDE;
  const last = ncnt[x]! - 1;
  let j = 0;
  while (j < last && nf[b + j + 1]! <= low) j++;
  return j;
}
