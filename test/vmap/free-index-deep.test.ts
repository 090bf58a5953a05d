import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FreeIndex } from '../../src/vmap/free-index.js';
import { Inner, Rec } from '../../src/vmap/free-index-records.js';
import type { FreeTree } from '../../src/vmap/free-index-tree.js';

/*
 * The free index with thousands of blocks, so its B+ tree has inner levels:
 * searches at the edges of every block, and the invariant check catching
 * each kind of corruption of the records.
 */

function sound(idx: FreeIndex): void {
  assert.equal(idx.checkInvariants(), null);
  const blocks = [...idx.blocks()];
  assert.equal(idx.count, blocks.length);
  assert.equal(idx.freePages, blocks.reduce((s, b) => s + b.pages, 0));
  assert.equal(idx.largest, Math.max(0, ...blocks.map((b) => b.pages)));
}

describe('FreeIndex.findLowest at every block of a deep tree', () => {
  // 3000 blocks of 1-3 pages with gaps of 1-2: many leaves, three levels, and
  // every block in turn the first or last of some leaf or subtree.
  const blocks: Array<[number, number]> = [];
  for (let i = 0, s = 0; i < 3000; i++) {
    const pages = 1 + (i % 3);
    blocks.push([s, pages]);
    s += pages + 1 + (i % 2);
  }
  const idx = new FreeIndex();
  for (let i = 0; i < blocks.length; i++) {
    const [s, pages] = blocks[(i * 7919) % blocks.length]!;
    idx.insert(s, pages);
  }
  /** The obvious answer: the first block, in order, holding the fit. */
  const model = (pages: number, vstart: number, vend: number): number => {
    for (const [s, z] of blocks) {
      const a = Math.max(s, vstart);
      if (a + pages <= Math.min(s + z, vend)) return a;
    }
    return -1;
  };
  it('takes a fit that ends exactly at its block\'s end, or at vend', () => {
    sound(idx);
    for (const [s, z] of blocks) {
      for (let n = 1; n <= z; n++) {
        const e = s + z;
        assert.equal(idx.findLowest(n, 1, e - n, 2 ** 33, 0), e - n);
        assert.equal(idx.findLowest(n, 1, e - n + 1, 2 ** 33, 0), model(n, e - n + 1, 2 ** 33));
        assert.equal(idx.findLowest(n, 1, s, s + n, 0), s);
        assert.equal(idx.findLowest(n, 1, s, s + n - 1, 0), model(n, s, s + n - 1));
        assert.equal(idx.findLowest(n, 1, s - 1, s + n, 0), model(n, s - 1, s + n));
      }
    }
  });
});

