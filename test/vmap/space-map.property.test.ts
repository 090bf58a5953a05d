import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { summarizeRange } from '../../src/vmap/area-summary.js';
import { BTree } from '../../src/vmap/btree.js';
import { HolderIndex, type Holder } from '../../src/vmap/holder-index.js';
import { spaceMap, type MapSource } from '../../src/vmap/space-map.js';
import { lazyCopy, makeArea, type VmapArea } from '../../src/vmap/vmap-area.js';

/*
 * The map of any range in any number of buckets equals what a page-by-page
 * reading of the areas gives: per bucket the busy, guard, lazy and free
 * pages, and over the range the areas that touch it, the free blocks (how
 * many, their pages, the largest, their size classes). The areas change in
 * batches, as a replica's do, with a view taken after each, so the sums kept
 * on the tree's nodes are reused across views and must stay true for each.
 */

const PAGES = 6000;
const CALLERS = ['vmalloc', 'ioremap', 'bpf', 'module'];
const OWNERS = ['a', 'b', 'c'];

type Step =
  | { kind: 'insert'; at: number; pages: number; guard: boolean; who: number }
  | { kind: 'lazy' | 'delete'; pick: number }
  | { kind: 'purge' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat({ max: PAGES - 1 }), pages: fc.integer({ min: 1, max: 6 }), guard: fc.boolean(), who: fc.nat({ max: 11 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('lazy' as const, 'delete' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('purge' as const) }) },
);

/** Applies `step` to the tree (copy-on-write: areas are never changed in place), when it fits. */
function apply(tree: BTree<number, VmapArea>, step: Step): void {
  if (step.kind === 'insert') {
    const end = Math.min(PAGES, step.at + step.pages);
    const before = tree.getPairOrNextLower(step.at)?.[1];
    const after = tree.getPairOrNextHigher(step.at)?.[1];
    if ((before !== undefined && before.start + before.pages > step.at) || (after !== undefined && after.start < end)) return;
    tree.set(step.at, makeArea(step.at, end - step.at, step.guard && end - step.at > 1, CALLERS[step.who % 4]!, OWNERS[step.who % 3]!, false, ''));
  } else if (step.kind === 'purge') {
    for (const [start, va] of tree.entries()) if (va.lazy) tree.delete(start);
  } else {
    const busy = [...tree.values()].filter((va) => !va.lazy);
    if (busy.length === 0) return;
    const va = busy[step.pick % busy.length]!;
    if (step.kind === 'lazy') tree.set(va.start, lazyCopy(va));
    else tree.delete(va.start);
  }
}

function sourceOf(view: BTree<number, VmapArea>): MapSource {
  return { floor: (page) => view.getPairOrNextLower(page)?.[1], summarize: (lo, hi, into) => summarizeRange(view, lo, hi, into) };
}

/** What each page holds, read area by area. */
function pageKinds(areas: readonly VmapArea[]): Uint8Array {
  const kinds = new Uint8Array(PAGES); // 0 free, 1 busy, 2 guard, 3 lazy
  for (const va of areas) {
    for (let p = va.start; p < va.start + va.pages; p++) kinds[p] = va.lazy ? 3 : va.guard && p === va.start + va.pages - 1 ? 2 : 1;
  }
  return kinds;
}

function checkMap(view: BTree<number, VmapArea>, from: number, to: number, buckets: number): void {
  const areas = [...view.values()];
  const kinds = pageKinds(areas);
  const map = spaceMap(sourceOf(view), from, to, buckets);
  const n = Math.min(buckets, to - from);
  assert.equal(map.buckets, n);
  for (let i = 0; i < n; i++) {
    const lo = from + Math.floor((i * (to - from)) / n);
    const hi = from + Math.floor(((i + 1) * (to - from)) / n);
    const count = [0, 0, 0, 0];
    for (let p = lo; p < hi; p++) count[kinds[p]!]!++;
    assert.deepEqual([map.free[i], map.busy[i], map.guard[i], map.lazy[i]], count, `bucket ${i} [${lo}, ${hi}) of [${from}, ${to})`);
  }
  assert.equal(map.areas, areas.filter((va) => va.start < to && va.start + va.pages > from).length, 'areas touching the range');
  // Free blocks: runs of free pages, cut at the range's ends.
  const blocks: { start: number; pages: number }[] = [];
  for (let p = from; p < to; p++) {
    if (kinds[p] !== 0) continue;
    const last = blocks.at(-1);
    if (last !== undefined && last.start + last.pages === p) last.pages++;
    else blocks.push({ start: p, pages: 1 });
  }
  assert.equal(map.freeBlocks, blocks.length);
  assert.equal(map.freePages, blocks.reduce((s, b) => s + b.pages, 0));
  const largest = blocks.reduce<{ start: number; pages: number } | null>((best, b) => (best === null || b.pages > best.pages ? b : best), null);
  assert.deepEqual(map.largestFree, largest);
  const classes = new Map<number, { blocks: number; pages: number }>();
  for (const b of blocks) {
    const k = Math.floor(Math.log2(b.pages));
    const c = classes.get(k) ?? { blocks: 0, pages: 0 };
    classes.set(k, { blocks: c.blocks + 1, pages: c.pages + b.pages });
  }
  assert.deepEqual(
    map.freeClasses,
    [...classes].sort((x, y) => x[0] - y[0]).map(([log2, c]) => ({ log2, ...c })),
  );
}

