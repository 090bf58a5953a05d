/**
 * The owner index of a restart: usage counted at once, request ids indexed
 * later, in background slices (settleSome), or all at once by the first
 * lookup or write (settle). However far the slices got, every keyed busy
 * area is found afterwards, and nothing else is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OwnerIndex } from '../../src/service/owner-index.js';
import { encodeAreaList } from '../../src/store/area-list-codec.js';
import { VmapSpace } from '../../src/vmap/space.js';
import { makeArea, type VmapArea } from '../../src/vmap/vmap-area.js';

const AREAS = 5_000;

/** Busy areas, every other one keyed, every seventh lazy (a lazy area keeps no request id). */
const areas: VmapArea[] = Array.from({ length: AREAS }, (_, i) => {
  const lazy = i % 7 === 3;
  return makeArea(i * 2, 1, true, 'c', `owner-${i % 4}`, lazy, lazy || i % 2 === 1 ? '' : `req-${i}`);
});
const space = (): VmapSpace => VmapSpace.fromAreas({ basePage: 0, pages: 4 * AREAS, lazyMaxPages: 10 * AREAS }, areas);

/** Checks that `index` names exactly the keyed busy areas. */
function namesExactly(index: OwnerIndex): void {
  for (const va of areas) {
    if (va.requestId !== '') assert.equal(index.lookup(va.owner, va.requestId), va.start, `req ${va.requestId}`);
  }
  assert.equal(index.lookup('owner-0', 'req-1'), undefined, 'an unkeyed area names nothing');
  assert.equal(index.lookup('owner-1', 'req-0'), undefined, "another owner's id names nothing");
}

describe('owner index of a restart', () => {
  it('counts usage at once and indexes the request ids in slices until done', () => {
    const index = OwnerIndex.of(space().view());
    const busy = areas.filter((va) => !va.lazy && va.owner === 'owner-2').length;
    assert.deepEqual(index.usageOf('owner-2'), { bytes: busy * 4096, areas: busy });
    let slices = 1;
    while (!index.settleSome(700)) slices++;
    assert.equal(slices, Math.ceil(AREAS / 700) + (AREAS % 700 === 0 ? 1 : 0));
    assert.equal(index.settleSome(700), true, 'done stays done');
    namesExactly(index);
  });

  it('finishes the rest at the first lookup, however far the slices got', () => {
    for (const sliced of [0, 1, 2_500, 4_999]) {
      const index = OwnerIndex.of(space().view());
      if (sliced > 0) assert.equal(index.settleSome(sliced), false);
      namesExactly(index);
    }
  });

  it('counts the same usage from the recovered columns as from the list', () => {
    const view = space().view();
    const columns = encodeAreaList(view, AREAS);
    const fromList = OwnerIndex.of(view);
    const fromColumns = OwnerIndex.of(view, columns);
    for (const owner of ['owner-0', 'owner-1', 'owner-2', 'owner-3', 'c', 'nobody']) assert.deepEqual(fromColumns.usageOf(owner), fromList.usageOf(owner), owner);
    assert.ok(fromColumns.usageOf('owner-3').areas > 0);
    namesExactly(fromColumns);
  });

  it('finishes the rest before a write changes it', () => {
    const index = OwnerIndex.of(space().view());
    index.settleSome(1_000);
    const last = areas.filter((va) => va.requestId !== '').at(-1)!;
    index.remove(last);
    assert.equal(index.lookup(last.owner, last.requestId), undefined);
    const added = makeArea(4 * AREAS - 2, 1, true, 'c', 'owner-0', false, 'new');
    index.add(added);
    assert.equal(index.lookup('owner-0', 'new'), added.start);
    assert.equal(index.lookup(areas[0]!.owner, areas[0]!.requestId), areas[0]!.start);
  });
});
