/**
 * Keeping the free index's B+ tree balanced: a full record splits in two
 * halves and its parent gains a child (the root, a new level above it); a
 * record that falls below its minimum merges with a sibling, or takes
 * records from one when the two would not fit in one, and its parent loses a
 * child (a root left with one child, a level). Both only move blocks between
 * records, so no maximum above the parent changes; the two records'
 * own maxima are scanned afresh.
 */
import { Inner, Leaf, Rec } from './free-index-records.js';
import type { FreeTree } from './free-index-tree.js';

/** A full leaf's blocks plus the one being added, in order: reused, as splits are frequent. */
const scratch = new Float64Array(2 * (Leaf.CAP + 1));
/** A full inner node's keys, maxima and children plus the one being added. */
const keys = new Float64Array(Inner.CAP + 1);
const maxima = new Float64Array(Inner.CAP + 1);
const children = new Int32Array(Inner.CAP + 1);

/** Adds block `[s, s + z)` at position `k` of the path's full leaf by splitting it. */
export function splitLeaf(t: FreeTree, k: number, s: number, z: number): void {
  const x = t.leaf;
  let lf = t.rec.lf;
  const b = x * Rec.LEAF_STRIDE;
  const all = Leaf.CAP + 1;
  for (let i = 0, from = 0; i < all; i++) {
    if (i === k) {
      scratch[i] = s;
      scratch[all + i] = z;
    } else {
      scratch[i] = lf[b + from]!;
      scratch[all + i] = lf[b + Rec.SIZE + from]!;
      from++;
    }
  }
  const y = t.rec.takeLeaf();
  lf = t.rec.lf; // takeLeaf may have grown it
  const left = all >> 1;
  const right = all - left;
  const yb = y * Rec.LEAF_STRIDE;
  for (let i = 0; i < left; i++) {
    lf[b + i] = scratch[i]!;
    lf[b + Rec.SIZE + i] = scratch[all + i]!;
  }
  for (let i = 0; i < right; i++) {
    lf[yb + i] = scratch[left + i]!;
    lf[yb + Rec.SIZE + i] = scratch[all + left + i]!;
  }
  t.rec.lc[x] = left;
  t.rec.lc[y] = right;
  const d = t.height - 1;
  if (d < 0) {
    growRoot(t, x, y, t.leafMax(x), t.leafMax(y), scratch[0]!, scratch[left]!);
    return;
  }
  if (k === 0) t.fixKey(s);
  t.rec.nf[t.pn[d]! * Rec.NODE_STRIDE + Rec.MAX + t.pi[d]!] = t.leafMax(x);
  insertChild(t, d, t.pi[d]! + 1, scratch[left]!, t.leafMax(y), y);
}

/** A new root over `x` and `y`, the halves of the old one. */
function growRoot(t: FreeTree, x: number, y: number, mx: number, my: number, kx: number, ky: number): void {
  const r = t.rec.takeNode();
  const nf = t.rec.nf;
  const rb = r * Rec.NODE_STRIDE;
  nf[rb] = kx;
  nf[rb + 1] = ky;
  nf[rb + Rec.MAX] = mx;
  nf[rb + Rec.MAX + 1] = my;
  t.rec.nc[r * Inner.CAP] = x;
  t.rec.nc[r * Inner.CAP + 1] = y;
  t.rec.ncnt[r] = 2;
  t.root = r;
  t.height++;
}

/**
 * Adds child `c` (first start `key`, largest block `max`) at position `j`
 * (never 0) of the path's inner node at depth `d`, splitting that node when full.
 */
function insertChild(t: FreeTree, d: number, j: number, key: number, max: number, c: number): void {
  const rec = t.rec;
  const x = t.pn[d]!;
  const cnt = rec.ncnt[x]!;
  const b = x * Rec.NODE_STRIDE;
  const cb = x * Inner.CAP;
  if (cnt < Inner.CAP) {
    const nf = rec.nf;
    nf.copyWithin(b + j + 1, b + j, b + cnt);
    nf.copyWithin(b + Rec.MAX + j + 1, b + Rec.MAX + j, b + Rec.MAX + cnt);
    rec.nc.copyWithin(cb + j + 1, cb + j, cb + cnt);
    nf[b + j] = key;
    nf[b + Rec.MAX + j] = max;
    rec.nc[cb + j] = c;
    rec.ncnt[x] = cnt + 1;
    return;
  }
  const all = Inner.CAP + 1;
  for (let i = 0, from = 0; i < all; i++) {
    if (i === j) {
      keys[i] = key;
      maxima[i] = max;
      children[i] = c;
    } else {
      keys[i] = rec.nf[b + from]!;
      maxima[i] = rec.nf[b + Rec.MAX + from]!;
      children[i] = rec.nc[cb + from]!;
      from++;
    }
  }
  const y = rec.takeNode();
  const nf = rec.nf; // takeNode may have grown the arrays
  const nc = rec.nc;
  const left = all >> 1;
  const yb = y * Rec.NODE_STRIDE;
  for (let i = 0; i < all; i++) {
    const at = i < left ? b + i : yb + i - left;
    nf[at] = keys[i]!;
    nf[at + Rec.MAX] = maxima[i]!;
    nc[i < left ? cb + i : y * Inner.CAP + i - left] = children[i]!;
  }
  rec.ncnt[x] = left;
  rec.ncnt[y] = all - left;
  if (d === 0) {
    growRoot(t, x, y, t.nodeMax(x), t.nodeMax(y), keys[0]!, keys[left]!);
    return;
  }
  nf[t.pn[d - 1]! * Rec.NODE_STRIDE + Rec.MAX + t.pi[d - 1]!] = t.nodeMax(x);
  insertChild(t, d - 1, t.pi[d - 1]! + 1, keys[left]!, t.nodeMax(y), y);
}

