/**
 * A node of the busy index's B+ tree (busy-tree.ts), and the searches over
 * its sorted keys. A leaf holds up to CAP areas under their start pages; an
 * inner node up to CAP children, each under a lower bound of its keys. The
 * key arrays are plain arrays that V8 keeps as unboxed doubles (they are
 * only ever given doubles): a search compares doubles in a few cache lines
 * instead of calling a comparator, and copying a node stays on the JS heap.
 * A Float64Array would copy through a new off-heap buffer, which made the
 * first write after each view (path copying) ten times slower.
 *
 * A node is written only by the tree whose generation it carries; the tree
 * copies it first otherwise (see `copy`).
 */
import type { BusyRows } from './area-columns.js';
import { makeArea, type VmapArea } from './vmap-area.js';

/** Entries (leaf) or children (inner node) a node holds at most. */
export const CAP = 64;
/** Fewer than this, and a node that is not the root is merged or refilled. */
export const MIN = CAP / 4;

const NO_VALS: VmapArea[] = [];
/** What an unused leaf slot holds: a real area, so the array holds one kind of thing. */
const NO_AREA: VmapArea = makeArea(-1, 0, false, '', '', false, '');
/** The arrays a new node copies (see doubles and filled). */
const NO_KEYS = doubles();
const NO_AREAS = filled(NO_AREA);
let NO_KIDS: BusyNode[] | undefined;

/** One node; a leaf when `kids` is null. */
export class BusyNode {
  /** Leaf: each area's start. Inner: each child's lower bound. Sorted; [0, n) in use. */
  readonly keys: number[];
  /** Leaf: the areas, in key order. Unused in an inner node. */
  readonly vals: VmapArea[];
  /** Inner: the children, in key order. Null in a leaf. */
  readonly kids: BusyNode[] | null;
  /** Entries or children in use. */
  n = 0;
  /** The generation of the tree that may write this node. */
  readonly gen: number;
  /**
   * A leaf restored from columns whose areas are not made yet: its `n`
   * entries are busy areas [srcFrom, srcFrom + n) of `src`, and `vals`
   * holds nothing until `make`. Null once made (and in any other node).
   */
  src: BusyRows | null = null;
  srcFrom = 0;

  /** An empty leaf (`leaf`) or inner node of generation `gen`; with `from`, a copy of it. */
  constructor(leaf: boolean, gen: number, from?: BusyNode) {
    this.gen = gen;
    if (from === undefined) {
      // Copies of full templates: a slice of a packed array is one copy, where filling one is CAP pushes.
      this.keys = NO_KEYS.slice();
      this.vals = leaf ? NO_AREAS.slice() : NO_VALS;
      this.kids = leaf ? null : (NO_KIDS ??= filled<BusyNode>(NO_NODE)).slice();
    } else {
      this.keys = from.keys.slice();
      this.vals = leaf ? from.vals.slice() : NO_VALS;
      this.kids = leaf ? null : from.kids!.slice();
      this.n = from.n;
      this.src = from.src;
      this.srcFrom = from.srcFrom;
    }
  }

  /**
   * Makes a restored leaf's areas, before its `vals` are first read or
   * written. A node of an older generation may be made too: the areas are
   * the ones its entries always stood for, so no view sees a change.
   */
  make(): void {
    const src = this.src;
    if (src === null) return;
    src.make(this.srcFrom, this.n, this.vals);
    this.src = null;
  }

  /**
   * A leaf's areas in key order: its own, or, for a leaf not made yet,
   * made for this walk and not kept (a walk over a restored space makes
   * none of them last).
   */
  areas(): readonly VmapArea[] {
    const src = this.src;
    if (src === null) return this.vals;
    const out = new Array<VmapArea>(this.n);
    src.make(this.srcFrom, this.n, out);
    return out;
  }

  /** A copy that generation `gen` may write. */
  copy(gen: number): BusyNode {
    return new BusyNode(this.kids === null, gen, this);
  }

  /** Leaf: inserts `va` under `key` at index `i` (n < CAP). */
  insertEntry(i: number, key: number, va: VmapArea): void {
    const keys = this.keys;
    const vals = this.vals;
    for (let k = this.n; k > i; k--) {
      keys[k] = keys[k - 1]!;
      vals[k] = vals[k - 1]!;
    }
    keys[i] = key;
    vals[i] = va;
    this.n++;
  }

  /** Leaf: removes the entry at index `i`. */
  removeEntry(i: number): void {
    const keys = this.keys;
    const vals = this.vals;
    const n = --this.n;
    for (let k = i; k < n; k++) {
      keys[k] = keys[k + 1]!;
      vals[k] = vals[k + 1]!;
    }
    vals[n] = NO_AREA; // let the area go
  }

  /** Inner: inserts child `kid` at index `j`, under its own least key (n < CAP). */
  insertKid(j: number, kid: BusyNode): void {
    const keys = this.keys;
    const kids = this.kids!;
    for (let k = this.n; k > j; k--) {
      keys[k] = keys[k - 1]!;
      kids[k] = kids[k - 1]!;
    }
    keys[j] = kid.keys[0]!;
    kids[j] = kid;
    this.n++;
  }

  /** Inner: removes the child at index `j`. */
  removeKid(j: number): void {
    const keys = this.keys;
    const kids = this.kids!;
    const n = --this.n;
    for (let k = j; k < n; k++) {
      keys[k] = keys[k + 1]!;
      kids[k] = kids[k + 1]!;
    }
    kids[n] = NO_NODE;
  }

