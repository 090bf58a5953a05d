import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { applyDelta } from '../../src/store/area-delta.js';
import { decodeAreaList, encodeAreaFields, type EncodedAreaList } from '../../src/store/area-list-codec.js';

/*
 * An image brought up to date (applyDelta) is the list a simple model gives:
 * a map from start to area, each changed row put in, each removed start
 * taken out unless a changed row is there, read back ascending. Texts new in
 * the changed rows, request ids on both sides, and removals of starts the
 * image never had are all in the mix.
 */

interface Row {
  readonly start: number;
  readonly pages: number;
  readonly guard: boolean;
  readonly lazy: boolean;
  readonly caller: string;
  readonly owner: string;
  readonly requestId: string;
}

const rowArb = (start: number): fc.Arbitrary<Row> =>
  fc.record({
    start: fc.constant(start),
    pages: fc.integer({ min: 1, max: 9 }),
    guard: fc.boolean(),
    lazy: fc.boolean(),
    caller: fc.constantFrom('a', 'b', 'c', 'é', 'new'),
    owner: fc.constantFrom('o1', 'o2', 'o3'),
    requestId: fc.oneof(fc.constant(''), fc.string({ minLength: 1, maxLength: 4, unit: 'binary' })),
  }).map((r) => ({ ...r, requestId: r.lazy ? '' : r.requestId }));

/** Rows at distinct starts drawn from [0, 300), ascending. */
const rowsArb = (oldTexts: boolean): fc.Arbitrary<Row[]> =>
  fc
    .uniqueArray(fc.nat({ max: 299 }), { maxLength: 120 })
    .chain((starts) => fc.tuple(...[...starts].sort((a, b) => a - b).map(rowArb)))
    .map((rows) => (oldTexts ? rows.map((r) => (r.caller === 'new' ? { ...r, caller: 'a' } : r)) : rows));

const encode = (rows: readonly Row[]): EncodedAreaList =>
  encodeAreaFields(rows.length, (put) => {
    for (const r of rows) put(r.start, r.pages, r.guard, r.lazy, r.caller, r.owner, r.requestId);
  });

const fields = (list: EncodedAreaList): Row[] =>
  decodeAreaList(list).map((va) => ({ start: va.start, pages: va.pages, guard: va.guard, lazy: va.lazy, caller: va.caller, owner: va.owner, requestId: va.requestId }));

describe('applyDelta', () => {
  it('is the image with the changed rows put in and the removed starts taken out', () => {
    fc.assert(
      fc.property(rowsArb(true), rowsArb(false), fc.uniqueArray(fc.nat({ max: 299 }), { maxLength: 80 }), (image, changed, removedStarts) => {
        const removed = [...removedStarts].sort((a, b) => a - b);
        const model = new Map(image.map((r) => [r.start, r]));
        for (const s of removed) model.delete(s);
        for (const r of changed) model.set(r.start, r);
        const want = [...model.values()].sort((a, b) => a.start - b.start);
        const got = applyDelta(encode(image), encode(changed), removed);
        assert.deepEqual(fields(got), want);
        assert.equal(got.requestIds, want.map((r) => r.requestId).join(''));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the image itself when nothing changed', () => {
    const image = encode([{ start: 3, pages: 2, guard: true, lazy: false, caller: 'a', owner: 'o', requestId: 'r' }]);
    assert.equal(applyDelta(image, encode([]), []), image);
  });
});
