/**
 * The free index: every free block of the space in one B+ tree ordered by
 * address, each inner node holding the largest block under each child. It
 * is the kernel's `free_vmap_area_root` with `subtree_max_size`, in wide
 * records rather than an rbtree:
 *
 * - the lowest block that can hold a request is found by walking down the
 *   tree, skipping every child whose largest block is too small;
 * - the root's maxima give the largest free block (VmallocChunk) in O(1);
 * - blocks are coalesced on insert, so no two blocks ever touch and the tree's
 *   content is a pure function of which ranges are reserved.
 *
 * The records live in free-index-records.ts, the tree and its paths in
 * free-index-tree.ts (splits and merges in free-index-rebalance.ts), the
 * search in free-index-search.ts; this module is the block arithmetic (the
 * kernel's adjust_va_to_fit_type and merge_or_add_vmap_area) and the index's
 * interface.
 */
import { checkFreeTree } from './free-index-check.js';
import { Inner, Rec } from './free-index-records.js';
import { LowestFit } from './free-index-search.js';
import { FreeTree } from './free-index-tree.js';

/** The in-order view of one free block, for walks and checks. */
export interface FreeBlock {
  /** First free page. */
  readonly start: number;
  /** Number of free pages. */
  readonly pages: number;
}

/** B+ tree of free blocks, augmented with maxima; see the module comment. */
export class FreeIndex {
  private readonly tree: FreeTree;
  /** The search, and the fit it last found. */
  private readonly fit: LowestFit;
  private pagesFree = 0;
  /**
   * The largest block, or -1 once a change may have altered it: read from
   * the root (a scan of one record) when next asked, not on every change,
   * so meminfo() reads a field and a write pays nothing for it.
   */
  private top = 0;

  /** An empty index with room for about `capacity` blocks before it grows. */
  constructor(capacity = 1024) {
    this.tree = new FreeTree(capacity);
    this.fit = new LowestFit(this.tree);
  }

  /** Number of free blocks. */
  get count(): number {
    return this.tree.count;
  }

  /** Total free pages. */
  get freePages(): number {
    return this.pagesFree;
  }

  /** Size in pages of the largest free block, 0 when nothing is free. O(1): a field, or after a change a scan of the root. */
  get largest(): number {
    if (this.top < 0) this.top = this.tree.largest;
    return this.top;
  }

  /**
   * Finds the lowest start `a` such that `[a, a + pages)` lies inside one free
   * block and inside `[vstart, vend)`, and `base + a` is a multiple of `align`
   * (all in pages). Returns `a`, or -1 when nothing fits. The fit is
   * remembered for `carveFit` until the index next changes.
   *
   * Unlike the kernel, which looks for `pages + align - 1` when aligning and so
   * can pass over a lower block that would have fit, this visits blocks in
   * address order and takes the first real fit: exactly the lowest address.
   * Subtrees whose largest block is too small, or that lie wholly outside the
   * range, are never entered.
   */
  findLowest(pages: number, align: number, vstart: number, vend: number, base: number): number {
    return this.fit.find(pages, align, vstart, vend, base);
  }

  /**
   * Takes the fit the last `findLowest` returned out of free space: its
   * start and the pages it was asked for. Costs no second descent.
   *
   * @throws Error when that call found nothing, or the index changed since
   */
  carveFit(): void {
    const fit = this.fit;
    if (!fit.found) throw new Error('free index: carveFit without a fit from findLowest');
    fit.restorePath();
    this.carve(fit.k, fit.start, fit.pages);
  }

  /**
   * Reserves `[start, start + pages)`, which must lie wholly inside one free
   * block. Used to rebuild a space from a list of areas and to undo a
   * release or a purge.
   */
  reserve(start: number, pages: number): void {
    const k = this.tree.descend(start, true) - 1;
    const lf = this.tree.rec.lf;
    const b = this.tree.leaf * Rec.LEAF_STRIDE + k;
    if (k < 0 || start >= lf[b]! + lf[b + Rec.SIZE]!) throw new Error(`free index: page ${start} is not free`);
    this.carve(k, start, pages);
  }