/**
 * The child the path takes at depth `d` ran low: merges it with a sibling
 * (the right one into the left, so no first key moves), or evens the two out
 * when they hold more than one record can.
 */
export function mergeOrBorrow(t: FreeTree, d: number): void {
  const rec = t.rec;
  const p = t.pn[d]!;
  const j = t.pi[d]!;
  // The pair (l, r) = (j - 1, j), or (0, 1) for the first child.
  const li = j > 0 ? j - 1 : 0;
  const l = rec.nc[p * Inner.CAP + li]!;
  const r = rec.nc[p * Inner.CAP + li + 1]!;
  const leaves = d === t.height - 1;
  const cap = leaves ? Leaf.CAP : Inner.CAP;
  const cl = leaves ? rec.lc[l]! : rec.ncnt[l]!;
  const cr = leaves ? rec.lc[r]! : rec.ncnt[r]!;
  const pm = p * Rec.NODE_STRIDE + Rec.MAX;
  if (cl + cr <= cap) {
    move(t, leaves, r, 0, l, cl, cr);
    if (leaves) {
      rec.lc[l] = cl + cr;
      rec.freeLeaf(r);
    } else {
      rec.ncnt[l] = cl + cr;
      rec.freeNode(r);
    }
    const nf = rec.nf;
    if (nf[pm + li + 1]! > nf[pm + li]!) nf[pm + li] = nf[pm + li + 1]!;
    removeChild(t, d, li + 1);
    return;
  }
  // Even out: the fuller one hands over half the difference, from the end
  // that faces the other.
  const n = Math.abs(cl - cr) >> 1;
  if (cl > cr) {
    move(t, leaves, r, 0, r, n, cr); // open a gap at r's front
    move(t, leaves, l, cl - n, r, 0, n);
  } else {
    move(t, leaves, r, 0, l, cl, n);
    move(t, leaves, r, n, r, 0, cr - n);
  }
  const nl = cl > cr ? cl - n : cl + n;
  const nr = cl + cr - nl;
  if (leaves) {
    rec.lc[l] = nl;
    rec.lc[r] = nr;
  } else {
    rec.ncnt[l] = nl;
    rec.ncnt[r] = nr;
  }
  const nf = rec.nf;
  nf[p * Rec.NODE_STRIDE + li + 1] = leaves ? rec.lf[r * Rec.LEAF_STRIDE]! : nf[r * Rec.NODE_STRIDE]!;
  nf[pm + li] = leaves ? t.leafMax(l) : t.nodeMax(l);
  nf[pm + li + 1] = leaves ? t.leafMax(r) : t.nodeMax(r);
}

/** Copies `n` entries of record `from` at `fi` to record `to` at `ti` (ranges may overlap). */
function move(t: FreeTree, leaves: boolean, from: number, fi: number, to: number, ti: number, n: number): void {
  const rec = t.rec;
  if (leaves) {
    const fb = from * Rec.LEAF_STRIDE + fi;
    const tb = to * Rec.LEAF_STRIDE + ti;
    rec.lf.copyWithin(tb, fb, fb + n);
    rec.lf.copyWithin(tb + Rec.SIZE, fb + Rec.SIZE, fb + Rec.SIZE + n);
  } else {
    const fb = from * Rec.NODE_STRIDE + fi;
    const tb = to * Rec.NODE_STRIDE + ti;
    rec.nf.copyWithin(tb, fb, fb + n);
    rec.nf.copyWithin(tb + Rec.MAX, fb + Rec.MAX, fb + Rec.MAX + n);
    rec.nc.copyWithin(to * Inner.CAP + ti, from * Inner.CAP + fi, from * Inner.CAP + fi + n);
  }
}

/** Takes child `j` (never 0) out of the path's inner node at depth `d`. */
function removeChild(t: FreeTree, d: number, j: number): void {
  const rec = t.rec;
  const x = t.pn[d]!;
  const cnt = rec.ncnt[x]! - 1;
  const b = x * Rec.NODE_STRIDE;
  const cb = x * Inner.CAP;
  rec.nf.copyWithin(b + j, b + j + 1, b + cnt + 1);
  rec.nf.copyWithin(b + Rec.MAX + j, b + Rec.MAX + j + 1, b + Rec.MAX + cnt + 1);
  rec.nc.copyWithin(cb + j, cb + j + 1, cb + cnt + 1);
  rec.ncnt[x] = cnt;
  if (d === 0) {
    if (cnt === 1) {
      t.root = rec.nc[cb]!;
      t.height--;
      rec.freeNode(x);
    }
    return;
  }
  if (cnt < Inner.MIN) mergeOrBorrow(t, d - 1);
}
