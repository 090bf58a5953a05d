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
 * The tree is an AVL tree whose nodes live in typed arrays (a structure of
 * arrays indexed by node number, slot 0 being the nil sentinel). That keeps a
 * node at 37 bytes, out of the garbage collector's way, and the hot path free
 * of allocation. Addresses and sizes are in pages, relative to the space's
 * base; doubles hold them exactly (a 64-bit space has 2^52 pages).
 */

const NIL = 0;

/** The in-order view of one free block, for walks and checks. */
export interface FreeBlock {
  /** First free page. */
  readonly start: number;
  /** Number of free pages. */
  readonly pages: number;
}

/** Augmented AVL tree of free blocks; see the module comment. */
export class FreeIndex {
  private startOf: Float64Array;
  private sizeOf: Float64Array;
  /** Largest `sizeOf` in the node's subtree (the kernel's subtree_max_size). */
  private maxOf: Float64Array;
  private left: Int32Array;
  private right: Int32Array;
  private parent: Int32Array;
  private height: Uint8Array;
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
    const n = Math.max(2, capacity + 1);
    this.startOf = new Float64Array(n);
    this.sizeOf = new Float64Array(n);
    this.maxOf = new Float64Array(n);
    this.left = new Int32Array(n);
    this.right = new Int32Array(n);
    this.parent = new Int32Array(n);
    this.height = new Uint8Array(n);
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
    return this.maxOf[this.root]!;
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
    while (x !== NIL) {
      if (this.maxOf[x]! < n) return NIL;
      const s = this.startOf[x]!;
      // Blocks in the left subtree end before `s`; they matter only if `s` is
      // past the range's start.
      if (s > vs) {
        const l = this.left[x]!;
        if (l !== NIL && this.maxOf[l]! >= n) {
          const found = this.search(l);
          if (found !== NIL) return found;
        }
      }
      const e = s + this.sizeOf[x]!;
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
      x = this.right[x]!;
    }
    return NIL;
  }

  /**
   * Takes `[start, start + pages)` out of block `x`, which must contain it
   * (the kernel's adjust_va_to_fit_type: full, left, right or middle fit).
   */
  carve(x: number, start: number, pages: number): void {
    const s = this.startOf[x]!;
    const e = s + this.sizeOf[x]!;
    const end = start + pages;
    if (start < s || end > e || pages <= 0) {
      throw new Error(`free index: carve [${start}, ${end}) outside block [${s}, ${e})`);
    }
    this.pagesFree -= pages;
    if (start === s && end === e) {
      this.removeNode(x);
    } else if (start === s) {
      // Moving the start keeps the order: nothing lies between the neighbours.
      this.startOf[x] = end;
      this.sizeOf[x] = e - end;
      this.fixMaxUp(x);
    } else if (end === e) {
      this.sizeOf[x] = start - s;
      this.fixMaxUp(x);
    } else {
      this.sizeOf[x] = start - s;
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
      const s = this.startOf[x]!;
      if (page < s) x = this.left[x]!;
      else if (page >= s + this.sizeOf[x]!) x = this.right[x]!;
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
    let x = this.root;
    let pred = NIL;
    let succ = NIL;
    let last = NIL;
    while (x !== NIL) {
      last = x;
      if (this.startOf[x]! < start) {
        pred = x;
        x = this.right[x]!;
      } else {
        succ = x;
        x = this.left[x]!;
      }
    }
    const predEnd = pred === NIL ? -1 : this.startOf[pred]! + this.sizeOf[pred]!;
    const succStart = succ === NIL ? Infinity : this.startOf[succ]!;
    if (predEnd > start || succStart < end) {
      throw new Error(`free index: [${start}, ${end}) overlaps free space`);
    }
    this.pagesFree += pages;
    const mergeLeft = predEnd === start;
    const mergeRight = succStart === end;
    if (mergeLeft && mergeRight) {
      const total = this.sizeOf[pred]! + pages + this.sizeOf[succ]!;
      // Removing succ only relinks or copies into succ's own slot: pred stays put.
      this.removeNode(succ);
      this.sizeOf[pred] = total;
      this.fixMaxUp(pred);
    } else if (mergeLeft) {
      this.sizeOf[pred] = this.sizeOf[pred]! + pages;
      this.fixMaxUp(pred);
    } else if (mergeRight) {
      this.startOf[succ] = start;
      this.sizeOf[succ] = this.sizeOf[succ]! + pages;
      this.fixMaxUp(succ);
    } else {
      const n = this.newNode(start, pages);
      if (last === NIL) {
        this.root = n;
      } else {
        this.parent[n] = last;
        if (this.startOf[last]! < start) this.right[last] = n;
        else this.left[last] = n;
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
        x = this.left[x]!;
      }
      x = stack.pop()!;
      yield { start: this.startOf[x]!, pages: this.sizeOf[x]! };
      x = this.right[x]!;
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
      if (this.parent[x] !== p) problem = `node ${x}: parent ${this.parent[x]} != ${p}`;
      const hl = visit(this.left[x]!, x);
      const s = this.startOf[x]!;
      const size = this.sizeOf[x]!;
      if (size <= 0) problem ??= `block at ${s} has size ${size}`;
      if (s <= prevEnd) problem ??= `block at ${s} touches or overlaps the block ending at ${prevEnd}`;
      prevEnd = s + size;
      seen++;
      pages += size;
      const hr = visit(this.right[x]!, x);
      if (Math.abs(hl - hr) > 1) problem ??= `node at ${s} unbalanced (${hl} vs ${hr})`;
      const h = 1 + Math.max(hl, hr);
      if (this.height[x] !== h) problem ??= `node at ${s}: height ${this.height[x]} != ${h}`;
      const m = Math.max(size, this.maxOf[this.left[x]!]!, this.maxOf[this.right[x]!]!);
      if (this.maxOf[x] !== m) problem ??= `node at ${s}: subtree max ${this.maxOf[x]} != ${m}`;
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
      this.recycled = this.left[n]!;
    } else {
      if (this.next === this.startOf.length) this.grow();
      n = this.next++;
    }
    this.startOf[n] = start;
    this.sizeOf[n] = pages;
    this.maxOf[n] = pages;
    this.left[n] = NIL;
    this.right[n] = NIL;
    this.parent[n] = NIL;
    this.height[n] = 1;
    this.nodes++;
    return n;
  }

  private grow(): void {
    const n = this.startOf.length * 2;
    const widen = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (len: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.startOf = widen(this.startOf, (len) => new Float64Array(len));
    this.sizeOf = widen(this.sizeOf, (len) => new Float64Array(len));
    this.maxOf = widen(this.maxOf, (len) => new Float64Array(len));
    this.left = widen(this.left, (len) => new Int32Array(len));
    this.right = widen(this.right, (len) => new Int32Array(len));
    this.parent = widen(this.parent, (len) => new Int32Array(len));
    this.height = widen(this.height, (len) => new Uint8Array(len));
  }

  /** Inserts a block that comes right after node `x` in address order. */
  private insertAfter(x: number, start: number, pages: number): void {
    const n = this.newNode(start, pages);
    let r = this.right[x]!;
    if (r === NIL) {
      this.right[x] = n;
      this.parent[n] = x;
    } else {
      while (this.left[r]! !== NIL) r = this.left[r]!;
      this.left[r] = n;
      this.parent[n] = r;
    }
    this.retrace(this.parent[n]!);
  }

  private removeNode(z: number): void {
    let y = z;
    if (this.left[z] !== NIL && this.right[z] !== NIL) {
      // Move the in-order successor's block into z's slot and unlink the successor.
      y = this.right[z]!;
      while (this.left[y]! !== NIL) y = this.left[y]!;
      this.startOf[z] = this.startOf[y]!;
      this.sizeOf[z] = this.sizeOf[y]!;
    }
    const child = this.left[y] !== NIL ? this.left[y]! : this.right[y]!;
    const p = this.parent[y]!;
    if (child !== NIL) this.parent[child] = p;
    this.replaceChild(p, y, child);
    this.left[y] = this.recycled;
    this.recycled = y;
    this.nodes--;
    if (p !== NIL) this.retrace(p);
  }

  private replaceChild(p: number, old: number, child: number): void {
    if (p === NIL) this.root = child;
    else if (this.left[p] === old) this.left[p] = child;
    else this.right[p] = child;
  }

  /** Recomputes the augmented maximum upwards after a block's size changed. */
  private fixMaxUp(x: number): void {
    while (x !== NIL) {
      const l = this.maxOf[this.left[x]!]!;
      const r = this.maxOf[this.right[x]!]!;
      const s = this.sizeOf[x]!;
      const m = s > l ? (s > r ? s : r) : l > r ? l : r;
      if (m === this.maxOf[x]) return;
      this.maxOf[x] = m;
      x = this.parent[x]!;
    }
  }

  private update(x: number): void {
    const l = this.left[x]!;
    const r = this.right[x]!;
    const hl = this.height[l]!;
    const hr = this.height[r]!;
    this.height[x] = 1 + (hl > hr ? hl : hr);
    const ml = this.maxOf[l]!;
    const mr = this.maxOf[r]!;
    const s = this.sizeOf[x]!;
    this.maxOf[x] = s > ml ? (s > mr ? s : mr) : ml > mr ? ml : mr;
  }

  /** Walks from `x` to the root, updating heights and maxima and rebalancing. */
  private retrace(x: number): void {
    while (x !== NIL) {
      this.update(x);
      const bal = this.height[this.left[x]!]! - this.height[this.right[x]!]!;
      if (bal > 1) {
        const l = this.left[x]!;
        if (this.height[this.left[l]!]! < this.height[this.right[l]!]!) this.rotateLeft(l);
        x = this.rotateRight(x);
      } else if (bal < -1) {
        const r = this.right[x]!;
        if (this.height[this.right[r]!]! < this.height[this.left[r]!]!) this.rotateRight(r);
        x = this.rotateLeft(x);
      }
      x = this.parent[x]!;
    }
  }

  private rotateLeft(x: number): number {
    const y = this.right[x]!;
    const b = this.left[y]!;
    this.right[x] = b;
    if (b !== NIL) this.parent[b] = x;
    const p = this.parent[x]!;
    this.parent[y] = p;
    this.replaceChild(p, x, y);
    this.left[y] = x;
    this.parent[x] = y;
    this.update(x);
    this.update(y);
    return y;
  }

  private rotateRight(x: number): number {
    const y = this.left[x]!;
    const b = this.right[y]!;
    this.left[x] = b;
    if (b !== NIL) this.parent[b] = x;
    const p = this.parent[x]!;
    this.parent[y] = p;
    this.replaceChild(p, x, y);
    this.right[y] = x;
    this.parent[x] = y;
    this.update(x);
    this.update(y);
    return y;
  }
}
