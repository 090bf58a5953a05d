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
 * The tree is an AVL tree whose nodes live in one typed buffer, slot 0 being
 * the nil sentinel: out of the garbage collector's way, and the hot path free
 * of allocation. Each node is one 64-byte record (an array of structures, read
 * through a Float64Array and an Int32Array view of the same buffer), so a step
 * down the tree touches one cache line rather than one per field: with 10^5
 * blocks the lower levels of every walk miss the cache, and that dominates.
 * Addresses and sizes are in pages, relative to the space's base; doubles
 * hold them exactly (a 64-bit space has 2^52 pages).
 */

const NIL = 0;

/** Bytes per node record. */
const NODE_BYTES = 64;
// Float64 fields, at `x * 8 + field` in the Float64Array view.
const START = 0;
const SIZE = 1;
/** Largest SIZE in the node's subtree (the kernel's subtree_max_size). */
const MAX = 2;
// Int32 fields, at `x * 16 + field` in the Int32Array view (bytes 24-39).
const LEFT = 6;
const RIGHT = 7;
const PARENT = 8;
const HEIGHT = 9;

/** The in-order view of one free block, for walks and checks. */
export interface FreeBlock {
  /** First free page. */
  readonly start: number;
  /** Number of free pages. */
  readonly pages: number;
}

/** Augmented AVL tree of free blocks; see the module comment. */
export class FreeIndex {
  /** Node records: start, size, max as doubles (see the field constants). */
  private f: Float64Array;
  /** The same records: left, right, parent, height as int32. */
  private i: Int32Array;
  /** Slots in the buffer, the nil sentinel included. */
  private capacity: number;
  private root = NIL;
  /** Next never-used slot. */
  private next = 1;
  /** Recycled slots, chained through `left`. */
  private recycled = NIL;
  private nodes = 0;
  private pagesFree = 0;

  // The query of the search in progress, kept in fields so the recursive
  // walk passes one argument.
  private qPages = 0;
  private qAlign = 1;
  private qStart = 0;
  private qEnd = 0;
  private qBase = 0;
  /** Start of the fit found by the last successful `findLowest`. */
  fitStart = 0;

  /** An empty index with room for `capacity` blocks before it grows. */
  constructor(capacity = 1024) {
    this.capacity = Math.max(2, capacity + 1);
    const buf = new ArrayBuffer(this.capacity * NODE_BYTES);
    this.f = new Float64Array(buf);
    this.i = new Int32Array(buf);
  }

  /** Number of free blocks. */
  get count(): number {
    return this.nodes;
  }

  /** Total free pages. */
  get freePages(): number {
    return this.pagesFree;
  }

  /** Size in pages of the largest free block, 0 when nothing is free. O(1). */
  get largest(): number {
    return this.f[this.root * 8 + MAX]!;
  }

  /**
   * Finds the lowest start `a` such that `[a, a + pages)` lies inside one free
   * block and inside `[vstart, vend)`, and `base + a` is a multiple of `align`
   * (all in pages). Returns the block's node, or 0 when nothing fits; the
   * start is left in `fitStart`.
   *
   * Unlike the kernel, which looks for `pages + align - 1` when aligning and so
   * can pass over a lower block that would have fit, this visits blocks in
   * address order and takes the first real fit: exactly the lowest address.
   * Subtrees whose largest block is too small, or that lie wholly outside the
   * range, are never entered.
   */
  findLowest(pages: number, align: number, vstart: number, vend: number, base: number): number {
    this.qPages = pages;
    this.qAlign = align;
    this.qStart = vstart;
    this.qEnd = vend;
    this.qBase = base;
    return this.search(this.root);
  }

  private search(x: number): number {
    const n = this.qPages;
    const vs = this.qStart;
    const ve = this.qEnd;
    const f = this.f;
    while (x !== NIL) {
      if (f[x * 8 + MAX]! < n) return NIL;
      const s = f[x * 8 + START]!;
      // Blocks in the left subtree end before `s`; they matter only if `s` is
      // past the range's start.
      if (s > vs) {
        const l = this.i[x * 16 + LEFT]!;
        if (l !== NIL && f[l * 8 + MAX]! >= n) {
          const found = this.search(l);
          if (found !== NIL) return found;
        }
      }
      const e = s + f[x * 8 + SIZE]!;
      let a = s > vs ? s : vs;
      if (this.qAlign > 1) {
        const rem = (this.qBase + a) % this.qAlign;
        if (rem !== 0) a += this.qAlign - rem;
      }
      if (a + n <= (e < ve ? e : ve)) {
        this.fitStart = a;
        return x;
      }
      // Blocks in the right subtree start after `e` (blocks never touch).
      if (e + n >= ve) return NIL;
      x = this.i[x * 16 + RIGHT]!;
    }
    return NIL;
  }

