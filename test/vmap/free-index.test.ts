import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FreeIndex, type FreeBlock } from '../../src/vmap/free-index.js';

/** An index holding exactly the given `[start, end)` ranges, inserted in the given order. */
function indexOf(...ranges: Array<[number, number]>): FreeIndex {
  const idx = new FreeIndex();
  for (const [s, e] of ranges) idx.insert(s, e - s);
  return idx;
}

function ranges(idx: FreeIndex): Array<[number, number]> {
  return [...idx.blocks()].map((b) => [b.start, b.start + b.pages]);
}

/** The node of the block containing `page`, found through the public search. */
function nodeAt(idx: FreeIndex, page: number): number {
  const x = idx.findLowest(1, 1, page, page + 1, 0);
  assert.notEqual(x, 0, `page ${page} is not free`);
  assert.equal(idx.fitStart, page);
  return x;
}

function sound(idx: FreeIndex): void {
  assert.equal(idx.checkInvariants(), null);
  const blocks = [...idx.blocks()];
  assert.equal(idx.count, blocks.length);
  assert.equal(idx.freePages, blocks.reduce((s, b) => s + b.pages, 0));
  assert.equal(idx.largest, Math.max(0, ...blocks.map((b) => b.pages)));
}

/** findLowest as a plain result: the fit start, or undefined. */
function lowest(idx: FreeIndex, pages: number, align: number, vstart: number, vend: number, base: number): number | undefined {
  return idx.findLowest(pages, align, vstart, vend, base) === 0 ? undefined : idx.fitStart;
}

describe('FreeIndex.insert', () => {
  it('starts empty', () => {
    const idx = new FreeIndex();
    assert.deepEqual(ranges(idx), []);
    assert.equal(idx.largest, 0);
    assert.equal(idx.count, 0);
    assert.equal(lowest(idx, 1, 1, 0, 100, 0), undefined);
    sound(idx);
  });
  it('keeps blocks apart when nothing touches', () => {
    const idx = indexOf([20, 30], [0, 10], [40, 41]);
    assert.deepEqual(ranges(idx), [
      [0, 10],
      [20, 30],
      [40, 41],
    ]);
    assert.equal(idx.largest, 10);
    sound(idx);
  });
  it('merges with the block on the left', () => {
    const idx = indexOf([0, 10], [30, 40], [10, 15]);
    assert.deepEqual(ranges(idx), [
      [0, 15],
      [30, 40],
    ]);
    assert.equal(idx.largest, 15);
    sound(idx);
  });
  it('merges with the block on the right', () => {
    const idx = indexOf([0, 5], [20, 30], [15, 20]);
    assert.deepEqual(ranges(idx), [
      [0, 5],
      [15, 30],
    ]);
    assert.equal(idx.largest, 15);
    sound(idx);
  });
  it('merges with both neighbours into one block', () => {
    const idx = indexOf([0, 10], [20, 30], [50, 60], [10, 20]);
    assert.deepEqual(ranges(idx), [
      [0, 30],
      [50, 60],
    ]);
    assert.equal(idx.count, 2);
    assert.equal(idx.largest, 30);
    assert.equal(idx.freePages, 40);
    sound(idx);
  });
  it('throws on any overlap with free space, and changes nothing', () => {
    const idx = indexOf([0, 10], [20, 30]);
    for (const [s, e] of [
      [5, 6],
      [9, 12],
      [0, 10],
      [15, 21],
      [19, 31],
      [10, 40],
      [29, 30],
    ] as Array<[number, number]>) {
      assert.throws(() => idx.insert(s, e - s), /overlaps free space/, `insert [${s}, ${e})`);
    }
    assert.throws(() => idx.insert(12, 0), /insert of 0 pages/);
    assert.throws(() => idx.insert(12, -1));
    assert.deepEqual(ranges(idx), [
      [0, 10],
      [20, 30],
    ]);
    sound(idx);
  });
});

