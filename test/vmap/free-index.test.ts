import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FreeIndex } from '../../src/vmap/free-index.js';

/** An index holding exactly the given `[start, end)` ranges, inserted in the given order. */
function indexOf(...ranges: Array<[number, number]>): FreeIndex {
  const idx = new FreeIndex();
  for (const [s, e] of ranges) idx.insert(s, e - s);
  return idx;
}

function ranges(idx: FreeIndex): Array<[number, number]> {
  return [...idx.blocks()].map((b) => [b.start, b.start + b.pages]);
}

function sound(idx: FreeIndex): void {
  assert.equal(idx.checkInvariants(), null);
  const blocks = [...idx.blocks()];
  assert.equal(idx.count, blocks.length);
  assert.equal(idx.freePages, blocks.reduce((s, b) => s + b.pages, 0));
  assert.equal(idx.largest, Math.max(0, ...blocks.map((b) => b.pages)));
}

/** findLowest with undefined for no fit, so a failed search reads plainly in the assertions. */
function lowest(idx: FreeIndex, pages: number, align: number, vstart: number, vend: number, base: number): number | undefined {
  const start = idx.findLowest(pages, align, vstart, vend, base);
  return start < 0 ? undefined : start;
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

describe('FreeIndex.reserve: full, left, right and middle fit', () => {
  it('full fit removes the block', () => {
    const idx = indexOf([0, 10], [20, 30]);
    idx.reserve(20, 10);
    assert.deepEqual(ranges(idx), [[0, 10]]);
    idx.reserve(0, 10);
    assert.deepEqual(ranges(idx), []);
    assert.equal(idx.largest, 0);
    assert.equal(idx.freePages, 0);
    sound(idx);
  });
  it('left fit moves the start up', () => {
    const idx = indexOf([0, 10]);
    idx.reserve(0, 3);
    assert.deepEqual(ranges(idx), [[3, 10]]);
    assert.equal(idx.largest, 7);
    sound(idx);
  });
  it('right fit moves the end down', () => {
    const idx = indexOf([0, 10]);
    idx.reserve(7, 3);
    assert.deepEqual(ranges(idx), [[0, 7]]);
    assert.equal(idx.largest, 7);
    sound(idx);
  });
  it('middle fit splits the block in two', () => {
    const idx = indexOf([0, 10], [40, 45]);
    idx.reserve(3, 4);
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
    assert.throws(() => idx.reserve(8, 5), /outside block/);
    assert.throws(() => idx.reserve(5, 20), /outside block/); // across the gap into the next block
    assert.throws(() => idx.reserve(-1, 2), /not free/);
    assert.throws(() => idx.reserve(3, 0), /outside block/);
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
  it('returns the lowest fit\'s start, or -1 when nothing fits', () => {
    const idx = indexOf([1, 4], [6, 20], [30, 100]);
    assert.equal(idx.findLowest(71, 1, 0, 1000, 0), -1);
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

describe('FreeIndex.carveFit', () => {
  it('takes exactly the fit findLowest returned', () => {
    const idx = indexOf([1, 4], [6, 20]);
    assert.equal(idx.findLowest(2, 4, 0, 1000, 0), 8);
    idx.carveFit();
    assert.deepEqual(ranges(idx), [
      [1, 4],
      [6, 8],
      [10, 20],
    ]);
    assert.equal(idx.freePages, 15);
    sound(idx);
  });
  it('refuses when the search found nothing, or once anything changed the index', () => {
    const idx = indexOf([0, 10], [20, 30]);
    assert.throws(() => idx.carveFit(), /without a fit/);
    assert.equal(idx.findLowest(11, 1, 0, 100, 0), -1);
    assert.throws(() => idx.carveFit(), /without a fit/);
    assert.equal(idx.findLowest(5, 1, 0, 100, 0), 0);
    idx.carveFit();
    assert.throws(() => idx.carveFit(), /without a fit/);
    assert.equal(idx.findLowest(5, 1, 0, 100, 0), 5);
    idx.insert(40, 5);
    assert.throws(() => idx.carveFit(), /without a fit/);
    assert.equal(idx.findLowest(5, 1, 0, 100, 0), 5);
    idx.reserve(25, 1);
    assert.throws(() => idx.carveFit(), /without a fit/);
    assert.deepEqual(ranges(idx), [
      [5, 10],
      [20, 25],
      [26, 30],
      [40, 45],
    ]);
    sound(idx);
  });
});