  /**
   * Full leaf: splits it in two halves, inserts `va` under `key` (at index
   * `i` of the whole) into the half it belongs to, and returns the right
   * half, a new node of generation `gen`.
   */
  splitInserting(i: number, key: number, va: VmapArea, gen: number): BusyNode {
    const right = new BusyNode(true, gen);
    this.moveTail(right, CAP >> 1);
    if (i <= this.n) this.insertEntry(i, key, va);
    else right.insertEntry(i - this.n, key, va);
    return right;
  }

  /** Full inner node: as splitInserting, for child `kid` at index `j`. */
  splitInsertingKid(j: number, kid: BusyNode, gen: number): BusyNode {
    const right = new BusyNode(false, gen);
    this.moveTail(right, CAP >> 1);
    if (j <= this.n) this.insertKid(j, kid);
    else right.insertKid(j - this.n, kid);
    return right;
  }

  /** Appends every entry of `right` (its right sibling, of the same kind) to this node. */
  absorb(right: BusyNode): void {
    this.moveHead(right, right.n);
  }

  /** Evens out the entries of this node and `right`, its right sibling of the same kind (both writable). */
  share(right: BusyNode): void {
    const want = (this.n + right.n) >> 1;
    if (this.n > want) this.moveTail(right, this.n - want);
    else this.moveHead(right, want - this.n);
  }

  /** Moves the first `m` entries of `right` (its right sibling, same kind) to this node's end. */
  private moveHead(right: BusyNode, m: number): void {
    const n = this.n;
    const rn = right.n;
    const keys = this.keys;
    const rkeys = right.keys;
    for (let k = 0; k < m; k++) keys[n + k] = rkeys[k]!;
    for (let k = m; k < rn; k++) rkeys[k - m] = rkeys[k]!;
    if (this.kids === null) moveItems(this.vals, right.vals, n, m, rn, NO_AREA);
    else moveItems(this.kids, right.kids!, n, m, rn, NO_NODE);
    this.n = n + m;
    right.n = rn - m;
  }

  /** Moves this node's last `m` entries to the front of `right` (its right sibling, same kind). */
  private moveTail(right: BusyNode, m: number): void {
    const from = this.n - m;
    const keys = this.keys;
    const rkeys = right.keys;
    for (let k = right.n - 1; k >= 0; k--) rkeys[k + m] = rkeys[k]!;
    for (let k = 0; k < m; k++) rkeys[k] = keys[from + k]!;
    if (this.kids === null) moveBack(this.vals, right.vals, from, m, right.n, NO_AREA);
    else moveBack(this.kids, right.kids!, from, m, right.n, NO_NODE);
    right.n += m;
    this.n = from;
  }
}

/** What an unused child slot holds (an empty leaf no tree has), for the same reason as NO_AREA. */
const NO_NODE: BusyNode = new BusyNode(true, 0);

/** moveHead's items: right's first `m` of `rn` to `left` at `n`, right's rest down by `m`, vacated slots cleared. */
function moveItems<T>(left: T[], right: T[], n: number, m: number, rn: number, none: T): void {
  for (let k = 0; k < m; k++) left[n + k] = right[k]!;
  for (let k = m; k < rn; k++) right[k - m] = right[k]!;
  for (let k = rn - m; k < rn; k++) right[k] = none;
}

/** moveTail's items: right's `rn` up by `m`, then left's `m` from `from` into right's front, vacated slots cleared. */
function moveBack<T>(left: T[], right: T[], from: number, m: number, rn: number, none: T): void {
  for (let k = rn - 1; k >= 0; k--) right[k + m] = right[k]!;
  for (let k = 0; k < m; k++) {
    right[k] = left[from + k]!;
    left[from + k] = none;
  }
}

/**
 * CAP doubles, as an array V8 keeps unboxed (PACKED_DOUBLE_ELEMENTS): built
 * by pushing doubles, never holey, never given anything but numbers.
 */
function doubles(): number[] {
  const a: number[] = [];
  for (let k = 0; k < CAP; k++) a.push(0.5);
  return a;
}

/** CAP items, all `none`: a packed array of one kind, so V8 keeps its reads monomorphic. */
function filled<T>(none: T): T[] {
  const a: T[] = [];
  for (let k = 0; k < CAP; k++) a.push(none);
  return a;
}

/** The first index in keys[0, n) whose key is >= `key` (n if none). */
export function lowerBound(keys: readonly number[], n: number, key: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index in keys[0, n) whose key is > `key` (n if none). */
export function upperBound(keys: readonly number[], n: number, key: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Inner node: the child to descend into for `key` (the last whose lower bound is <= key, else the first). */
export function childIndex(keys: readonly number[], n: number, key: number): number {
  const i = upperBound(keys, n, key);
  return i === 0 ? 0 : i - 1;
}

/** Calls `visit` on every area under `x`, ascending. */
export function eachIn(x: BusyNode, visit: (va: VmapArea) => void): void {
  if (x.kids === null) {
    const vals = x.areas();
    for (let i = 0; i < x.n; i++) visit(vals[i]!);
    return;
  }
  for (let j = 0; j < x.n; j++) eachIn(x.kids[j]!, visit);
}
