import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { NoSuchArea } from '../../src/vmap/errors.js';
import { VmapSpace } from '../../src/vmap/space.js';
import type { AreaList, VmapArea } from '../../src/vmap/vmap-area.js';

/*
 * Lazily freed areas leave the busy index for the purge list (as in the
 * kernel), yet every ordered walk, view and lookup must still see them where
 * they lie. These tests pin that down, and that a view stays frozen however
 * the purge list changes behind it.
 */

const P = 4096;

function space(pages = 1024, lazyMaxPages = 1 << 20): VmapSpace {
  return new VmapSpace({ basePage: 0, pages, lazyMaxPages });
}

/** Allocates exactly `pages` pages (no guard page) and returns the start. */
function take(s: VmapSpace, pages: number): number {
  return s.alloc({ size: pages * P, noGuard: true }).area.start;
}

const starts = (it: Iterable<VmapArea>): number[] => [...it].map((va) => va.start);
const shape = (it: Iterable<VmapArea>): [number, number, boolean][] => [...it].map((va) => [va.start, va.pages, va.lazy]);

describe('lazy areas in walks and lookups', () => {
  it('areas() and view().from() merge lazy areas in ascending order, whatever the free order', () => {
    const s = space();
    const a = Array.from({ length: 10 }, (_, i) => take(s, 1 + (i % 3)));
    for (const i of [7, 2, 9, 0, 4]) s.free(a[i]!);
    const lazy = new Set([a[7], a[2], a[9], a[0], a[4]]);
    const want = a.map((start) => lazy.has(start));
    assert.deepEqual([...s.areas()].map((va) => va.lazy), want);
    assert.deepEqual(starts(s.areas()), a);
    assert.deepEqual(starts(s.view().from(0)), a);
    // From a lazy area's start, from a page inside it, and from past everything.
    assert.deepEqual(starts(s.areas(a[2]!)), a.slice(2));
    assert.deepEqual(starts(s.view().from(a[2]! + 1)), a.slice(3));
    assert.deepEqual(starts(s.view().from(a[9]! + 100)), []);
  });

  it('areaAt returns lazy areas, find never does, free of a lazy area fails', () => {
    const s = space();
    const x = take(s, 4);
    const y = take(s, 4);
    s.free(x);
    assert.equal(s.areaAt(x)?.lazy, true);
    assert.equal(s.areaAt(x + 1), undefined);
    assert.equal(s.find(x), undefined);
    assert.equal(s.find(x + 3), undefined);
    assert.equal(s.find(y)?.start, y);
    assert.throws(() => s.free(x), NoSuchArea);
    assert.throws(() => s.release(x), NoSuchArea);
    s.purge();
    assert.equal(s.areaAt(x), undefined);
  });

  it('view().floor() sees lazy and busy areas alike', () => {
    const s = space();
    const a = take(s, 2);
    const b = take(s, 2);
    const c = take(s, 2);
    s.free(b);
    const v = s.view();
    assert.equal(v.floor(a + 1)?.start, a);
    assert.equal(v.floor(b)?.lazy, true);
    assert.equal(v.floor(b + 1)?.start, b);
    assert.equal(v.floor(c + 5)?.start, c);
    assert.equal(v.floor(a - 1), undefined);
    assert.equal(v.floor(NaN), undefined);
    // Once the slice has been sorted (by a walk), floor answers the same.
    assert.deepEqual(starts(v.from(0)), [a, b, c]);
    assert.equal(v.floor(b + 1)?.start, b);
    assert.equal(v.floor(c)?.start, c);
  });

  it('view().floor() on a long purge list (sorted rather than scanned) agrees with the walk', () => {
    const s = space(8192);
    const a = Array.from({ length: 2000 }, (_, i) => take(s, 1 + (i % 3)));
    for (let i = 0; i < a.length; i += 3) s.free(a[(i * 7) % a.length]!);
    const v = s.view();
    const list = [...s.areas()];
    assert.ok(s.meminfo().nrLazyAreas > 512);
    for (let k = 0; k < list.length; k += 17) {
      const va = list[k]!;
      assert.equal(v.floor(va.start), va);
      assert.equal(v.floor(va.start + va.pages - 1), va);
    }
  });

  it('fromAreas keeps lazy areas lazy and in place', () => {
    const s = space();
    const a = Array.from({ length: 6 }, () => take(s, 3));
    s.free(a[4]!);
    s.free(a[1]!);
    const copy = VmapSpace.fromAreas({ basePage: 0, pages: 1024, lazyMaxPages: 1 << 20 }, s.view().from(0));
    assert.deepEqual(shape(copy.areas()), shape(s.areas()));
    assert.deepEqual(copy.meminfo(), s.meminfo());
    assert.equal(copy.checkInvariants(), null);
    copy.purge();
    assert.deepEqual(starts(copy.areas()), [a[0], a[2], a[3], a[5]]);
  });
});