const rangeArb = fc.tuple(fc.nat({ max: PAGES - 1 }), fc.integer({ min: 1, max: PAGES }), fc.integer({ min: 1, max: 300 })).map(([a, len, buckets]) => ({ from: a, to: Math.min(PAGES, a + len), buckets }));

describe('space map', () => {
  it('equals a page-by-page reading of the areas, for any range and bucket count, view after view', () => {
    const treeSizes: number[] = [];
    fc.assert(
      fc.property(fc.array(fc.array(stepArb, { minLength: 1, maxLength: 150, size: 'max' }), { minLength: 1, maxLength: 8 }), fc.array(rangeArb, { minLength: 1, maxLength: 3 }), (batches, ranges) => {
        const tree = new BTree<number, VmapArea>();
        const views: { view: BTree<number, VmapArea>; areas: VmapArea[] }[] = [];
        let most = 0;
        for (const batch of batches) {
          for (const step of batch) apply(tree, step);
          most = Math.max(most, tree.size);
          // A view of the whole batch, as the replica takes; the working tree goes on being written.
          const view = tree.clone();
          views.push({ view, areas: [...view.values()] });
          checkMap(view, 0, PAGES, 97);
          for (const r of ranges) checkMap(view, r.from, r.to, r.buckets);
          // Ranges that end and start exactly at areas: a node whose last area starts at the end is not in the range.
          const starts = [...view.keys()];
          for (const [i, r] of ranges.entries()) {
            const at = starts[(r.from + i) % Math.max(1, starts.length)];
            if (at === undefined || at === 0) continue;
            checkMap(view, 0, at, 1 + (r.buckets % 7));
            checkMap(view, at, PAGES, 1 + (r.buckets % 5));
          }
        }
        treeSizes.push(most);
        // Earlier views still read as they were taken (their nodes' sums were not overwritten).
        for (const { view, areas } of views) {
          assert.deepEqual([...view.values()], areas);
          checkMap(view, 0, PAGES, 64);
        }
      }),
      { numRuns: 60 },
    );
    // The trees grew past one node (32 areas), so the kept sums of inner nodes were used.
    assert.ok(treeSizes.filter((n) => n > 96).length >= 10, `tree sizes ${treeSizes.join(' ')}`);
  });

  it('counts a range with no area as one free block, and an area over the whole range as none', () => {
    const tree = new BTree<number, VmapArea>();
    const empty = spaceMap(sourceOf(tree.clone()), 10, 20, 3);
    assert.deepEqual([empty.freeBlocks, empty.freePages, empty.largestFree, empty.areas], [1, 10, { start: 10, pages: 10 }, 0]);
    tree.set(0, makeArea(0, 100, true, 'c', 'o', false, ''));
    const covered = spaceMap(sourceOf(tree.clone()), 10, 20, 3);
    assert.deepEqual([covered.freeBlocks, covered.freePages, covered.largestFree, covered.areas], [0, 0, null, 1]);
    assert.deepEqual([...covered.busy], [3, 3, 4]);
  });
});

describe('holder index', () => {
  it('gives the top callers and owners each viewer may see, as a count of the areas does', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 300, size: 'max' }), fc.integer({ min: 0, max: 5 }), (steps, limit) => {
        const tree = new BTree<number, VmapArea>();
        const index = new HolderIndex();
        for (const step of steps) {
          const before = new Map(tree.entries());
          apply(tree, step);
          for (const [start, va] of before) {
            const now = tree.get(start);
            if (now === undefined) index.remove(va);
            else if (now !== va) index.freed(va);
          }
          for (const [start, va] of tree.entries()) if (!before.has(start)) index.add(va);
        }
        const areas = [...tree.values()];
        const top = (pick: (va: VmapArea) => string, seen: VmapArea[]): Holder[] => {
          const t = new Map<string, { pages: number; areas: number }>();
          for (const va of seen) {
            const c = t.get(pick(va)) ?? { pages: 0, areas: 0 };
            t.set(pick(va), { pages: c.pages + va.pages, areas: c.areas + 1 });
          }
          return [...t].map(([name, c]) => ({ name, ...c })).sort((x, y) => y.pages - x.pages || (x.name < y.name ? -1 : 1)).slice(0, limit);
        };
        assert.deepEqual(index.top({ admin: true, owner: '' }, limit), { callers: top((va) => va.caller, areas), owners: top((va) => va.owner, areas) });
        for (const owner of OWNERS) {
          const mine = areas.filter((va) => !va.lazy && va.owner === owner);
          const expected = { callers: top((va) => va.caller, mine), owners: mine.length === 0 || limit === 0 ? [] : top((va) => va.owner, mine) };
          assert.deepEqual(index.top({ admin: false, owner }, limit), expected, `owner ${owner}`);
        }
      }),
      { numRuns: 150 },
    );
  });
});
