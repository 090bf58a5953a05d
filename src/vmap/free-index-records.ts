/**
 * The free index's node records: one 64-byte record per free block, all in
 * one ArrayBuffer, read through a Float64Array and an Int32Array view of it
 * (an array of structures). A step down the tree then touches one cache line
 * rather than one per field: with 10^5 blocks the lower levels of every walk
 * miss the cache, and that dominates. The records also stay out of the
 * garbage collector's way, and taking one allocates nothing once the buffer
 * is large enough.
 *
 * Slot 0 is the nil sentinel: its height and max are 0, so the tree code
 * reads a missing child's fields without a branch.
 */

// The layout is in const enums, not exported consts, so that tsc writes the
// numbers into the code that reads the fields: V8 does not fold an imported
// binding into a constant, and with exported consts the index's own
// operations ran 10-15% slower.

/** Node ids are record slots. */
export const enum Slot {
  /** The nil sentinel: no child, no parent, an empty subtree. */
  NIL = 0,
}

/** Bytes per node record. */
const NODE_BYTES = 64;

/**
 * A record's double fields, at `x * 8 + field` in the Float64Array view.
 * Addresses and sizes are in pages, relative to the space's base; doubles
 * hold them exactly (a 64-bit space has 2^52 pages).
 */
export const enum F64 {
  /** First page of the node's block. */
  START = 0,
  /** Pages in the node's block. */
  SIZE = 1,
  /** Largest SIZE in the node's subtree (the kernel's subtree_max_size). */
  MAX = 2,
}

/** A record's int32 fields, at `x * 16 + field` in the Int32Array view (bytes 24-39). */
export const enum I32 {
  /** Left child, NIL for none. */
  LEFT = 6,
  /** Right child, NIL for none. */
  RIGHT = 7,
  /** Parent, NIL at the root. */
  PARENT = 8,
  /** AVL height of the node's subtree (a leaf has 1, NIL 0). */
  HEIGHT = 9,
}

/** The record buffer, with slot recycling and growth; see the module comment. */
export class FreeNodeRecords {
  /** The records' double fields (F64.START, F64.SIZE, F64.MAX). Replaced when the buffer grows. */
  f: Float64Array;
  /** The same records' int32 fields (I32.LEFT, I32.RIGHT, I32.PARENT, I32.HEIGHT). Replaced with `f`. */
  i: Int32Array;
  /** Slots in the buffer, the nil sentinel included. */
  private capacity: number;
  /** Next never-used slot. */
  private next = 1;
  /** Recycled slots, chained through I32.LEFT. */
  private recycled: number = Slot.NIL;
  /** Records in use. */
  private live = 0;

  /** Room for `capacity` records before the buffer grows. */
  constructor(capacity: number) {
    this.capacity = Math.max(2, capacity + 1);
    const buf = new ArrayBuffer(this.capacity * NODE_BYTES);
    this.f = new Float64Array(buf);
    this.i = new Int32Array(buf);
  }

  /** Records in use: the number of free blocks. */
  get count(): number {
    return this.live;
  }

  /**
   * A fresh leaf record for `[start, start + pages)`, unlinked. It may grow
   * the buffer, which replaces `f` and `i`: callers must read them again.
   */
  take(start: number, pages: number): number {
    let n = this.recycled;
    if (n !== Slot.NIL) {
      this.recycled = this.i[n * 16 + I32.LEFT]!;
    } else {
      if (this.next === this.capacity) this.grow();
      n = this.next++;
    }
    const f = this.f;
    const i = this.i;
    f[n * 8 + F64.START] = start;
    f[n * 8 + F64.SIZE] = pages;
    f[n * 8 + F64.MAX] = pages;
    i[n * 16 + I32.LEFT] = Slot.NIL;
    i[n * 16 + I32.RIGHT] = Slot.NIL;
    i[n * 16 + I32.PARENT] = Slot.NIL;
    i[n * 16 + I32.HEIGHT] = 1;
    this.live++;
    return n;
  }

  /** Gives record `x`, already unlinked from the tree, back for reuse. */
  recycle(x: number): void {
    this.i[x * 16 + I32.LEFT] = this.recycled;
    this.recycled = x;
    this.live--;
  }

  /** Doubles the buffer, copying every record (the sentinel's zeros included). */
  private grow(): void {
    this.capacity *= 2;
    const buf = new ArrayBuffer(this.capacity * NODE_BYTES);
    const f = new Float64Array(buf);
    f.set(this.f);
    this.f = f;
    this.i = new Int32Array(buf);
  }
}
