import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Change } from '../../src/store/store.js';
import { decodeAreaList, encodeAreaList } from '../../src/store/area-list-codec.js';
import { ChangeCodecError, decodeChanges, encodeChanges } from '../../src/store/change-codec.js';
import { makeArea, type VmapArea } from '../../src/vmap/vmap-area.js';

const areaArb = fc
  .record({
    start: fc.nat({ max: 2 ** 40 }),
    pages: fc.integer({ min: 1, max: 2 ** 32 }),
    guard: fc.boolean(),
    // Any text a client may send: quotes, separators, NULs, astral characters.
    caller: fc.string({ unit: 'binary', maxLength: 40 }),
    owner: fc.string({ unit: 'binary', maxLength: 20 }),
    lazy: fc.boolean(),
    requestId: fc.string({ unit: 'binary', maxLength: 20 }),
  })
  .map((a) => makeArea(a.start, a.pages, a.guard, a.caller, a.owner, a.lazy, a.requestId));

const changeArb: fc.Arbitrary<Change> = fc.oneof(
  areaArb.map((area) => ({ op: 'insert' as const, area })),
  fc.nat({ max: 2 ** 40 }).map((start) => ({ op: 'lazy' as const, start })),
  fc.nat({ max: 2 ** 40 }).map((start) => ({ op: 'delete' as const, start })),
  fc.constant({ op: 'purge' as const }),
);

/** `areas` as the `each` of an AreaList. */
const listOf = (areas: readonly VmapArea[]): { each(visit: (va: VmapArea) => void): void } => ({ each: (visit) => areas.forEach((va) => visit(va)) });

describe('change stream wire form', () => {
  it('gives back exactly the changes and areas it was given, through a structured clone', () => {
    fc.assert(
      fc.property(fc.array(changeArb, { maxLength: 60 }), fc.array(areaArb, { maxLength: 30 }), (changes, areas) => {
        assert.deepEqual(decodeChanges(structuredClone(encodeChanges(changes))), changes);
        // An area list: ascending by start; a lazy area keeps no request id, as the allocator makes them.
        const list = [...new Map(areas.map((a) => [a.start, a])).values()]
          .sort((a, b) => a.start - b.start)
          .map((a) => (a.lazy ? { ...a, requestId: '' } : a));
        assert.deepEqual(decodeAreaList(structuredClone(encodeAreaList(listOf(list), list.length))), list);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses what no encoder writes', () => {
    const good = encodeChanges([{ op: 'insert', area: makeArea(0, 2, true, 'c', 'o', false, '') }]);
    assert.throws(() => decodeChanges({ ...good, ops: Uint8Array.of(9) }), ChangeCodecError);
    assert.throws(() => decodeChanges({ ...good, texts: '[]' }), ChangeCodecError);
    assert.throws(() => decodeChanges({ ...good, texts: '[1,2,3]' }), ChangeCodecError);
    assert.throws(() => decodeChanges({ ...good, textIds: Uint32Array.of(0, 1) }), ChangeCodecError);
    assert.throws(() => decodeChanges({ ...good, textIds: Uint32Array.of(0, 1, 7) }), ChangeCodecError);
  });

  it('refuses an area list that is not well formed', () => {
    const good = encodeAreaList(listOf([makeArea(0, 2, true, 'c', 'o', false, 'r'), makeArea(2, 3, false, 'c', 'p', true, '')]), 2);
    assert.equal(decodeAreaList(good).length, 2);
    assert.throws(() => decodeAreaList({ ...good, texts: ['c'] }), ChangeCodecError);
    assert.throws(() => decodeAreaList({ ...good, requestIds: '[]' }), ChangeCodecError);
    assert.throws(() => decodeAreaList({ ...good, keyed: Uint32Array.of(5) }), ChangeCodecError);
    assert.throws(() => decodeAreaList({ ...good, pages: new Float64Array(1) }), ChangeCodecError);
    assert.throws(() => encodeAreaList(listOf([makeArea(0, 2, true, 'c', 'o', false, '')]), 2), RangeError);
  });
});