/** A view answers floor() and from() exactly as the list (start, pages, lazy) captured with it. */
function checkView(view: AreaList, list: readonly [number, number, boolean][]): void {
  const mid = list.length === 0 ? 0 : list[list.length >> 1]![0];
  // floor() first: on a slice not yet sorted it scans the purge list as it is.
  for (const page of [0, mid - 1, mid, mid + 1, 511]) {
    const want = list.filter(([start]) => start <= page).at(-1);
    const got = view.floor(page);
    assert.deepEqual(got === undefined ? undefined : [got.start, got.pages, got.lazy], want);
  }
  for (const page of [0, mid - 1, mid, mid + 1, 511]) {
    assert.deepEqual(shape(view.from(page)), list.filter(([start]) => start >= page));
  }
  const walked: VmapArea[] = [];
  view.each((va) => walked.push(va));
  assert.deepEqual(shape(walked), list, 'each() walks the same areas as from(0)');
}

describe('view stays frozen', () => {
  it('across frees, allocs, releases and purges, including frees after a purge', () => {
    const s = space();
    const a = Array.from({ length: 8 }, () => take(s, 2));
    s.free(a[3]!);
    s.free(a[6]!);
    // Read before the view is taken: the walk then sorts a slice the view does
    // not share, and the view's own slice stays unsorted, reading the live array.
    const frozen = shape(s.areas());
    s.free(a[5]!);
    const v = s.view();
    frozen[5]![2] = true;
    s.free(a[1]!); // appends to the purge list the view holds a slice of
    s.release(a[0]!);
    s.purge(); // must replace the purge list, not truncate the view's array
    s.free(a[2]!); // appends to the new list
    take(s, 5);
    assert.deepEqual(shape(v.from(0)), frozen);
    assert.equal(v.floor(a[1]!)?.lazy, false);
    assert.equal(v.floor(a[3]!)?.lazy, true);
  });

  it('random writes never show in an earlier view (model: the list captured at view time)', () => {
    type Op = { kind: 'alloc'; pages: number } | { kind: 'free'; pick: number } | { kind: 'release'; pick: number } | { kind: 'purge' } | { kind: 'view' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.integer({ min: 1, max: 9 }).map((pages) => ({ kind: 'alloc' as const, pages })) },
      { weight: 4, arbitrary: fc.nat().map((pick) => ({ kind: 'free' as const, pick })) },
      { weight: 1, arbitrary: fc.nat().map((pick) => ({ kind: 'release' as const, pick })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'purge' as const }) },
      { weight: 2, arbitrary: fc.constant({ kind: 'view' as const }) },
    );
    type Shape = [number, number, boolean];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40 }), fc.array(op, { maxLength: 120 }), (lazyMax, ops) => {
        const s = space(512, lazyMax);
        // The expected areas, kept beside the space rather than read from it: a
        // walk of the space would sort the purge-list slice it shares with the
        // newest view, and a view read for the first time after later writes
        // must be frozen on its own.
        const model = new Map<number, Shape>();
        const dropLazy = (): void => {
          for (const [k, [, , lazy]] of model) if (lazy) model.delete(k);
        };
        const expected = (): Shape[] => [...model.values()].sort((x, y) => x[0] - y[0]);
        const views: { view: AreaList; list: Shape[] }[] = [];
        for (const o of ops) {
          const busy = [...model.values()].filter(([, , lazy]) => !lazy);
          if (o.kind === 'alloc') {
            try {
              const r = s.alloc({ size: o.pages * P, noGuard: true });
              if (r.purged) dropLazy();
              model.set(r.area.start, [r.area.start, o.pages, false]);
            } catch {
              if (s.meminfo().nrLazyAreas === 0) dropLazy(); // out of space, after a purge
            }
          } else if (o.kind === 'free' && busy.length > 0) {
            const start = busy[o.pick % busy.length]![0];
            model.set(start, [start, model.get(start)![1], true]);
            if (s.free(start).purged) dropLazy();
          } else if (o.kind === 'release' && busy.length > 0) {
            const start = busy[o.pick % busy.length]![0];
            s.release(start);
            model.delete(start);
          } else if (o.kind === 'purge') {
            s.purge();
            dropLazy();
          } else if (o.kind === 'view') {
            views.push({ view: s.view(), list: expected() });
          }
          // areaAt and find without walking the space (they must not sort the slice either way).
          for (const [start, , lazy] of model.values()) {
            assert.equal(s.areaAt(start)?.lazy, lazy);
            assert.equal(s.find(start)?.start, lazy ? undefined : start);
          }
          // Every other view is read after each step; the rest only at the end,
          // so some are read for the first time after many writes.
          views.forEach((v, i) => {
            if (i % 2 === 1) checkView(v.view, v.list);
          });
        }
        for (const { view, list } of views) checkView(view, list);
        assert.deepEqual(shape(s.areas()), expected());
        assert.equal(s.checkInvariants(), null);
      }),
      { numRuns: 150 },
    );
  });
});