describe('FreeIndex.carve and reserve', () => {
  it('full fit removes the block', () => {
    const idx = indexOf([0, 10], [20, 30]);
    idx.carve(nodeAt(idx, 20), 20, 10);
    assert.deepEqual(ranges(idx), [[0, 10]]);
    idx.carve(nodeAt(idx, 0), 0, 10);
    assert.deepEqual(ranges(idx), []);
    assert.equal(idx.largest, 0);
    assert.equal(idx.freePages, 0);
    sound(idx);
  });
  it('left fit moves the start up', () => {
    const idx = indexOf([0, 10]);
    idx.carve(nodeAt(idx, 0), 0, 3);
    assert.deepEqual(ranges(idx), [[3, 10]]);
    assert.equal(idx.largest, 7);
    sound(idx);
  });
  it('right fit moves the end down', () => {
    const idx = indexOf([0, 10]);
    idx.carve(nodeAt(idx, 7), 7, 3);
    assert.deepEqual(ranges(idx), [[0, 7]]);
    assert.equal(idx.largest, 7);
    sound(idx);
  });
  it('middle fit splits the block in two', () => {
    const idx = indexOf([0, 10], [40, 45]);
    idx.carve(nodeAt(idx, 3), 3, 4);
    assert.deepEqual(ranges(idx), [
      [0, 3],
      [7, 10],
      [40, 45],
    ]);
    assert.equal(idx.largest, 5);
    assert.equal(idx.freePages, 11);
    sound(idx);
  });
  it('refuses to carve outside the block, changing nothing', () => {
    const idx = indexOf([0, 10], [20, 30]);
    const x = nodeAt(idx, 5);
    assert.throws(() => idx.carve(x, 8, 5), /outside block/);
    assert.throws(() => idx.carve(x, -1, 2), /outside block/);
    assert.throws(() => idx.carve(x, 20, 1), /outside block/);
    assert.throws(() => idx.carve(x, 3, 0), /outside block/);
    assert.deepEqual(ranges(idx), [
      [0, 10],
      [20, 30],
    ]);
    sound(idx);
  });
  it('reserve finds the block itself and refuses reserved pages', () => {
    const idx = indexOf([0, 10], [20, 30]);
    idx.reserve(22, 3);
    assert.deepEqual(ranges(idx), [
      [0, 10],
      [20, 22],
      [25, 30],
    ]);
    assert.throws(() => idx.reserve(12, 1), /not free/);
    assert.throws(() => idx.reserve(22, 1), /not free/);
    assert.throws(() => idx.reserve(8, 4), /outside block/); // runs past the block's end
    sound(idx);
  });
  it('carving then inserting back restores the block', () => {
    const idx = indexOf([0, 100]);
    idx.reserve(10, 5);
    idx.reserve(50, 50);
    idx.reserve(0, 10);
    assert.deepEqual(ranges(idx), [[15, 50]]);
    idx.insert(50, 50);
    idx.insert(0, 10);
    idx.insert(10, 5);
    assert.deepEqual(ranges(idx), [[0, 100]]);
    sound(idx);
  });
});