  /**
   * Takes `[start, start + pages)` out of block `k` of the tree's path leaf,
   * which must contain it (the kernel's adjust_va_to_fit_type: full, left,
   * right or middle fit).
   */
  private carve(k: number, start: number, pages: number): void {
    const t = this.tree;
    const lf = t.rec.lf;
    const b = t.leaf * Rec.LEAF_STRIDE + k;
    const s = lf[b]!;
    const z = lf[b + Rec.SIZE]!;
    const e = s + z;
    const end = start + pages;
    if (start < s || end > e || pages <= 0) {
      throw new Error(`free index: carve [${start}, ${end}) outside block [${s}, ${e})`);
    }
    this.fit.forget();
    this.top = -1;
    this.pagesFree -= pages;
    if (start === s && end === e) {
      t.removeAt(k);
    } else if (start === s) {
      // Moving the start keeps the order: nothing lies between the neighbours.
      lf[b] = end;
      lf[b + Rec.SIZE] = e - end;
      if (k === 0) t.fixKey(end);
      t.sizeChanged(z, e - end);
    } else {
      lf[b + Rec.SIZE] = start - s;
      t.sizeChanged(z, start - s);
      if (end !== e) t.insertAt(k + 1, end, e - end);
    }
  }

  /**
   * Returns `[start, start + pages)` to free space, merged with a free block
   * that ends at `start` and one that begins at its end. Throws if the range
   * overlaps free space (a double free would corrupt the space).
   */
  insert(start: number, pages: number): void {
    if (!(pages > 0)) throw new Error(`free index: insert of ${pages} pages`);
    const end = start + pages;
    const t = this.tree;
    const k = t.descend(start, false);
    const lf = t.rec.lf;
    const b = t.leaf * Rec.LEAF_STRIDE;
    const c = t.rec.lc[t.leaf]!;
    // The block below is in this leaf (see descend); the one above may start the next.
    const predEnd = k > 0 ? lf[b + k - 1]! + lf[b + Rec.SIZE + k - 1]! : -1;
    const succStart = k < c ? lf[b + k]! : t.nextFirst();
    if (predEnd > start || succStart < end) {
      throw new Error(`free index: [${start}, ${end}) overlaps free space`);
    }
    this.fit.forget();
    this.top = -1;
    this.pagesFree += pages;
    if (predEnd === start) {
      const p = b + Rec.SIZE + k - 1;
      const was = lf[p]!;
      if (succStart !== end) {
        lf[p] = was + pages;
        t.sizeChanged(was, was + pages);
        return;
      }
      // Both: the block below takes in the range and the block above, which goes.
      const q = k < c ? b + Rec.SIZE + k : t.nextLeaf() * Rec.LEAF_STRIDE + Rec.SIZE;
      lf[p] = was + pages + lf[q]!;
      t.sizeChanged(was, lf[p]!);
      if (k < c) {
        t.removeAt(k);
      } else {
        t.toNext();
        t.removeAt(0);
      }
    } else if (succStart === end) {
      if (k === c) t.toNext();
      const kk = k === c ? 0 : k;
      const q = t.leaf * Rec.LEAF_STRIDE + kk;
      const was = lf[q + Rec.SIZE]!;
      lf[q] = start;
      lf[q + Rec.SIZE] = was + pages;
      if (kk === 0) t.fixKey(start);
      t.sizeChanged(was, was + pages);
    } else {
      t.insertAt(k, start, pages);
    }
  }

  /** Free blocks in ascending address order. */
  *blocks(): IterableIterator<FreeBlock> {
    const t = this.tree;
    const { lf, lc, nc, ncnt } = t.rec;
    const pn: number[] = [];
    const pi: number[] = [];
    let x = t.root;
    for (;;) {
      // Down the leftmost path not yet walked.
      while (pn.length < t.height) {
        pn.push(x);
        pi.push(0);
        x = nc[x * Inner.CAP]!;
      }
      const b = x * Rec.LEAF_STRIDE;
      for (let k = 0; k < lc[x]!; k++) yield { start: lf[b + k]!, pages: lf[b + Rec.SIZE + k]! };
      // Up to the deepest node with a child left, and into that child.
      while (pn.length > 0 && pi[pi.length - 1]! + 1 >= ncnt[pn[pn.length - 1]!]!) {
        pn.pop();
        pi.pop();
      }
      if (pn.length === 0) return;
      const j = pi[pi.length - 1]! + 1;
      pi[pi.length - 1] = j;
      x = nc[pn[pn.length - 1]! * Inner.CAP + j]!;
    }
  }

  /**
   * Checks every structural invariant: order, blocks never touching, fill
   * of every record, all leaves at one depth, keys and augmented maxima, and
   * the maintained counts, totals and largest block. Returns a description
   * of the first violation, or null.
   */
  checkInvariants(): string | null {
    const problem = checkFreeTree(this.tree, this.pagesFree);
    if (problem !== null) return problem;
    if (this.top >= 0 && this.top !== this.tree.largest) return `largest block remembered as ${this.top}, the tree's is ${this.tree.largest}`;
    return null;
  }
}
