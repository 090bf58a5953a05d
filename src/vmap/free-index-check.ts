/**
 * The free index's structural check, for tests and the benchmark's
 * cross-check: O(n), so never on a request's path.
 */
import { F64, I32, Slot } from './free-index-records.js';
import type { FreeTree } from './free-index-tree.js';

/**
 * Checks `tree` in one in-order walk: blocks ascending and never touching,
 * sizes positive, parent links, AVL balance, stored heights and augmented
 * maxima, and that the record count and `freePages` (the index's running
 * total) match the blocks. Returns a description of the first violation, or
 * null.
 */
export function checkFreeTree(tree: FreeTree, freePages: number): string | null {
  const { f, i } = tree.nodes;
  let problem: string | null = null;
  let prevEnd = -1;
  let seen = 0;
  let pages = 0;
  const visit = (x: number, p: number): number => {
    if (x === Slot.NIL || problem) return 0;
    if (i[x * 16 + I32.PARENT] !== p) problem = `node ${x}: parent ${i[x * 16 + I32.PARENT]} != ${p}`;
    const hl = visit(i[x * 16 + I32.LEFT]!, x);
    const s = f[x * 8 + F64.START]!;
    const size = f[x * 8 + F64.SIZE]!;
    if (size <= 0) problem ??= `block at ${s} has size ${size}`;
    if (s <= prevEnd) problem ??= `block at ${s} touches or overlaps the block ending at ${prevEnd}`;
    prevEnd = s + size;
    seen++;
    pages += size;
    const hr = visit(i[x * 16 + I32.RIGHT]!, x);
    if (Math.abs(hl - hr) > 1) problem ??= `node at ${s} unbalanced (${hl} vs ${hr})`;
    const h = 1 + Math.max(hl, hr);
    if (i[x * 16 + I32.HEIGHT] !== h) problem ??= `node at ${s}: height ${i[x * 16 + I32.HEIGHT]} != ${h}`;
    const m = Math.max(size, f[i[x * 16 + I32.LEFT]! * 8 + F64.MAX]!, f[i[x * 16 + I32.RIGHT]! * 8 + F64.MAX]!);
    if (f[x * 8 + F64.MAX] !== m) problem ??= `node at ${s}: subtree max ${f[x * 8 + F64.MAX]} != ${m}`;
    return h;
  };
  visit(tree.root, Slot.NIL);
  if (problem) return problem;
  if (seen !== tree.nodes.count) return `count ${tree.nodes.count} != ${seen} blocks`;
  if (pages !== freePages) return `free pages ${freePages} != ${pages}`;
  return null;
}
