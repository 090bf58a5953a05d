import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FreeIndex, type FreeBlock } from '../../src/vmap/free-index.js';

/*
 * The free index at depth: hundreds to thousands of blocks spread over the
 * default 32 TiB space, from page 0 to its last page, so the tree has
 * several levels, and operations that carve and refill runs of blocks, so
 * records split, merge and borrow, and blocks coalesce across leaves.
 * Searches use alignments up to 2^40 pages and vstart/vend limits around
 * the blocks. After every step the index must hold the model's blocks and
 * give its lowest fits.
 */

/** Pages in the space: vmapd's default, 2^33 - 1. */
const SPAN = 2 ** 33 - 1;
/** Absolute page bases: zero, odd, vmapd's default VMALLOC_START, just below 2^40. */
const BASES = [0, 1, 0xffffc90000000, 2 ** 40 - 1];

/** An ascending array of coalesced blocks, changed by plain array edits. */
class Model {
  constructor(public blocks: FreeBlock[]) {}

  /** Index of the first block starting at or after `page`. */
  lowerBound(page: number): number {
    let lo = 0;
    let hi = this.blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.blocks[mid]!.start < page) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  carve(i: number, start: number, pages: number): void {
    const b = this.blocks[i]!;
    const rest = [
      { start: b.start, pages: start - b.start },
      { start: start + pages, pages: b.start + b.pages - start - pages },
    ].filter((r) => r.pages > 0);
    this.blocks.splice(i, 1, ...rest);
  }

  /** Inserts a range lying in the gap before block `i` (after the last when i is the length). */
  insert(i: number, start: number, pages: number): void {
    const prev = this.blocks[i - 1];
    const next = this.blocks[i];
    let s = start;
    let z = pages;
    let from = i;
    let n = 0;
    if (prev !== undefined && prev.start + prev.pages === start) {
      s = prev.start;
      z += prev.pages;
      from--;
      n++;
    }
    if (next !== undefined && next.start === start + pages) {
      z += next.pages;
      n++;
    }
    this.blocks.splice(from, n, { start: s, pages: z });
  }

  lowest(pages: number, align: number, vstart: number, vend: number, base: number): number {
    for (const b of this.blocks) {
      const a0 = Math.max(b.start, vstart);
      const a = a0 + ((align - ((base + a0) % align)) % align);
      if (a + pages <= Math.min(b.start + b.pages, vend)) return a;
    }
    return -1;
  }
}

type Op =
  | { kind: 'carve'; at: number; how: number; len: number }
  | { kind: 'fill'; at: number; how: number }
  | { kind: 'drain'; at: number; run: number }
  | { kind: 'flood'; at: number; run: number }
  | { kind: 'fit'; pages: number; alignLog: number; at: number; fromEnd: boolean; before: number; span: number; base: number; take: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('carve' as const), at: fc.nat(), how: fc.nat(3), len: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('fill' as const), at: fc.nat(), how: fc.nat(3) }),
  fc.record({ kind: fc.constant('drain' as const), at: fc.nat(), run: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ kind: fc.constant('flood' as const), at: fc.nat(), run: fc.integer({ min: 1, max: 300 }) }),
  fc.record({
    kind: fc.constant('fit' as const),
    pages: fc.integer({ min: 1, max: 6 }),
    alignLog: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 40 })),
    at: fc.nat(),
    fromEnd: fc.boolean(),
    before: fc.integer({ min: 0, max: 3 }),
    span: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 64 }), fc.constant(SPAN)),
    base: fc.constantFrom(...BASES),
    take: fc.boolean(),
  }),
);

