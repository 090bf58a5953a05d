import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CorruptAreas } from '../../src/vmap/restore-error.js';
import { VmapSpace } from '../../src/vmap/space.js';
import { makeArea, type VmapArea } from '../../src/vmap/vmap-area.js';

/*
 * Rebuilding a space from a list of areas: the list comes from a store on
 * disk, so whatever does not describe a space is refused with CorruptAreas,
 * naming the first area at fault.
 */

const SHAPE = { basePage: 0, pages: 64, lazyMaxPages: 8 };

function area(start: number, pages: number, lazy = false, requestId = ''): VmapArea {
  return makeArea(start, pages, true, 'c', 'o', lazy, requestId);
}

function isCorrupt(page: number, message: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof CorruptAreas, `expected CorruptAreas, got ${String(e)}`);
    assert.ok(e instanceof Error);
    assert.equal(e.code, 'VMAP_ERR_CORRUPT_AREAS');
    assert.equal(e.name, 'CorruptAreas');
    assert.equal(e.page, page);
    assert.match(e.message, new RegExp(`^area at page ${page}\\b`));
    assert.match(e.message, message);
    return true;
  };
}

describe('VmapSpace.fromAreas', () => {
  it('rebuilds busy and lazy areas; a lazy one keeps no request id and nothing is purged', () => {
    const s = VmapSpace.fromAreas(SHAPE, [area(0, 4, false, 'r-1'), area(4, 10, true, 'r-2'), area(20, 2)]);
    assert.deepEqual(
      [...s.areas()].map((va) => [va.start, va.pages, va.lazy, va.requestId]),
      [
        [0, 4, false, 'r-1'],
        [4, 10, true, ''],
        [20, 2, false, ''],
      ],
    );
    assert.equal(s.meminfo().lazy, 10 * 4096); // over lazyMaxPages, still lazy
    assert.equal(s.checkInvariants(), null);
  });
  it('refuses an area that overlaps or precedes the one before', () => {
    assert.throws(() => VmapSpace.fromAreas(SHAPE, [area(0, 4), area(3, 2)]), isCorrupt(3, /overlaps or precedes the area ending at page 4$/));
    assert.throws(() => VmapSpace.fromAreas(SHAPE, [area(10, 4), area(2, 2)]), isCorrupt(2, /overlaps or precedes the area ending at page 14$/));
    assert.throws(() => VmapSpace.fromAreas(SHAPE, [area(-1, 2)]), isCorrupt(-1, /overlaps or precedes the area ending at page 0$/));
  });
  it('refuses an area that runs past the end of the space', () => {
    assert.throws(() => VmapSpace.fromAreas(SHAPE, [area(60, 5)]), isCorrupt(60, /\(5 pages\) runs past the end of the space$/));
  });
  it('refuses a malformed area', () => {
    assert.throws(() => VmapSpace.fromAreas(SHAPE, [area(2, 0)]), isCorrupt(2, /: malformed \(pages 0\)$/));
    assert.throws(() => VmapSpace.fromAreas(SHAPE, [area(2, 1.5)]), isCorrupt(2, /: malformed \(pages 1\.5\)$/));
    assert.throws(() => VmapSpace.fromAreas(SHAPE, [area(0.5, 1)]), isCorrupt(0.5, /: malformed \(pages 1\)$/));
  });
});
