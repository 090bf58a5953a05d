/**
 * Sums over runs of the ordered area list: reserved pages by kind, and the
 * free blocks between the areas (count, pages, the largest, a histogram by
 * size class). Over a copy-on-write B+ tree of areas, the sum of every node
 * is computed once and kept: a node that a published view reaches is never
 * changed again (a write copies the path it changes), so its sum stays true
 * for as long as the node lives. A sum over [lo, hi) then costs
 * O(log n · branching) plus, once after each batch, the nodes the batch
 * copied: the kernel's augmented rbtree (`subtree_max_size`), kept lazily.
 */
import type { BTree } from './btree.js';
import type { VmapArea } from './vmap-area.js';

/** Free block size classes: blocks of [2^k, 2^(k+1)) pages, k < 64. */
export const FREE_CLASSES = 64;

/** floor(log2(n)) of a whole number 1 ≤ n < 2^53, exactly. */
function log2Floor(n: number): number {
  return n < 2 ** 32 ? 31 - Math.clz32(n) : 63 - Math.clz32(Math.floor(n / 2 ** 32));
}

/**
 * A sum over a run of consecutive areas, and a running one: areas and runs
 * are added in ascending order, and the gap before each is a free block.
 */
export class AreaSummary {
  /** Areas added. */
  count = 0;
  busy = 0;
  guard = 0;
  lazy = 0;
  /** Start of the first area added (-1: none yet). */
  firstStart = -1;
  /** Start of the last area added. */
  lastStart = -1;
  /** End of the last area added; -1 (no gap before the first one) or the page free space starts at. */
  lastEnd: number;
  /** Free blocks between the areas added. */
  gaps = 0;
  gapPages = 0;
  maxGap = 0;
  /** Start of the largest gap (the lowest of equals). */
  maxGapStart = -1;
  /** Per class k: blocks, then (at FREE_CLASSES + k) their pages; null while no gap. */
  classes: Float64Array | null = null;
  /** The lowest and highest class holding a block: merging runs touch only those. */
  loClass = FREE_CLASSES;
  hiClass = -1;

  /** @param freeFrom the page free space runs from before the first area, or -1 to count no gap before it */
  constructor(freeFrom = -1) {
    this.lastEnd = freeFrom;
  }

  /** Counts the free block [start, end) (non-empty). */
  gap(start: number, end: number): void {
    const pages = end - start;
    this.gaps++;
    this.gapPages += pages;
    if (pages > this.maxGap) {
      this.maxGap = pages;
      this.maxGapStart = start;
    }
    const classes = (this.classes ??= new Float64Array(2 * FREE_CLASSES));
    const k = log2Floor(pages);
    classes[k]!++;
    classes[FREE_CLASSES + k]! += pages;
    if (k < this.loClass) this.loClass = k;
    if (k > this.hiClass) this.hiClass = k;
  }

  /** Adds area `va`, which starts after every area added so far. */
  addArea(va: VmapArea): void {
    if (this.lastEnd >= 0 && va.start > this.lastEnd) this.gap(this.lastEnd, va.start);
    if (this.firstStart < 0) this.firstStart = va.start;
    this.lastStart = va.start;
    this.lastEnd = va.start + va.pages;
    this.count++;
    if (va.lazy) this.lazy += va.pages;
    else if (va.guard) {
      this.busy += va.pages - 1;
      this.guard++;
    } else this.busy += va.pages;
  }

  /** Adds the run `s`, whose areas start after every area added so far. */
  addSummary(s: AreaSummary): void {
    if (s.count === 0) return;
    if (this.lastEnd >= 0 && s.firstStart > this.lastEnd) this.gap(this.lastEnd, s.firstStart);
    if (this.firstStart < 0) this.firstStart = s.firstStart;
    this.lastStart = s.lastStart;
    this.lastEnd = s.lastEnd;
    this.count += s.count;
    this.busy += s.busy;
    this.guard += s.guard;
    this.lazy += s.lazy;
    if (s.gaps === 0) return;
    this.gaps += s.gaps;
    this.gapPages += s.gapPages;
    if (s.maxGap > this.maxGap) {
      this.maxGap = s.maxGap;
      this.maxGapStart = s.maxGapStart;
    }
    const classes = (this.classes ??= new Float64Array(2 * FREE_CLASSES));
    const theirs = s.classes!;
    for (let k = s.loClass; k <= s.hiClass; k++) {
      classes[k]! += theirs[k]!;
      classes[FREE_CLASSES + k]! += theirs[FREE_CLASSES + k]!;
    }
    if (s.loClass < this.loClass) this.loClass = s.loClass;
    if (s.hiClass > this.hiClass) this.hiClass = s.hiClass;
  }
}

/**
 * The nodes of sorted-btree as they are: `keys` ascending (in an internal
 * node, the greatest key of each child), `values` in a leaf, `children` in
 * an internal node. Read only; the library's own tests of this module check
 * the sums against a plain walk, so a change of its insides shows at once.
 */
interface TreeNode {
  readonly keys: readonly number[];
  readonly values: readonly VmapArea[];
  readonly children?: readonly TreeNode[];
}

/** Sums of nodes, kept as long as the node lives (nodes a view reaches never change). */
const nodeSums = new WeakMap<TreeNode, AreaSummary>();

function sumOf(node: TreeNode): AreaSummary {
  let s = nodeSums.get(node);
  if (s !== undefined) return s;
  s = new AreaSummary();
  if (node.children === undefined) for (const va of node.values) s.addArea(va);
  else for (const child of node.children) s.addSummary(sumOf(child));
  nodeSums.set(node, s);
  return s;
}

/** The first index of `keys` holding a key ≥ `key`. */
function lowerBound(keys: readonly number[], key: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds to `into` the areas of `node` starting in [lo, hi); every key of `node` is ≥ `minBound`. */
function addRange(node: TreeNode, minBound: number, lo: number, hi: number, into: AreaSummary): void {
  const keys = node.keys;
  if (keys.length === 0) return;
  const max = keys[keys.length - 1]!;
  if (max < lo || minBound >= hi) return;
  if (minBound >= lo && max < hi) {
    into.addSummary(sumOf(node));
    return;
  }
  const children = node.children;
  if (children === undefined) {
    for (let i = lowerBound(keys, lo); i < keys.length && keys[i]! < hi; i++) into.addArea(node.values[i]!);
    return;
  }
  for (let i = lowerBound(keys, lo); i < children.length; i++) {
    // Every key of child i is above the greatest key of child i - 1.
    const childMin = i === 0 ? minBound : keys[i - 1]! + 1;
    if (childMin >= hi) break;
    addRange(children[i]!, childMin, lo, hi, into);
  }
}

/**
 * Adds to `into`, in order, the areas of `tree` starting in [lo, hi). `tree`
 * must be one nothing writes to any more (a clone taken for readers): its
 * nodes' sums are kept.
 */
export function summarizeRange(tree: BTree<number, VmapArea>, lo: number, hi: number, into: AreaSummary): void {
  if (lo >= hi) return;
  const root = (tree as unknown as { _root: TreeNode })._root;
  addRange(root, -Infinity, lo, hi, into);
}