/** Applies `op` to both; the model's blocks pick where it lands. */
function apply(idx: FreeIndex, model: Model, op: Op): void {
  const blocks = model.blocks;
  const n = blocks.length;
  if (op.kind === 'carve' || op.kind === 'drain') {
    if (n === 0) return;
    const i = op.at % n;
    if (op.kind === 'drain') {
      // Whole blocks, a run of them: leaves empty out and merge.
      for (const b of blocks.slice(i, i + op.run)) idx.reserve(b.start, b.pages);
      blocks.splice(i, op.run);
      return;
    }
    const b = blocks[i]!;
    const len = Math.min(op.len, b.pages);
    const start = [b.start, b.start, b.start + b.pages - len, b.start + Math.floor((b.pages - len) / 2)][op.how]!;
    idx.reserve(start, len);
    model.carve(i, start, len);
  } else if (op.kind === 'fill' || op.kind === 'flood') {
    // Gap i lies before block i: from the previous block's end (or page 0) to block i's start (or SPAN).
    const gapOf = (i: number): [number, number] => [i > 0 ? blocks[i - 1]!.start + blocks[i - 1]!.pages : 0, i < blocks.length ? blocks[i]!.start : SPAN];
    const i = op.at % (n + 1);
    if (op.kind === 'flood') {
      // Whole gaps, a run of them, highest first so indices below stay put: blocks coalesce across leaves.
      for (let g = Math.min(i + op.run, n); g >= i; g--) {
        const [s, e] = gapOf(g);
        if (e <= s) continue;
        idx.insert(s, e - s);
        model.insert(g, s, e - s);
      }
      return;
    }
    const [s, e] = gapOf(i);
    if (e <= s) return;
    // none: a page in the middle, away from both sides (when there is room); left, right, both.
    const [start, end] = ([[s + Math.floor((e - s) / 2), s + Math.floor((e - s) / 2) + 1], [s, s + 1], [e - 1, e], [s, e]] as const)[op.how as 0 | 1 | 2 | 3];
    if (op.how === 0 && (start === s || end === e)) return;
    idx.insert(start, end - start);
    model.insert(i, start, end - start);
  } else {
    const align = 2 ** op.alignLog;
    // vstart near a block's start, or where a fit would end at the block's end:
    // the limits where a child's key or a block's end decides.
    const b = blocks[op.at % Math.max(n, 1)];
    const anchor = b === undefined ? 0 : op.fromEnd ? b.start + b.pages - op.pages : b.start;
    const vstart = Math.max(0, anchor - op.before);
    const vend = Math.min(SPAN, vstart + op.span);
    const want = model.lowest(op.pages, align, vstart, vend, op.base);
    const got = idx.findLowest(op.pages, align, vstart, vend, op.base);
    assert.equal(got, want, `findLowest(${op.pages}, 2^${op.alignLog}, ${vstart}, ${vend}, ${op.base})`);
    if (got >= 0 && op.take) {
      idx.carveFit();
      model.carve(model.lowerBound(got + 1) - 1, got, op.pages);
    }
  }
}

describe('FreeIndex with thousands of blocks across the whole space', () => {
  it('agrees with the model through splits, merges and coalescing across leaves', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.constantFrom(3, 8, 1 + 2 ** 20),
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom('scrambled', 'ascending', 'descending'),
        fc.array(opArb, { minLength: 1, maxLength: 60 }),
        (count, stride, capacity, order, ops) => {
          const idx = new FreeIndex(capacity);
          // Blocks from page 0 up, sizes varying, and one ending at the space's last page.
          const initial: FreeBlock[] = [];
          for (let i = 0; i < count; i++) initial.push({ start: i * stride, pages: 1 + (i % (stride - 1)) });
          initial.push({ start: SPAN - 2, pages: 2 });
          // Scrambled, splits happen all over the tree; ascending, always in
          // the last leaf; descending, always at the front of the first.
          for (let i = 0; i < initial.length; i++) {
            const at = order === 'scrambled' ? (i * 7919) % initial.length : order === 'ascending' ? i : initial.length - 1 - i;
            idx.insert(initial[at]!.start, initial[at]!.pages);
          }
          const model = new Model(initial.slice());
          assert.equal(idx.checkInvariants(), null);
          for (const op of ops) {
            apply(idx, model, op);
            assert.equal(idx.checkInvariants(), null, JSON.stringify(op));
            assert.deepEqual([...idx.blocks()], model.blocks);
            assert.equal(idx.count, model.blocks.length);
            assert.equal(idx.largest, model.blocks.reduce((m, b) => Math.max(m, b.pages), 0));
            assert.equal(idx.freePages, model.blocks.reduce((t, b) => t + b.pages, 0));
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});
