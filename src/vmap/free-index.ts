/**
 * The free index: every free block of the space in one balanced tree ordered
 * by address and augmented with the largest block of each subtree. It is the
 * kernel's `free_vmap_area_root` with `subtree_max_size`:
 *
 * - the lowest block that can hold a request is found by walking down the
 *   tree, skipping every subtree whose largest block is too small;
 * - the root's augmented value is the largest free block (VmallocChunk) in O(1);
 * - blocks are coalesced on insert, so no two blocks ever touch and the tree's
 *   content is a pure function of which ranges are reserved.
 *
 * The records live in free-index-records.ts, the AVL mechanics in
 * free-index-tree.ts, the search in free-index-search.ts; this module is the
 * block arithmetic (the kernel's adjust_va_to_fit_type and
 * merge_or_add_vmap_area) and the index's interface.
 */
import { checkFreeTree } from './free-index-check.js';
import { F64, I32, Slot, type FreeNodeRecords } from './free-index-records.js';
import { LowestFit } from './free-index-search.js';
import { FreeTree } from './free-index-tree.js';

/** The in-order view of one free block, for walks and checks. */
export interface FreeBlock {
  /** First free page. */
  readonly start: number;
  /** Number of free pages. */
  readonly pages: number;
}

/** Augmented AVL tree of free blocks; see the module comment. */
export class FreeIndex {
  private readonly tree: FreeTree;
  /** The tree's records, held here too: the index reads the buffers through one field, not two. */
  private readonly nodes: FreeNodeRecords;
  /** The search, and the fit it last found. */
  private readonly fit: LowestFit;
  private pagesFree = 0;

  /** An empty index with room for `capacity` blocks before it grows. */
  constructor(capacity = 1024) {
    this.tree = new FreeTree(capacity);
    this.nodes = this.tree.nodes;
    this.fit = new LowestFit(this.tree);
  }

  /** Number of free blocks. */
  get count(): number {
    return this.nodes.count;
  }

  /** Total free pages. */
  get freePages(): number {
    return this.pagesFree;
  }

  /** Size in pages of the largest free block, 0 when nothing is free. O(1). */
  get largest(): number {
    return this.nodes.f[this.tree.root * 8 + F64.MAX]!;
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
    const x = this.fit.node;
    if (x === Slot.NIL) throw new Error('free index: carveFit without a fit from findLowest');
    this.carve(x, this.fit.start, this.fit.pages);
  }

  /**
   * Reserves `[start, start + pages)`, which must lie wholly inside one free
   * block. Used to rebuild a space from a list of areas and to undo a
   * release or a purge.
   */
  reserve(start: number, pages: number): void {
    const x = this.blockContaining(start);
    if (x === Slot.NIL) throw new Error(`free index: page ${start} is not free`);
    this.carve(x, start, pages);
  }

  /**
   * Takes `[start, start + pages)` out of block `x`, which must contain it
   * (the kernel's adjust_va_to_fit_type: full, left, right or middle fit).
   */
  private carve(x: number, start: number, pages: number): void {
    const f = this.nodes.f;
    const s = f[x * 8 + F64.START]!;
    const e = s + f[x * 8 + F64.SIZE]!;
    const end = start + pages;
    if (start < s || end > e || pages <= 0) {
      throw new Error(`free index: carve [${start}, ${end}) outside block [${s}, ${e})`);
    }
    this.fit.forget();
    this.pagesFree -= pages;
    if (start === s && end === e) {
      this.tree.remove(x);
    } else if (start === s) {
      // Moving the start keeps the order: nothing lies between the neighbours.
      f[x * 8 + F64.START] = end;
      f[x * 8 + F64.SIZE] = e - end;
      this.tree.fixMaxUp(x);
    } else if (end === e) {
      f[x * 8 + F64.SIZE] = start - s;
      this.tree.fixMaxUp(x);
    } else {
      f[x * 8 + F64.SIZE] = start - s;
      this.tree.fixMaxUp(x);
      this.tree.insertAfter(x, end, e - end);
    }
  }

  /** The block whose range contains `page`, or NIL. */
  private blockContaining(page: number): number {
    const f = this.nodes.f;
    const i = this.nodes.i;
    let x = this.tree.root;
    while (x !== Slot.NIL) {
      const s = f[x * 8 + F64.START]!;
      if (page < s) x = i[x * 16 + I32.LEFT]!;
      else if (page >= s + f[x * 8 + F64.SIZE]!) x = i[x * 16 + I32.RIGHT]!;
      else return x;
    }
    return Slot.NIL;
  }

  /**
   * Returns `[start, start + pages)` to free space, merged with a free block
   * that ends at `start` and one that begins at its end. Throws if the range
   * overlaps free space (a double free would corrupt the space).
   */
  insert(start: number, pages: number): void {
    if (pages <= 0) throw new Error(`free index: insert of ${pages} pages`);
    const end = start + pages;
    const f = this.nodes.f;
    const i = this.nodes.i;
    let x = this.tree.root;
    let pred: number = Slot.NIL;
    let succ: number = Slot.NIL;
    let last: number = Slot.NIL;
    while (x !== Slot.NIL) {
      last = x;
      if (f[x * 8 + F64.START]! < start) {
        pred = x;
        x = i[x * 16 + I32.RIGHT]!;
      } else {
        succ = x;
        x = i[x * 16 + I32.LEFT]!;
      }
    }
    const predEnd = pred === Slot.NIL ? -1 : f[pred * 8 + F64.START]! + f[pred * 8 + F64.SIZE]!;
    const succStart = succ === Slot.NIL ? Infinity : f[succ * 8 + F64.START]!;
    if (predEnd > start || succStart < end) {
      throw new Error(`free index: [${start}, ${end}) overlaps free space`);
    }
    this.fit.forget();
    this.pagesFree += pages;
    const mergeLeft = predEnd === start;
    const mergeRight = succStart === end;
    if (mergeLeft && mergeRight) {
      const total = f[pred * 8 + F64.SIZE]! + pages + f[succ * 8 + F64.SIZE]!;
      // Removing succ only relinks or copies into succ's own record: pred stays put.
      this.tree.remove(succ);
      f[pred * 8 + F64.SIZE] = total;
      this.tree.fixMaxUp(pred);
    } else if (mergeLeft) {
      f[pred * 8 + F64.SIZE] = f[pred * 8 + F64.SIZE]! + pages;
      this.tree.fixMaxUp(pred);
    } else if (mergeRight) {
      f[succ * 8 + F64.START] = start;
      f[succ * 8 + F64.SIZE] = f[succ * 8 + F64.SIZE]! + pages;
      this.tree.fixMaxUp(succ);
    } else {
      this.tree.link(last, this.nodes.take(start, pages));
    }
  }

  /** Free blocks in ascending address order. */
  *blocks(): IterableIterator<FreeBlock> {
    const nodes = this.nodes;
    const stack: number[] = [];
    let x = this.tree.root;
    while (x !== Slot.NIL || stack.length > 0) {
      while (x !== Slot.NIL) {
        stack.push(x);
        x = nodes.i[x * 16 + I32.LEFT]!;
      }
      x = stack.pop()!;
      yield { start: nodes.f[x * 8 + F64.START]!, pages: nodes.f[x * 8 + F64.SIZE]! };
      x = nodes.i[x * 16 + I32.RIGHT]!;
    }
  }

  /**
   * Checks every structural invariant: order, blocks never touching, AVL
   * balance, parent links, augmented maxima and the maintained totals.
   * Returns a description of the first violation, or null.
   */
  checkInvariants(): string | null {
    return checkFreeTree(this.tree, this.pagesFree);
  }
}