  /**
   * Takes `[start, start + pages)` out of block `x`, which must contain it
   * (the kernel's adjust_va_to_fit_type: full, left, right or middle fit).
   */
  carve(x: number, start: number, pages: number): void {
    const f = this.f;
    const s = f[x * 8 + START]!;
    const e = s + f[x * 8 + SIZE]!;
    const end = start + pages;
    if (start < s || end > e || pages <= 0) {
      throw new Error(`free index: carve [${start}, ${end}) outside block [${s}, ${e})`);
    }
    this.pagesFree -= pages;
    if (start === s && end === e) {
      this.removeNode(x);
    } else if (start === s) {
      // Moving the start keeps the order: nothing lies between the neighbours.
      f[x * 8 + START] = end;
      f[x * 8 + SIZE] = e - end;
      this.fixMaxUp(x);
    } else if (end === e) {
      f[x * 8 + SIZE] = start - s;
      this.fixMaxUp(x);
    } else {
      f[x * 8 + SIZE] = start - s;
      this.fixMaxUp(x);
      this.insertAfter(x, end, e - end);
    }
  }

  /**
   * Reserves `[start, start + pages)`, which must lie wholly inside one free
   * block. Used to rebuild a space from a list of areas.
   */
  reserve(start: number, pages: number): void {
    const x = this.blockContaining(start);
    if (x === NIL) throw new Error(`free index: page ${start} is not free`);
    this.carve(x, start, pages);
  }

  /** The block whose range contains `page`, or 0. */
  private blockContaining(page: number): number {
    let x = this.root;
    while (x !== NIL) {
      const s = this.f[x * 8 + START]!;
      if (page < s) x = this.i[x * 16 + LEFT]!;
      else if (page >= s + this.f[x * 8 + SIZE]!) x = this.i[x * 16 + RIGHT]!;
      else return x;
    }
    return NIL;
  }

  /**
   * Returns `[start, start + pages)` to free space, merged with a free block
   * that ends at `start` and one that begins at its end. Throws if the range
   * overlaps free space (a double free would corrupt the space).
   */
  insert(start: number, pages: number): void {
    if (pages <= 0) throw new Error(`free index: insert of ${pages} pages`);
    const end = start + pages;
    const f = this.f;
    const i = this.i;
    let x = this.root;
    let pred = NIL;
    let succ = NIL;
    let last = NIL;
    while (x !== NIL) {
      last = x;
      if (f[x * 8 + START]! < start) {
        pred = x;
        x = i[x * 16 + RIGHT]!;
      } else {
        succ = x;
        x = i[x * 16 + LEFT]!;
      }
    }
    const predEnd = pred === NIL ? -1 : f[pred * 8 + START]! + f[pred * 8 + SIZE]!;
    const succStart = succ === NIL ? Infinity : f[succ * 8 + START]!;
    if (predEnd > start || succStart < end) {
      throw new Error(`free index: [${start}, ${end}) overlaps free space`);
    }
    this.pagesFree += pages;
    const mergeLeft = predEnd === start;
    const mergeRight = succStart === end;
    if (mergeLeft && mergeRight) {
      const total = f[pred * 8 + SIZE]! + pages + f[succ * 8 + SIZE]!;
      // Removing succ only relinks or copies into succ's own slot: pred stays put.
      this.removeNode(succ);
      f[pred * 8 + SIZE] = total;
      this.fixMaxUp(pred);
    } else if (mergeLeft) {
      f[pred * 8 + SIZE] = f[pred * 8 + SIZE]! + pages;
      this.fixMaxUp(pred);
    } else if (mergeRight) {
      f[succ * 8 + START] = start;
      f[succ * 8 + SIZE] = f[succ * 8 + SIZE]! + pages;
      this.fixMaxUp(succ);
    } else {
      const n = this.newNode(start, pages);
      if (last === NIL) {
        this.root = n;
      } else {
        // newNode may have grown the buffer: read through the fields again.
        this.i[n * 16 + PARENT] = last;
        if (this.f[last * 8 + START]! < start) this.i[last * 16 + RIGHT] = n;
        else this.i[last * 16 + LEFT] = n;
        this.retrace(last);
      }
    }
  }

  /** Drops every block. */
  clear(): void {
    this.root = NIL;
    this.next = 1;
    this.recycled = NIL;
    this.nodes = 0;
    this.pagesFree = 0;
  }

