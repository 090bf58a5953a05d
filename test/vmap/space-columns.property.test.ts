import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeAreaList } from '../../src/store/area-list-codec.js';
import type { AreaColumns } from '../../src/vmap/area-columns.js';
import { VmapError } from '../../src/vmap/errors.js';
import { CorruptAreas } from '../../src/vmap/restore-error.js';
import { VmapSpace } from '../../src/vmap/space.js';
import { makeArea, type AreaList, type VmapArea } from '../../src/vmap/vmap-area.js';

/*
 * A space restored from columns (VmapSpace.fromColumns: the busy areas stay
 * in the columns, and a leaf of the busy index makes its areas when first
 * looked up or written) is the space fromAreas restores from the same
 * areas: the same areas, counters and free blocks, and the same answers to
 * any sequence of writes after it, with views taken before a write never
 * seeing it. Several hundred areas: the busy index has many leaves, so
 * writes split, merge and refill leaves that are made and leaves that are not.
 */

const PAGES = 8192;
const SHAPE = { basePage: 0xffffc90000000, pages: PAGES, lazyMaxPages: 64 };

/** Ascending areas from gaps and sizes; some lazy, some keyed, a few callers and owners. */
const areasArb: fc.Arbitrary<VmapArea[]> = fc
  .array(
    fc.record({
      gap: fc.integer({ min: 0, max: 12 }),
      pages: fc.integer({ min: 1, max: 6 }),
      lazy: fc.nat({ max: 4 }).map((d) => d === 0),
      keyed: fc.boolean(),
      who: fc.nat({ max: 3 }),
    }),
    { minLength: 60, maxLength: 700, size: 'max' },
  )
  .map((specs) => {
    const out: VmapArea[] = [];
    let at = 0;
    for (const [i, s] of specs.entries()) {
      const start = at + s.gap;
      if (start + s.pages > PAGES) break;
      out.push(makeArea(start, s.pages, s.pages > 1, `caller-${s.who}`, `owner-${(s.who + i) % 3}`, s.lazy, s.keyed && !s.lazy ? `req-${i}` : ''));
      at = start + s.pages;
    }
    return out;
  });

function columnsOf(areas: readonly VmapArea[]): AreaColumns {
  return encodeAreaList({ each: (visit) => areas.forEach((va) => visit(va)) }, areas.length);
}

function listed(list: Pick<AreaList, 'each'>): VmapArea[] {
  const out: VmapArea[] = [];
  list.each((va) => out.push({ ...va }));
  return out;
}

/** Everything observable of a space. */
function observe(space: VmapSpace): unknown {
  return { areas: [...space.areas()].map((va) => ({ ...va })), meminfo: space.meminfo(), walk: space.walkMeminfo(), freeBlocks: space.freeBlocks };
}

type Op =
  | { kind: 'alloc'; pages: number; align: number }
  | { kind: 'free'; pick: number }
  | { kind: 'freeRun'; pick: number; down: boolean }
  | { kind: 'release'; pick: number }
  | { kind: 'look'; pick: number }
  | { kind: 'view' }
  | { kind: 'purge' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('alloc' as const), pages: fc.integer({ min: 1, max: 8 }), align: fc.constantFrom(0, 8192, 65536) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('freeRun' as const), pick: fc.nat(), down: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('look' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('view' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('purge' as const) }) },
);

/** Applies `op` to `space`; what it answered (a result, or the error's name and message). */
function run(space: VmapSpace, op: Op, busy: readonly VmapArea[]): unknown {
  try {
    switch (op.kind) {
      case 'alloc':
        return { ...space.alloc({ size: op.pages * 4096, align: op.align, caller: 'c', owner: 'o', requestId: `r${op.pages}` }).area };
      case 'free':
        return busy.length === 0 ? null : { ...space.free(busy[op.pick % busy.length]!.start).area };
      case 'freeRun': {
        // Forty neighbours, up or down the list: leaves underflow and merge with or borrow from the next.
        const from = busy.length === 0 ? 0 : op.pick % busy.length;
        const run = busy.slice(from, from + 40);
        if (op.down) run.reverse();
        return run.map((va) => space.free(va.start, false).area.start);
      }
      case 'release':
        return busy.length === 0 ? null : { ...space.release(busy[op.pick % busy.length]!.start) };
      case 'look': {
        const page = op.pick % PAGES;
        const found = space.find(page);
        const at = space.areaAt(page);
        return [found === undefined ? null : { ...found }, at === undefined ? null : { ...at }];
      }
      case 'purge':
        return space.purge();
      case 'view':
        return null;
    }
  } catch (err) {
    if (!(err instanceof VmapError)) throw err;
    return [err.name, err.message];
  }
}