describe('FreeIndex.findLowest', () => {
  it('returns the lowest fit and leaves its start in fitStart', () => {
    const idx = indexOf([1, 4], [6, 20], [30, 100]);
    assert.equal(lowest(idx, 3, 1, 0, 1000, 0), 1);
    assert.equal(lowest(idx, 4, 1, 0, 1000, 0), 6);
    assert.equal(lowest(idx, 15, 1, 0, 1000, 0), 30);
    assert.equal(lowest(idx, 70, 1, 0, 1000, 0), 30);
    assert.equal(lowest(idx, 71, 1, 0, 1000, 0), undefined);
  });
  it('aligns the absolute page base + start', () => {
    const idx = indexOf([1, 4], [6, 20]);
    // base 0: [1, 4) offers 4 (too late for 2 pages); [6, 20) offers 8.
    assert.equal(lowest(idx, 2, 4, 0, 1000, 0), 8);
    // base 1: 1 + a multiple of 4 -> [1, 4) offers 3 (runs to 5: too long); [6, 20) offers 7.
    assert.equal(lowest(idx, 2, 4, 0, 1000, 1), 7);
    assert.equal(lowest(idx, 1, 4, 0, 1000, 1), 3);
    // base 3: a = 1 -> 4 is aligned.
    assert.equal(lowest(idx, 3, 4, 0, 1000, 3), 1);
    // A large alignment skips past every block.
    assert.equal(lowest(idx, 1, 64, 0, 1000, 1), undefined);
    assert.equal(lowest(idx, 1, 2 ** 40, 0, 1000, 0), undefined);
  });
  it('takes an aligned fit in a block smaller than pages + align - 1', () => {
    const idx = indexOf([3, 8], [20, 100]);
    assert.equal(lowest(idx, 4, 4, 0, 1000, 0), 4);
  });
  it('keeps the fit inside [vstart, vend)', () => {
    const idx = indexOf([1, 4], [6, 20]);
    assert.equal(lowest(idx, 3, 1, 10, 13, 0), 10);
    assert.equal(lowest(idx, 4, 1, 10, 13, 0), undefined);
    assert.equal(lowest(idx, 2, 1, 2, 4, 0), 2);
    assert.equal(lowest(idx, 2, 1, 3, 20, 0), 6); // [3, 4) is one page
    assert.equal(lowest(idx, 2, 1, 0, 7, 0), 1);
    assert.equal(lowest(idx, 4, 1, 0, 7, 0), undefined); // [6, 7) is one page
    assert.equal(lowest(idx, 14, 1, 0, 20, 0), 6); // ends exactly at vend
    assert.equal(lowest(idx, 2, 4, 5, 10, 0), 8);
    assert.equal(lowest(idx, 2, 4, 5, 9, 0), undefined);
  });
  it('finds the lowest fit among many blocks, past the initial capacity', () => {
    const idx = new FreeIndex(1);
    // 1000 one-page blocks at even pages, then one 10-page block, then 5-page blocks.
    for (let i = 0; i < 1000; i++) idx.insert(2 * i, 1);
    idx.insert(3000, 10);
    for (let i = 0; i < 100; i++) idx.insert(4000 + 10 * i, 5);
    sound(idx);
    assert.equal(idx.count, 1101);
    assert.equal(idx.largest, 10);
    assert.equal(lowest(idx, 1, 1, 0, 1e6, 0), 0);
    assert.equal(lowest(idx, 1, 1, 1, 1e6, 0), 2);
    assert.equal(lowest(idx, 2, 1, 0, 1e6, 0), 3000);
    assert.equal(lowest(idx, 6, 1, 0, 1e6, 0), 3000);
    assert.equal(lowest(idx, 5, 1, 3006, 1e6, 0), 4000);
    assert.equal(lowest(idx, 5, 8, 3001, 1e6, 0), 4000); // 4000 is a multiple of 8
    assert.equal(lowest(idx, 5, 8, 4001, 1e6, 0), 4040); // next 4000 + 10i with 10i a multiple of 8
    assert.equal(lowest(idx, 1, 1, 1999, 1e6, 0), 3000);
    assert.equal(lowest(idx, 11, 1, 0, 1e6, 0), undefined);
  });
});

describe('FreeIndex.clear', () => {
  it('empties the index, which can then be reused', () => {
    const idx = indexOf([0, 10], [20, 30]);
    idx.clear();
    assert.deepEqual(ranges(idx), []);
    assert.equal(idx.largest, 0);
    sound(idx);
    idx.insert(5, 5);
    assert.deepEqual(ranges(idx), [[5, 10]]);
    sound(idx);
  });
});

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
  it('agrees after every random insert, reserve, findLowest and carve', () => {
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
            }
          } else if (op.kind === 'reserve') {
            if (op.pages <= 0 || model.containing(op.start, op.pages) === undefined) {
              assert.throws(() => idx.reserve(op.start, op.pages));
            } else {
              idx.reserve(op.start, op.pages);
              model.carve(op.start, op.pages);
            }
          } else {
            const vend = op.vstart + op.span;
            const want = model.lowest(op.pages, op.align, op.vstart, vend, op.base);
            const x = idx.findLowest(op.pages, op.align, op.vstart, vend, op.base);
            assert.equal(x === 0 ? undefined : idx.fitStart, want);
            if (x !== 0 && op.take) {
              idx.carve(x, idx.fitStart, op.pages);
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