  /** Free blocks in ascending address order. */
  *blocks(): IterableIterator<FreeBlock> {
    const stack: number[] = [];
    let x = this.root;
    while (x !== NIL || stack.length > 0) {
      while (x !== NIL) {
        stack.push(x);
        x = this.i[x * 16 + LEFT]!;
      }
      x = stack.pop()!;
      yield { start: this.f[x * 8 + START]!, pages: this.f[x * 8 + SIZE]! };
      x = this.i[x * 16 + RIGHT]!;
    }
  }

  /**
   * Checks every structural invariant: order, blocks never touching, AVL
   * balance, parent links, augmented maxima and the maintained totals.
   * Returns a description of the first violation, or null.
   */
  checkInvariants(): string | null {
    let problem: string | null = null;
    let prevEnd = -1;
    let seen = 0;
    let pages = 0;
    const visit = (x: number, p: number): number => {
      if (x === NIL || problem) return 0;
      const i = this.i;
      const f = this.f;
      if (i[x * 16 + PARENT] !== p) problem = `node ${x}: parent ${i[x * 16 + PARENT]} != ${p}`;
      const hl = visit(i[x * 16 + LEFT]!, x);
      const s = f[x * 8 + START]!;
      const size = f[x * 8 + SIZE]!;
      if (size <= 0) problem ??= `block at ${s} has size ${size}`;
      if (s <= prevEnd) problem ??= `block at ${s} touches or overlaps the block ending at ${prevEnd}`;
      prevEnd = s + size;
      seen++;
      pages += size;
      const hr = visit(i[x * 16 + RIGHT]!, x);
      if (Math.abs(hl - hr) > 1) problem ??= `node at ${s} unbalanced (${hl} vs ${hr})`;
      const h = 1 + Math.max(hl, hr);
      if (i[x * 16 + HEIGHT] !== h) problem ??= `node at ${s}: height ${i[x * 16 + HEIGHT]} != ${h}`;
      const m = Math.max(size, f[i[x * 16 + LEFT]! * 8 + MAX]!, f[i[x * 16 + RIGHT]! * 8 + MAX]!);
      if (f[x * 8 + MAX] !== m) problem ??= `node at ${s}: subtree max ${f[x * 8 + MAX]} != ${m}`;
      return h;
    };
    visit(this.root, NIL);
    if (problem) return problem;
    if (seen !== this.nodes) return `count ${this.nodes} != ${seen} blocks`;
    if (pages !== this.pagesFree) return `free pages ${this.pagesFree} != ${pages}`;
    return null;
  }

  // ---- tree mechanics -------------------------------------------------------

  private newNode(start: number, pages: number): number {
    let n = this.recycled;
    if (n !== NIL) {
      this.recycled = this.i[n * 16 + LEFT]!;
    } else {
      if (this.next === this.capacity) this.grow();
      n = this.next++;
    }
    const f = this.f;
    const i = this.i;
    f[n * 8 + START] = start;
    f[n * 8 + SIZE] = pages;
    f[n * 8 + MAX] = pages;
    i[n * 16 + LEFT] = NIL;
    i[n * 16 + RIGHT] = NIL;
    i[n * 16 + PARENT] = NIL;
    i[n * 16 + HEIGHT] = 1;
    this.nodes++;
    return n;
  }

  private grow(): void {
    this.capacity *= 2;
    const buf = new ArrayBuffer(this.capacity * NODE_BYTES);
    const f = new Float64Array(buf);
    f.set(this.f);
    this.f = f;
    this.i = new Int32Array(buf);
  }

  /** Inserts a block that comes right after node `x` in address order. */
  private insertAfter(x: number, start: number, pages: number): void {
    const n = this.newNode(start, pages);
    const i = this.i; // after newNode: it may have grown the buffer
    let r = i[x * 16 + RIGHT]!;
    if (r === NIL) {
      i[x * 16 + RIGHT] = n;
      i[n * 16 + PARENT] = x;
    } else {
      while (i[r * 16 + LEFT]! !== NIL) r = i[r * 16 + LEFT]!;
      i[r * 16 + LEFT] = n;
      i[n * 16 + PARENT] = r;
    }
    this.retrace(i[n * 16 + PARENT]!);
  }

  private removeNode(z: number): void {
    const f = this.f;
    const i = this.i;
    let y = z;
    if (i[z * 16 + LEFT] !== NIL && i[z * 16 + RIGHT] !== NIL) {
      // Move the in-order successor's block into z's slot and unlink the successor.
      y = i[z * 16 + RIGHT]!;
      while (i[y * 16 + LEFT]! !== NIL) y = i[y * 16 + LEFT]!;
      f[z * 8 + START] = f[y * 8 + START]!;
      f[z * 8 + SIZE] = f[y * 8 + SIZE]!;
    }
    const child = i[y * 16 + LEFT] !== NIL ? i[y * 16 + LEFT]! : i[y * 16 + RIGHT]!;
    const p = i[y * 16 + PARENT]!;
    if (child !== NIL) i[child * 16 + PARENT] = p;
    this.replaceChild(p, y, child);
    i[y * 16 + LEFT] = this.recycled;
    this.recycled = y;
    this.nodes--;
    if (p !== NIL) this.retrace(p);
    // z took a new size, and the retrace may have stopped below it (it stops
    // where a subtree's height and max did not change): fix z's max too.
    if (y !== z) this.fixMaxUp(z);
  }

