import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VmapError } from '../../src/vmap/errors.js';
import { VmapSpace } from '../../src/vmap/space.js';

/*
 * The journal a write batch runs under: after any committed history and any
 * sequence of changes (allocs, lazy frees, releases, purges, the purges they
 * trigger, failed allocs), undoing to a mark gives back exactly the space as
 * it was at that mark: the same areas, free blocks, counters and invariants.
 */

const PAGES = 256;

type Op = { kind: 'alloc'; pages: number; align: number } | { kind: 'free'; pick: number } | { kind: 'release'; pick: number } | { kind: 'purge' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('alloc' as const), pages: fc.integer({ min: 1, max: 24 }), align: fc.constantFrom(0, 8192, 65536) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('purge' as const) }) },
);

/** Applies `op`; an allocator refusal (out of space) is part of the history too. */
function run(space: VmapSpace, op: Op): void {
  const busy = [...space.areas()].filter((va) => !va.lazy);
  try {
    switch (op.kind) {
      case 'alloc':
        space.alloc({ size: op.pages * 4096, align: op.align, caller: 'c', owner: 'o', requestId: `r${op.pages}` });
        break;
      case 'free':
        if (busy.length > 0) space.free(busy[op.pick % busy.length]!.start);
        break;
      case 'release':
        if (busy.length > 0) space.release(busy[op.pick % busy.length]!.start);
        break;
      case 'purge':
        space.purge();
        break;
    }
  } catch (err) {
    if (!(err instanceof VmapError)) throw err;
  }
}

/** Everything observable of a space. */
function observe(space: VmapSpace): unknown {
  return { areas: [...space.areas()].map((va) => ({ ...va })), meminfo: space.meminfo(), walk: space.walkMeminfo(), freeBlocks: space.freeBlocks };
}

describe('space journal', () => {
  it('undoing to a mark restores the space exactly as it was there', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.array(opArb, { minLength: 1, maxLength: 40 }), fc.nat(), (history, batch, cut) => {
        // lazyMaxPages 32: frees trigger purges now and then, and allocs purge when full.
        const space = new VmapSpace({ basePage: 0xffffc90000000, pages: PAGES, lazyMaxPages: 32 });
        for (const op of history) run(space, op);
        const view = space.view();
        const viewed = [...view.from(0)].map((va) => ({ ...va }));
        const start = observe(space);
        space.beginJournal();
        const at = cut % (batch.length + 1);
        const states: unknown[] = [];
        const marks: number[] = [];
        batch.forEach((op, i) => {
          if (i === at) {
            states.push(observe(space));
            marks.push(space.journalMark);
          }
          run(space, op);
        });
        if (at === batch.length) {
          states.push(observe(space));
          marks.push(space.journalMark);
        }
        // Undo the tail to the cut, then everything.
        space.undoTo(marks[0]!);
        assert.deepEqual(observe(space), states[0]);
        assert.equal(space.checkInvariants(), null);
        space.undoTo(0);
        space.endJournal();
        assert.equal(space.checkInvariants(), null);
        // A view taken before the batch never saw any of it.
        assert.deepEqual([...view.from(0)].map((va) => ({ ...va })), viewed);
        assert.deepEqual(observe(space), start, 'after undoing the whole batch the space is what it was before it');
        // And the space goes on working from there.
        for (const op of batch) run(space, op);
        assert.equal(space.checkInvariants(), null);
      }),
      { numRuns: 300 },
    );
  });
});
