/**
 * The free index's search: the lowest fit for a request, found by walking
 * down the augmented tree (the kernel's find_vmap_lowest_match), and the fit
 * it found, which the index carves without a second descent.
 */
import { F64, I32, Slot, type FreeNodeRecords } from './free-index-records.js';
import type { FreeTree } from './free-index-tree.js';

/** The lowest-fit search over one tree, and its last result. */
export class LowestFit {
  /**
   * The node holding the fit the last `find` found; NIL when it found none,
   * or once `forget` was called (a change to the tree may move a block to
   * another record).
   */
  node: number = Slot.NIL;
  /** Start of that fit. */
  start = 0;
  /** Pages the search was for. */
  pages = 0;

  // The rest of the query, kept in fields so the recursive walk passes one argument.
  private align = 1;
  private vstart = 0;
  private vend = 0;
  private base = 0;

  private readonly tree: FreeTree;
  /** The tree's records, held here too: the walk reads the buffers through one field, not two. */
  private readonly nodes: FreeNodeRecords;

  /** A search over `tree`. */
  constructor(tree: FreeTree) {
    this.tree = tree;
    this.nodes = tree.nodes;
  }

  /** See FreeIndex.findLowest, which this is. Returns the fit's start or -1, and remembers the fit. */
  find(pages: number, align: number, vstart: number, vend: number, base: number): number {
    this.pages = pages;
    this.align = align;
    this.vstart = vstart;
    this.vend = vend;
    this.base = base;
    this.node = this.search(this.tree.root);
    return this.node === Slot.NIL ? -1 : this.start;
  }

  /** Drops the remembered fit: the tree is about to change. */
  forget(): void {
    this.node = Slot.NIL;
  }

  /** The node of the lowest fit in `x`'s subtree, or NIL; sets `start`. */
  private search(x: number): number {
    const n = this.pages;
    const vs = this.vstart;
    const ve = this.vend;
    const f = this.nodes.f;
    const i = this.nodes.i;
    while (x !== Slot.NIL) {
      if (f[x * 8 + F64.MAX]! < n) return Slot.NIL;
      const s = f[x * 8 + F64.START]!;
      // Blocks in the left subtree end before `s`; they matter only if `s` is
      // past the range's start.
      if (s > vs) {
        const l = i[x * 16 + I32.LEFT]!;
        if (l !== Slot.NIL && f[l * 8 + F64.MAX]! >= n) {
          const found = this.search(l);
          if (found !== Slot.NIL) return found;
        }
      }
      const e = s + f[x * 8 + F64.SIZE]!;
      let a = s > vs ? s : vs;
      if (this.align > 1) {
        const rem = (this.base + a) % this.align;
        if (rem !== 0) a += this.align - rem;
      }
      if (a + n <= (e < ve ? e : ve)) {
        this.start = a;
        return x;
      }
      // Blocks in the right subtree start after `e` (blocks never touch).
      if (e + n >= ve) return Slot.NIL;
      x = i[x * 16 + I32.RIGHT]!;
    }
    return Slot.NIL;
  }
}