  private replaceChild(p: number, old: number, child: number): void {
    if (p === NIL) this.root = child;
    else if (this.i[p * 16 + LEFT] === old) this.i[p * 16 + LEFT] = child;
    else this.i[p * 16 + RIGHT] = child;
  }

  /** Recomputes the augmented maximum upwards after a block's size changed. */
  private fixMaxUp(x: number): void {
    const f = this.f;
    const i = this.i;
    while (x !== NIL) {
      const l = f[i[x * 16 + LEFT]! * 8 + MAX]!;
      const r = f[i[x * 16 + RIGHT]! * 8 + MAX]!;
      const s = f[x * 8 + SIZE]!;
      const m = s > l ? (s > r ? s : r) : l > r ? l : r;
      if (m === f[x * 8 + MAX]) return;
      f[x * 8 + MAX] = m;
      x = i[x * 16 + PARENT]!;
    }
  }

  private update(x: number): void {
    const f = this.f;
    const i = this.i;
    const l = i[x * 16 + LEFT]!;
    const r = i[x * 16 + RIGHT]!;
    const hl = i[l * 16 + HEIGHT]!;
    const hr = i[r * 16 + HEIGHT]!;
    i[x * 16 + HEIGHT] = 1 + (hl > hr ? hl : hr);
    const ml = f[l * 8 + MAX]!;
    const mr = f[r * 8 + MAX]!;
    const s = f[x * 8 + SIZE]!;
    f[x * 8 + MAX] = s > ml ? (s > mr ? s : mr) : ml > mr ? ml : mr;
  }

  /**
   * Walks from `x` towards the root, updating heights and maxima and
   * rebalancing. Stops as soon as a subtree's root has the height and max
   * its old root had: nothing above can change then (after an insert that is
   * usually a level or two up, where the full walk went to the root).
   */
  private retrace(x: number): void {
    const f = this.f;
    const i = this.i;
    while (x !== NIL) {
      const oldHeight = i[x * 16 + HEIGHT]!;
      const oldMax = f[x * 8 + MAX]!;
      this.update(x);
      const l = i[x * 16 + LEFT]!;
      const r = i[x * 16 + RIGHT]!;
      const bal = i[l * 16 + HEIGHT]! - i[r * 16 + HEIGHT]!;
      if (bal > 1) {
        if (i[i[l * 16 + LEFT]! * 16 + HEIGHT]! < i[i[l * 16 + RIGHT]! * 16 + HEIGHT]!) this.rotateLeft(l);
        x = this.rotateRight(x);
      } else if (bal < -1) {
        if (i[i[r * 16 + RIGHT]! * 16 + HEIGHT]! < i[i[r * 16 + LEFT]! * 16 + HEIGHT]!) this.rotateRight(r);
        x = this.rotateLeft(x);
      }
      if (i[x * 16 + HEIGHT] === oldHeight && f[x * 8 + MAX] === oldMax) return;
      x = i[x * 16 + PARENT]!;
    }
  }

  private rotateLeft(x: number): number {
    const i = this.i;
    const y = i[x * 16 + RIGHT]!;
    const b = i[y * 16 + LEFT]!;
    i[x * 16 + RIGHT] = b;
    if (b !== NIL) i[b * 16 + PARENT] = x;
    const p = i[x * 16 + PARENT]!;
    i[y * 16 + PARENT] = p;
    this.replaceChild(p, x, y);
    i[y * 16 + LEFT] = x;
    i[x * 16 + PARENT] = y;
    this.update(x);
    this.update(y);
    return y;
  }

  private rotateRight(x: number): number {
    const i = this.i;
    const y = i[x * 16 + LEFT]!;
    const b = i[y * 16 + RIGHT]!;
    i[x * 16 + LEFT] = b;
    if (b !== NIL) i[b * 16 + PARENT] = x;
    const p = i[x * 16 + PARENT]!;
    i[y * 16 + PARENT] = p;
    this.replaceChild(p, x, y);
    i[y * 16 + RIGHT] = x;
    i[x * 16 + PARENT] = y;
    this.update(x);
    this.update(y);
    return y;
  }
}
