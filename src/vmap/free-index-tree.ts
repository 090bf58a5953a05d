/**
 * The AVL mechanics of the free index: linking and unlinking records,
 * rotations, and keeping each node's height and augmented maximum (the
 * kernel's subtree_max_size, maintained there by the rb_augment callbacks)
 * right on the way back up. Nodes are ordered by START; the free index's own
 * descents find which node changes or where a new leaf goes, and this module
 * keeps the tree balanced and its maxima true after each change.
 */
import { F64, I32, Slot, FreeNodeRecords } from './free-index-records.js';

/** A height-balanced binary tree of block records, augmented with subtree maxima. */
export class FreeTree {
  /** The records the tree links. */
  readonly nodes: FreeNodeRecords;
  /** The root record, NIL when the tree is empty. */
  root: number = Slot.NIL;

  /** An empty tree with room for `capacity` records before its buffer grows. */
  constructor(capacity: number) {
    this.nodes = new FreeNodeRecords(capacity);
  }

  /**
   * Makes the unlinked leaf `n` a child of `parent` (the last node of a
   * descent by start that fell off the tree), or the root when `parent` is
   * NIL, and rebalances.
   */
  link(parent: number, n: number): void {
    if (parent === Slot.NIL) {
      this.root = n;
      return;
    }
    const i = this.nodes.i;
    i[n * 16 + I32.PARENT] = parent;
    if (this.nodes.f[parent * 8 + F64.START]! < this.nodes.f[n * 8 + F64.START]!) i[parent * 16 + I32.RIGHT] = n;
    else i[parent * 16 + I32.LEFT] = n;
    this.retrace(parent);
  }

  /** Adds a block that comes right after node `x` in address order. */
  insertAfter(x: number, start: number, pages: number): void {
    const n = this.nodes.take(start, pages);
    const i = this.nodes.i; // after take: it may have grown the buffer
    let r = i[x * 16 + I32.RIGHT]!;
    if (r === Slot.NIL) {
      i[x * 16 + I32.RIGHT] = n;
      i[n * 16 + I32.PARENT] = x;
    } else {
      while (i[r * 16 + I32.LEFT]! !== Slot.NIL) r = i[r * 16 + I32.LEFT]!;
      i[r * 16 + I32.LEFT] = n;
      i[n * 16 + I32.PARENT] = r;
    }
    this.retrace(i[n * 16 + I32.PARENT]!);
  }

  /**
   * Unlinks node `z`'s block and recycles a record. When `z` has two
   * children its in-order successor's block moves into `z`'s record and the
   * successor's record goes: every other record keeps its block.
   */
  remove(z: number): void {
    const f = this.nodes.f;
    const i = this.nodes.i;
    let y = z;
    if (i[z * 16 + I32.LEFT] !== Slot.NIL && i[z * 16 + I32.RIGHT] !== Slot.NIL) {
      y = i[z * 16 + I32.RIGHT]!;
      while (i[y * 16 + I32.LEFT]! !== Slot.NIL) y = i[y * 16 + I32.LEFT]!;
      f[z * 8 + F64.START] = f[y * 8 + F64.START]!;
      f[z * 8 + F64.SIZE] = f[y * 8 + F64.SIZE]!;
    }
    const child = i[y * 16 + I32.LEFT] !== Slot.NIL ? i[y * 16 + I32.LEFT]! : i[y * 16 + I32.RIGHT]!;
    const p = i[y * 16 + I32.PARENT]!;
    if (child !== Slot.NIL) i[child * 16 + I32.PARENT] = p;
    this.replaceChild(p, y, child);
    this.nodes.recycle(y);
    if (p !== Slot.NIL) this.retrace(p);
    // z took a new size, and the retrace may have stopped below it (it stops
    // where a subtree's height and max did not change): fix z's max too.
    if (y !== z) this.fixMaxUp(z);
  }

  /** Recomputes the augmented maximum upwards after node `x`'s SIZE changed. */
  fixMaxUp(x: number): void {
    const f = this.nodes.f;
    const i = this.nodes.i;
    while (x !== Slot.NIL) {
      const l = f[i[x * 16 + I32.LEFT]! * 8 + F64.MAX]!;
      const r = f[i[x * 16 + I32.RIGHT]! * 8 + F64.MAX]!;
      const s = f[x * 8 + F64.SIZE]!;
      const m = s > l ? (s > r ? s : r) : l > r ? l : r;
      if (m === f[x * 8 + F64.MAX]) return;
      f[x * 8 + F64.MAX] = m;
      x = i[x * 16 + I32.PARENT]!;
    }
  }