describe('FreeIndex.checkInvariants', () => {
  /** A fresh index with two inner levels over its leaves, and its tree, to break. */
  const deep = (): { idx: FreeIndex; t: FreeTree } => {
    const idx = new FreeIndex();
    for (let i = 0; i < 5000; i++) idx.insert(3 * ((i * 7919) % 5000), 1 + (i % 2));
    return { idx, t: (idx as unknown as { tree: FreeTree }).tree };
  };
  /** The leftmost leaf and its parent. */
  const firstLeaf = (t: FreeTree): { leaf: number; parent: number } => {
    let x = t.root;
    let parent = -1;
    for (let d = 0; d < t.height; d++) {
      parent = x;
      x = t.rec.nc[x * Inner.CAP]!;
    }
    return { leaf: x, parent };
  };
  const breaks: Array<[string, RegExp, (idx: FreeIndex, t: FreeTree) => void]> = [
    ['blocks out of order', /overlaps/, (_, t) => {
      const b = firstLeaf(t).leaf * Rec.LEAF_STRIDE;
      [t.rec.lf[b], t.rec.lf[b + 1]] = [t.rec.lf[b + 1]!, t.rec.lf[b]!];
    }],
    ['a block touching the next', /touches/, (_, t) => {
      const b = firstLeaf(t).leaf * Rec.LEAF_STRIDE;
      t.rec.lf[b + Rec.SIZE] = t.rec.lf[b + 1]! - t.rec.lf[b]!;
    }],
    ['an empty block', /has size 0/, (_, t) => {
      t.rec.lf[firstLeaf(t).leaf * Rec.LEAF_STRIDE + Rec.SIZE + 1] = 0;
    }],
    ['a key that is not its child\'s first start', /key/, (_, t) => {
      t.rec.nf[t.root * Rec.NODE_STRIDE + 1]! -= 1;
    }],
    ['a maximum that is not its child\'s largest block', /max/, (_, t) => {
      t.rec.nf[t.root * Rec.NODE_STRIDE + Rec.MAX]! += 1;
    }],
    ['a leaf below its minimum fill', /holds 3 blocks/, (_, t) => {
      t.rec.lc[firstLeaf(t).leaf] = 3;
    }],
    ['a node below its minimum fill', /holds 1 children/, (_, t) => {
      t.rec.ncnt[t.root] = 1;
    }],
    ['a record linked twice', /reached twice/, (_, t) => {
      const { parent } = firstLeaf(t);
      t.rec.nc[parent * Inner.CAP + 1] = t.rec.nc[parent * Inner.CAP]!;
    }],
    ['a record taken but never linked', /in use/, (_, t) => {
      t.rec.takeLeaf();
    }],
    ['a wrong block count', /count/, (_, t) => {
      t.count++;
    }],
    ['a wrong free page total', /free pages/, (idx) => {
      (idx as unknown as { pagesFree: number }).pagesFree++;
    }],
    ['a wrong largest block remembered', /largest block remembered/, (idx) => {
      (idx as unknown as { top: number }).top = idx.largest + 1;
    }],
  ];
  it('holds on a deep index', () => {
    const { idx, t } = deep();
    assert.equal(t.height, 2);
    sound(idx);
  });
  for (const [what, message, corrupt] of breaks) {
    it(`finds ${what}`, () => {
      const { idx, t } = deep();
      corrupt(idx, t);
      assert.match(idx.checkInvariants() ?? 'null', message);
    });
  }
});

describe('FreeIndex draining a deep tree', () => {
  /** 6000 one- and two-page blocks inserted scrambled: two inner levels, nodes of varying fill. */
  const build = (): { idx: FreeIndex; blocks: Array<[number, number]> } => {
    const idx = new FreeIndex();
    const blocks: Array<[number, number]> = [];
    for (let i = 0; i < 6000; i++) blocks.push([3 * i, 1 + (i % 2)]);
    for (let i = 0; i < blocks.length; i++) {
      const [s, z] = blocks[(i * 7919) % blocks.length]!;
      idx.insert(s, z);
    }
    return { idx, blocks };
  };
  // Leaves merge and borrow, then inner nodes do, then the root loses levels:
  // the check runs after every single change, before a later one could hide a fault.
  const orders: Array<[string, (n: number) => number[]]> = [
    ['from the front', (n) => [...Array(n).keys()]],
    ['from the back', (n) => [...Array(n).keys()].reverse()],
    ['every other block, then the rest', (n) => [...Array(n).keys()].sort((a, b) => (a % 2) - (b % 2) || a - b)],
    ['outwards from the middle', (n) => [...Array(n).keys()].sort((a, b) => Math.abs(a - n / 2) - Math.abs(b - n / 2) || a - b)],
  ];
  for (const [what, order] of orders) {
    it(`stays sound reserving every block ${what}, and refilling`, () => {
      const { idx, blocks } = build();
      const seq = order(blocks.length);
      for (const i of seq) {
        idx.reserve(blocks[i]![0], blocks[i]![1]);
        assert.equal(idx.checkInvariants(), null);
      }
      assert.equal(idx.count, 0);
      assert.equal(idx.largest, 0);
      for (const i of seq.reverse()) {
        idx.insert(blocks[i]![0], blocks[i]![1]);
        assert.equal(idx.checkInvariants(), null);
      }
      sound(idx);
      assert.deepEqual([...idx.blocks()].map((b) => [b.start, b.pages]), blocks);
    });
  }
});