describe('VmapSpace.fromColumns', () => {
  it('restores the space fromAreas restores, and answers every write after it the same', () => {
    fc.assert(
      fc.property(areasArb, fc.array(opArb, { minLength: 10, maxLength: 200, size: 'max' }), (areas, ops) => {
        const want = VmapSpace.fromAreas(SHAPE, areas);
        const got = VmapSpace.fromColumns(SHAPE, columnsOf(areas));
        assert.deepEqual(observe(got), observe(want));
        assert.equal(got.checkInvariants(), null);
        const views: { view: AreaList; was: VmapArea[] }[] = [];
        for (const op of ops) {
          const busy = [...want.areas()].filter((va) => !va.lazy);
          if (op.kind === 'view') {
            const view = got.view();
            views.push({ view, was: listed(view) });
          }
          assert.deepEqual(run(got, op, busy), run(want, op, busy), `op ${JSON.stringify(op)}`);
        }
        assert.deepEqual(observe(got), observe(want));
        assert.equal(got.checkInvariants(), null);
        for (const { view, was } of views) assert.deepEqual(listed(view), was);
      }),
      { numRuns: 60 },
    );
  });

  for (const order of ['ascending', 'descending'] as const) {
    it(`leaves a view of the restored space as it was, when frees (${order}) make, merge and refill its leaves`, () => {
      const areas = Array.from({ length: 1000 }, (_, i) => makeArea(i * 4, 3, true, 'c', `o${i % 3}`, false, i % 7 === 0 ? `k${i}` : ''));
      const space = VmapSpace.fromColumns(SHAPE, columnsOf(areas));
      const view = space.view();
      // Three of every four freed: every leaf falls below its minimum and takes from a neighbour, made or not.
      const freed = areas.filter((_, i) => i % 4 !== 0);
      if (order === 'descending') freed.reverse();
      for (const va of freed) space.free(va.start, false);
      assert.equal(space.checkInvariants(), null);
      assert.deepEqual(
        [...space.areas()].filter((va) => !va.lazy).map((va) => ({ ...va })),
        areas.filter((_, i) => i % 4 === 0).map((va) => ({ ...va })),
      );
      space.purge();
      assert.deepEqual(listed(view), areas.map((va) => ({ ...va })));
      assert.equal(view.floor(29)?.requestId, 'k7');
      assert.equal(space.areaAt(4), undefined);
      assert.equal(space.areaAt(16)?.start, 16);
      assert.equal(space.checkInvariants(), null);
    });
  }

  it('refuses what fromAreas refuses, with the same error', () => {
    const bad: VmapArea[][] = [
      [makeArea(0, 4, true, 'c', 'o', false, ''), makeArea(3, 2, true, 'c', 'o', false, '')],
      [makeArea(PAGES - 2, 5, true, 'c', 'o', false, '')],
      [makeArea(2, 0, true, 'c', 'o', false, '')],
      [makeArea(0.5, 1, true, 'c', 'o', false, '')],
    ];
    for (const areas of bad) {
      let want: unknown;
      assert.throws(() => VmapSpace.fromAreas(SHAPE, areas), (e) => ((want = e), true));
      assert.throws(
        () => VmapSpace.fromColumns(SHAPE, columnsOf(areas)),
        (e) => e instanceof CorruptAreas && e.message === (want as Error).message && e.page === (want as CorruptAreas).page,
      );
    }
  });

  it('refuses columns that index a text or a request id they do not hold', () => {
    const good = columnsOf([makeArea(0, 2, true, 'c', 'o', false, 'r1'), makeArea(4, 2, true, 'c', 'o', false, '')]);
    const cases: [string, AreaColumns, RegExp][] = [
      ['caller', { ...good, callers: Uint32Array.from([0, 9]) }, /^area at page 4: names a caller or owner/],
      ['owner', { ...good, owners: Uint32Array.from([9, 0]) }, /^area at page 0: names a caller or owner/],
      ['keyed', { ...good, keyed: Uint32Array.from([2]) }, /keyed areas are out of order or out of range/],
      ['ends', { ...good, idEnds: Uint32Array.from([1]) }, /do not end where their text does/],
      ['length', { ...good, flags: Uint8Array.from([0]) }, /columns differ in length/],
    ];
    for (const [what, cols, message] of cases) {
      assert.throws(() => VmapSpace.fromColumns(SHAPE, cols), (e) => e instanceof CorruptAreas && message.test(e.message), what);
    }
  });
});