  private replaceChild(p: number, old: number, child: number): void {
    const i = this.nodes.i;
    if (p === Slot.NIL) this.root = child;
    else if (i[p * 16 + I32.LEFT] === old) i[p * 16 + I32.LEFT] = child;
    else i[p * 16 + I32.RIGHT] = child;
  }

  /** Node `x`'s height and max from its children's. */
  private update(x: number): void {
    const f = this.nodes.f;
    const i = this.nodes.i;
    const l = i[x * 16 + I32.LEFT]!;
    const r = i[x * 16 + I32.RIGHT]!;
    const hl = i[l * 16 + I32.HEIGHT]!;
    const hr = i[r * 16 + I32.HEIGHT]!;
    i[x * 16 + I32.HEIGHT] = 1 + (hl > hr ? hl : hr);
    const ml = f[l * 8 + F64.MAX]!;
    const mr = f[r * 8 + F64.MAX]!;
    const s = f[x * 8 + F64.SIZE]!;
    f[x * 8 + F64.MAX] = s > ml ? (s > mr ? s : mr) : ml > mr ? ml : mr;
  }

  /**
   * Walks from `x` towards the root, updating heights and maxima and
   * rebalancing. Stops as soon as a subtree's root has the height and max
   * its old root had: nothing above can change then (after an insert that is
   * usually a level or two up, where the full walk went to the root).
   */
  private retrace(x: number): void {
    const f = this.nodes.f;
    const i = this.nodes.i;
    while (x !== Slot.NIL) {
      const oldHeight = i[x * 16 + I32.HEIGHT]!;
      const oldMax = f[x * 8 + F64.MAX]!;
      this.update(x);
      const l = i[x * 16 + I32.LEFT]!;
      const r = i[x * 16 + I32.RIGHT]!;
      const bal = i[l * 16 + I32.HEIGHT]! - i[r * 16 + I32.HEIGHT]!;
      if (bal > 1) {
        if (i[i[l * 16 + I32.LEFT]! * 16 + I32.HEIGHT]! < i[i[l * 16 + I32.RIGHT]! * 16 + I32.HEIGHT]!) this.rotateLeft(l);
        x = this.rotateRight(x);
      } else if (bal < -1) {
        if (i[i[r * 16 + I32.RIGHT]! * 16 + I32.HEIGHT]! < i[i[r * 16 + I32.LEFT]! * 16 + I32.HEIGHT]!) this.rotateRight(r);
        x = this.rotateLeft(x);
      }
      if (i[x * 16 + I32.HEIGHT] === oldHeight && f[x * 8 + F64.MAX] === oldMax) return;
      x = i[x * 16 + I32.PARENT]!;
    }
  }

  /** Lifts `x`'s right child into its place; returns that child. */
  private rotateLeft(x: number): number {
    const i = this.nodes.i;
    const y = i[x * 16 + I32.RIGHT]!;
    const b = i[y * 16 + I32.LEFT]!;
    i[x * 16 + I32.RIGHT] = b;
    if (b !== Slot.NIL) i[b * 16 + I32.PARENT] = x;
    const p = i[x * 16 + I32.PARENT]!;
    i[y * 16 + I32.PARENT] = p;
    this.replaceChild(p, x, y);
    i[y * 16 + I32.LEFT] = x;
    i[x * 16 + I32.PARENT] = y;
    this.update(x);
    this.update(y);
    return y;
  }

  /** Lifts `x`'s left child into its place; returns that child. */
  private rotateRight(x: number): number {
    const i = this.nodes.i;
    const y = i[x * 16 + I32.LEFT]!;
    const b = i[y * 16 + I32.RIGHT]!;
    i[x * 16 + I32.LEFT] = b;
    if (b !== Slot.NIL) i[b * 16 + I32.PARENT] = x;
    const p = i[x * 16 + I32.PARENT]!;
    i[y * 16 + I32.PARENT] = p;
    this.replaceChild(p, x, y);
    i[y * 16 + I32.RIGHT] = x;
    i[x * 16 + I32.PARENT] = y;
    this.update(x);
    this.update(y);
    return y;
  }
}
