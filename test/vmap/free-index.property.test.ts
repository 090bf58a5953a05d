import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FreeIndex, type FreeBlock } from '../../src/vmap/free-index.js';

/*
 * The free index against the obvious model of what it holds: after any
 * sequence of inserts, reserves and searches (carved or not), the same
 * blocks, the same lowest fits and the same totals, and a fit never carved
 * once anything changed the index after the search that found it.
 */

/** The obvious model: an ascending array of coalesced blocks. */
class BlockList {
  blocks: FreeBlock[] = [];

  overlaps(start: number, pages: number): boolean {
    return this.blocks.some((b) => start < b.start + b.pages && b.start < start + pages);
  }

  insert(start: number, pages: number): void {
    const all = [...this.blocks, { start, pages }].sort((a, b) => a.start - b.start);
    const merged: FreeBlock[] = [];
    for (const b of all) {
      const last = merged[merged.length - 1];
      if (last !== undefined && last.start + last.pages === b.start) merged[merged.length - 1] = { start: last.start, pages: last.pages + b.pages };
      else merged.push(b);
    }
    this.blocks = merged;
  }

  containing(start: number, pages: number): FreeBlock | undefined {
    return this.blocks.find((b) => b.start <= start && start + pages <= b.start + b.pages);
  }

  carve(start: number, pages: number): void {
    const b = this.containing(start, pages)!;
    const rest = [
      { start: b.start, pages: start - b.start },
      { start: start + pages, pages: b.start + b.pages - start - pages },
    ].filter((r) => r.pages > 0);
    this.blocks = [...this.blocks.filter((x) => x !== b), ...rest].sort((x, y) => x.start - y.start);
  }

  lowest(pages: number, align: number, vstart: number, vend: number, base: number): number | undefined {
    for (const b of this.blocks) {
      for (let a = Math.max(b.start, vstart); a + pages <= Math.min(b.start + b.pages, vend); a++) {
        if ((base + a) % align === 0) return a;
      }
    }
    return undefined;
  }
}

type Op =
  | { kind: 'insert'; start: number; pages: number }
  | { kind: 'reserve'; start: number; pages: number }
  | { kind: 'fit'; pages: number; align: number; vstart: number; span: number; base: number; take: boolean };

const LIMIT = 256;

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), start: fc.nat(LIMIT), pages: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant('reserve' as const), start: fc.nat(LIMIT), pages: fc.integer({ min: 0, max: 40 }) }),
  fc.record({
    kind: fc.constant('fit' as const),
    pages: fc.integer({ min: 1, max: 40 }),
    align: fc.constantFrom(1, 1, 2, 4, 8, 64),
    vstart: fc.nat(LIMIT),
    span: fc.integer({ min: 1, max: LIMIT + 50 }),
    base: fc.constantFrom(0, 1, 3, 7, 1024),
    take: fc.boolean(),
  }),
);

describe('FreeIndex against a plain array of blocks', () => {
  it('agrees after every random insert, reserve, findLowest and carveFit', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 4 }), fc.array(opArb, { maxLength: 120, size: 'max' }), (startFull, capacity, ops) => {
        const idx = new FreeIndex(capacity);
        const model = new BlockList();
        if (startFull) {
          idx.insert(0, LIMIT);
          model.insert(0, LIMIT);
        }
        for (const op of ops) {
          if (op.kind === 'insert') {
            if (op.pages <= 0 || model.overlaps(op.start, op.pages)) {
              assert.throws(() => idx.insert(op.start, op.pages));
            } else {
              idx.insert(op.start, op.pages);
              model.insert(op.start, op.pages);
              assert.throws(() => idx.carveFit(), /without a fit/);
            }
          } else if (op.kind === 'reserve') {
            if (op.pages <= 0 || model.containing(op.start, op.pages) === undefined) {
              assert.throws(() => idx.reserve(op.start, op.pages));
            } else {
              idx.reserve(op.start, op.pages);
              model.carve(op.start, op.pages);
              assert.throws(() => idx.carveFit(), /without a fit/);
            }
          } else {
            const vend = op.vstart + op.span;
            const want = model.lowest(op.pages, op.align, op.vstart, vend, op.base);
            const start = idx.findLowest(op.pages, op.align, op.vstart, vend, op.base);
            assert.equal(start < 0 ? undefined : start, want);
            if (start < 0) assert.throws(() => idx.carveFit(), /without a fit/);
            if (start >= 0 && op.take) {
              idx.carveFit();
              model.carve(want!, op.pages);
            }
          }
          assert.equal(idx.checkInvariants(), null);
          assert.deepEqual([...idx.blocks()], model.blocks);
          assert.equal(idx.largest, Math.max(0, ...model.blocks.map((b) => b.pages)));
          assert.equal(idx.freePages, model.blocks.reduce((s, b) => s + b.pages, 0));
          assert.equal(idx.count, model.blocks.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
