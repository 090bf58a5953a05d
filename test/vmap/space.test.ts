import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgument, NoSuchArea, OutOfSpace } from '../../src/vmap/errors.js';
import { SpaceGeometry } from '../../src/vmap/geometry.js';
import type { AllocRequest } from '../../src/vmap/requests.js';
import { DEFAULT_LAZY_MAX_PAGES } from '../../src/vmap/space-shape.js';
import { VmapSpace } from '../../src/vmap/space.js';
import type { AreaList, VmapArea } from '../../src/vmap/vmap-area.js';

const P = 4096;
/** Absolute page number of the default base 0xffffc90000000000. */
const DEFAULT_BASE_PAGE = 0xffffc90000000;
/** 32 TiB in pages. */
// The default space's pages: 32 TiB but the last page, which VMALLOC_END leaves out.
const DEFAULT_PAGES = 2 ** 33 - 1;

function space(pages = 64, lazyMaxPages = 1 << 20, basePage = 0): VmapSpace {
  return new VmapSpace({ basePage, pages, lazyMaxPages });
}

function defaultSpace(basePage = DEFAULT_BASE_PAGE): VmapSpace {
  return new VmapSpace({ basePage, pages: DEFAULT_PAGES });
}

/** Allocates exactly `pages` pages (no guard page) and returns the start. */
function take(s: VmapSpace, pages: number, extra: Partial<AllocRequest> = {}): number {
  return s.alloc({ size: pages * P, noGuard: true, ...extra }).area.start;
}

/** Everything observable about a space's state. */
function state(s: VmapSpace): { meminfo: unknown; areas: VmapArea[] } {
  return { meminfo: s.meminfo(), areas: [...s.areas()] };
}

function healthy(s: VmapSpace): void {
  assert.equal(s.checkInvariants(), null);
  assert.deepEqual(s.meminfo(), s.walkMeminfo());
}

function isInvalid(field: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof InvalidArgument, `expected InvalidArgument, got ${String(e)}`);
    assert.equal(e.field, field);
    return true;
  };
}

function isA(cls: typeof NoSuchArea | typeof OutOfSpace): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    return true;
  };
}

describe('VmapSpace construction', () => {
  it('starts empty: one free block spanning the space', () => {
    const s = space(64);
    assert.deepEqual(s.meminfo(), { total: 64 * P, used: 0, chunk: 64 * P, lazy: 0, nrAreas: 0, nrLazyAreas: 0 });
    assert.deepEqual([...s.areas()], []);
    healthy(s);
  });
  it('uses the same default base and size as the geometry', () => {
    const g = new SpaceGeometry();
    assert.equal(g.basePage, DEFAULT_BASE_PAGE);
    assert.equal(g.pages, DEFAULT_PAGES);
  });
  it('without lazyMaxPages, keeps DEFAULT_LAZY_MAX_PAGES lazy pages and purges on one more', () => {
    const s = new VmapSpace({ basePage: 0, pages: 2 * DEFAULT_LAZY_MAX_PAGES });
    const most = take(s, DEFAULT_LAZY_MAX_PAGES - 1);
    const one = take(s, 1);
    const last = take(s, 1);
    assert.equal(s.free(most).purged, null);
    assert.equal(s.free(one).purged, null); // exactly the default: kept
    assert.deepEqual(s.free(last).purged, { areas: 3, pages: DEFAULT_LAZY_MAX_PAGES + 1 });
  });
  it('rejects bad shapes, naming the setting', () => {
    assert.throws(() => new VmapSpace({ basePage: -1, pages: 64 }), isInvalid('space-base'));
    assert.throws(() => new VmapSpace({ basePage: 0.5, pages: 64 }), isInvalid('space-base'));
    assert.throws(() => new VmapSpace({ basePage: 0, pages: 0 }), isInvalid('space-size'));
    assert.throws(() => new VmapSpace({ basePage: 2 ** 52 - 10, pages: 11 }), isInvalid('space-size'));
    assert.throws(() => new VmapSpace({ basePage: 0, pages: 64, lazyMaxPages: -1 }), isInvalid('lazy-max-pages'));
    // The largest legal space ends exactly at 2^64.
    assert.equal(new VmapSpace({ basePage: 2 ** 52 - 10, pages: 10 }).pages, 10);
  });
});

describe('alloc: sizes and guard pages', () => {
  it('rounds the size up to pages and adds one guard page', () => {
    const s = space(64);
    const a = s.alloc({ size: 1 }).area; // 1 page + guard
    const b = s.alloc({ size: P }).area; // 1 page + guard
    const c = s.alloc({ size: P + 1 }).area; // 2 pages + guard
    assert.deepEqual([a.start, a.pages, a.guard], [0, 2, true]);
    assert.deepEqual([b.start, b.pages], [2, 2]);
    assert.deepEqual([c.start, c.pages], [4, 3]);
    assert.equal(s.meminfo().used, 7 * P);
    assert.equal(s.meminfo().nrAreas, 3);
    assert.equal(s.meminfo().chunk, (64 - 7) * P);
    healthy(s);
  });
  it('noGuard leaves the guard page out', () => {
    const s = space(64);
    const a = s.alloc({ size: P, noGuard: true }).area;
    const b = s.alloc({ size: 2 * P - 1, noGuard: true }).area;
    assert.deepEqual([a.start, a.pages, a.guard], [0, 1, false]);
    assert.deepEqual([b.start, b.pages, b.guard], [1, 2, false]);
    assert.equal(s.meminfo().used, 3 * P);
    healthy(s);
  });
  it('keeps caller, owner and request id, defaulting them to the empty string', () => {
    const s = space(64);
    const a = s.alloc({ size: P, caller: 'vmalloc+0x1a', owner: 'alice', requestId: 'r-1' }).area;
    const b = s.alloc({ size: P }).area;
    assert.deepEqual([a.caller, a.owner, a.requestId, a.lazy], ['vmalloc+0x1a', 'alice', 'r-1', false]);
    assert.deepEqual([b.caller, b.owner, b.requestId], ['', '', '']);
    assert.equal(s.areaAt(a.start), a);
    // Freeing keeps caller and owner for vmallocinfo but drops the request id.
    const lazy = s.free(a.start).area;
    assert.deepEqual([lazy.caller, lazy.owner, lazy.requestId, lazy.lazy], ['vmalloc+0x1a', 'alice', '', true]);
  });
  it('accepts a size (with guard) equal to the whole space and rejects one page more', () => {
    const s = space(64);
    const a = s.alloc({ size: 63 * P }).area;
    assert.deepEqual([a.start, a.pages], [0, 64]);
    assert.equal(s.meminfo().chunk, 0);
    healthy(s);
    assert.throws(() => space(64).alloc({ size: 63 * P + 1 }), isInvalid('size'));
    assert.equal(space(64).alloc({ size: 64 * P, noGuard: true }).area.pages, 64);
    assert.throws(() => space(64).alloc({ size: 64 * P + 1, noGuard: true }), isInvalid('size'));
  });
  it('reports a size that fits the space but not the free space as OutOfSpace, not InvalidArgument', () => {
    const s = space(64);
    take(s, 1);
    assert.throws(() => s.alloc({ size: 64 * P, noGuard: true }), isA(OutOfSpace));
  });
});

describe('alloc: placement', () => {
  it('packs allocations from the bottom and reuses the lowest hole that fits', () => {
    const s = space(64);
    assert.equal(take(s, 4), 0);
    assert.equal(take(s, 4), 4);
    assert.equal(take(s, 4), 8);
    s.free(4);
    s.purge();
    // [4, 8) is free again: a 5-page request does not fit there, a 4-page one does.
    assert.equal(take(s, 5), 12);
    assert.equal(take(s, 3), 4);
    assert.equal(take(s, 1), 7);
    assert.equal(take(s, 1), 17);
    healthy(s);
  });
  it('takes a fit that ends exactly at vend', () => {
    const s = space(64);
    // 9 pages + guard = 10 pages in [0, 10).
    const a = s.alloc({ size: 9 * P, vend: 10 }).area;
    assert.deepEqual([a.start, a.pages], [0, 10]);
    // [10, 16) holds 5 pages + guard exactly.
    const b = s.alloc({ size: 5 * P, vstart: 10, vend: 16 }).area;
    assert.equal(b.start + b.pages, 16);
    assert.equal(b.start, 10);
    // One byte more needs one page more, which would cross vend.
    assert.throws(() => s.alloc({ size: 5 * P + 1, vstart: 16, vend: 22 }), isA(OutOfSpace));
    healthy(s);
  });
  it('takes a fit ending exactly at vend after a busy area', () => {
    const s = space(64);
    take(s, 4);
    const a = s.alloc({ size: 5 * P, vend: 10 }).area; // 6 pages in [4, 10)
    assert.deepEqual([a.start, a.start + a.pages], [4, 10]);
    assert.throws(() => s.alloc({ size: 1, vend: 11 }), isA(OutOfSpace)); // 2 pages, only [10, 11) free below 11
  });
  it('starts at the end of a busy area when vstart lies inside it', () => {
    const s = space(64);
    take(s, 8); // [0, 8)
    assert.equal(s.alloc({ size: P, vstart: 3 }).area.start, 8);
    assert.equal(s.alloc({ size: P, vstart: 20 }).area.start, 20);
    healthy(s);
  });
  it('treats a lazily freed range as reserved, also for vstart inside it', () => {
    const s = space(64);
    take(s, 8); // [0, 8)
    take(s, 2); // [8, 10)
    s.free(0);
    assert.equal(s.alloc({ size: P, vstart: 3 }).area.start, 10);
    assert.equal(take(s, 1), 12);
    assert.equal(s.meminfo().nrLazyAreas, 1);
    healthy(s);
  });
  it('fails with OutOfSpace when the range is too small and leaves the state alone', () => {
    const s = space(64);
    take(s, 3);
    const before = state(s);
    assert.throws(() => s.alloc({ size: 4 * P, vstart: 60 }), isA(OutOfSpace)); // 5 pages in [60, 64)
    assert.throws(() => s.alloc({ size: P, vstart: 1, vend: 3 }), isA(OutOfSpace)); // [1, 3) is busy
    assert.deepEqual(state(s), before);
  });
});

describe('alloc: alignment of the absolute address', () => {
  it('aligns to multiples of pages on a zero base', () => {
    const s = space(64);
    take(s, 1); // [0, 1)
    assert.equal(take(s, 1, { align: 2 * P }), 2);
    assert.equal(take(s, 1, { align: 4 * P }), 4);
    assert.equal(take(s, 1, { align: 16 * P }), 16);
    // Holes left below: 1, 3, 5..16; an unaligned request takes the lowest.
    assert.equal(take(s, 1), 1);
    assert.equal(take(s, 2), 5);
    healthy(s);
  });
  it('treats an alignment below a page as a page', () => {
    for (const align of [1, 2, 512, 2048, 4096]) {
      const s = space(64);
      take(s, 1);
      assert.equal(take(s, 1, { align }), 1, `align ${align}`);
    }
  });
  it('aligns on the absolute address when the base is not aligned', () => {
    // basePage 5: absolute page 5 + start must be a multiple of 8 pages.
    const s = space(64, 1 << 20, 5);
    assert.equal(take(s, 1, { align: 8 * P }), 3);
    assert.equal(take(s, 1, { align: 8 * P }), 11);
    assert.equal(take(s, 1), 0);
    healthy(s);
  });
  it('honours every alignment up to 1 TiB with the default base (which is 1 TiB aligned)', () => {
    for (let k = 13; k <= 40; k++) {
      const s = defaultSpace();
      take(s, 1); // [0, 1), so every aligned request must move up
      const alignPages = 2 ** (k - 12);
      const a = s.alloc({ size: P, align: 2 ** k }).area;
      // The base is a multiple of 2^28 pages, so the lowest aligned start above 0 is alignPages itself.
      assert.equal(a.start, alignPages, `align 2^${k}`);
      assert.equal((DEFAULT_BASE_PAGE + a.start) % alignPages, 0);
    }
  });
  it('aligns 2 TiB on the default base, which is only 1 TiB aligned', () => {
    // 0xffffc90000000000 = 0xffffc9 << 40 and 0xffffc9 is odd: base page = 2^28 (mod 2^29).
    const s = defaultSpace();
    const a = s.alloc({ size: P, align: 2 ** 41 }).area;
    assert.equal(a.start, 2 ** 28);
    assert.equal((DEFAULT_BASE_PAGE + a.start) % 2 ** 29, 0);
  });
  it('honours every alignment up to 1 TiB on base page 1', () => {
    for (let k = 12; k <= 40; k++) {
      const s = defaultSpace(1);
      const alignPages = 2 ** Math.max(0, k - 12);
      const a = s.alloc({ size: 3 * P, align: 2 ** k }).area;
      // Lowest s >= 0 with (1 + s) % alignPages === 0.
      assert.equal(a.start, alignPages === 1 ? 0 : alignPages - 1, `align 2^${k}`);
      assert.equal((1 + a.start) % alignPages, 0);
      healthy(s);
    }
  });
  it('places a 1 TiB aligned area above busy areas on base page 1', () => {
    const s = defaultSpace(1);
    take(s, 2 ** 28); // [0, 2^28): covers the first aligned start 2^28 - 1
    const a = s.alloc({ size: 2 ** 40, align: 2 ** 40 }).area;
    assert.equal(a.start, 2 * 2 ** 28 - 1);
    assert.equal(a.pages, 2 ** 28 + 1);
    healthy(s);
  });
  it('fails when the aligned start pushes the area past vend', () => {
    // basePage 1, align 32 pages: the first aligned start is 31; 2 pages end at 33.
    const s = space(64, 1 << 20, 1);
    assert.throws(() => s.alloc({ size: P, align: 32 * P, vend: 32 }), isA(OutOfSpace));
    assert.equal(s.alloc({ size: P, align: 32 * P, vend: 33 }).area.start, 31);
  });
  it('fits any alignment at absolute address 0, and none beyond the space', () => {
    assert.equal(space(64, 1 << 20, 0).alloc({ size: P, align: 2 ** 60 }).area.start, 0);
    assert.throws(() => space(64, 1 << 20, 1).alloc({ size: P, align: 2 ** 60 }), isA(OutOfSpace));
  });
  it('takes an aligned fit in a hole smaller than size + align - 1 (the kernel shortcut would skip it)', () => {
    const s = space(64);
    take(s, 3); // [0, 3)
    const hole = take(s, 5); // [3, 8)
    take(s, 1); // [8, 9)
    s.free(hole);
    s.purge();
    // 3 pages + guard = 4 pages aligned to 4 pages: [4, 8) fits the 5-page hole exactly at its end.
    // The kernel would look for 4 + 4 - 1 = 7 pages and land at 12, above [8, 9).
    const a = s.alloc({ size: 3 * P, align: 4 * P }).area;
    assert.equal(a.start, 4);
    assert.equal(a.start + a.pages, 8);
    healthy(s);
  });
});

describe('free, lazy areas and purge', () => {
  it('makes the area lazy: still reserved, no longer busy', () => {
    const s = space(64);
    const a = s.alloc({ size: P }).area; // [0, 2)
    const r = s.free(a.start);
    assert.deepEqual(r.area, { ...a, lazy: true });
    assert.equal(r.purged, null);
    assert.equal(s.find(0), undefined);
    assert.equal(s.areaAt(0)?.lazy, true);
    assert.deepEqual(s.meminfo(), { total: 64 * P, used: 0, chunk: 62 * P, lazy: 2 * P, nrAreas: 0, nrLazyAreas: 1 });
    assert.equal(s.alloc({ size: P }).area.start, 2);
    healthy(s);
  });
  it('purge returns lazy areas to free space and reports what it purged', () => {
    const s = space(64);
    const a = s.alloc({ size: P }).area; // [0, 2)
    const b = s.alloc({ size: 2 * P }).area; // [2, 5)
    s.free(a.start);
    s.free(b.start);
    assert.deepEqual(s.purge(), { areas: 2, pages: 5 });
    assert.deepEqual(s.meminfo(), { total: 64 * P, used: 0, chunk: 64 * P, lazy: 0, nrAreas: 0, nrLazyAreas: 0 });
    assert.deepEqual(s.purge(), { areas: 0, pages: 0 });
    assert.equal(s.alloc({ size: P }).area.start, 0);
    healthy(s);
  });
  it('purges only when lazy pages exceed lazyMaxPages strictly', () => {
    const s = space(64, 8);
    const starts = Array.from({ length: 9 }, () => take(s, 1));
    for (const start of starts.slice(0, 8)) assert.equal(s.free(start).purged, null);
    assert.equal(s.meminfo().lazy, 8 * P); // exactly the limit: kept
    assert.equal(s.meminfo().nrLazyAreas, 8);
    assert.deepEqual(s.free(starts[8]!).purged, { areas: 9, pages: 9 }); // one more: purged
    assert.deepEqual(s.meminfo(), { total: 64 * P, used: 0, chunk: 64 * P, lazy: 0, nrAreas: 0, nrLazyAreas: 0 });
    healthy(s);
  });
  it('counts guard pages towards the purge threshold', () => {
    const s = space(64, 3);
    const a = s.alloc({ size: P }).area; // 2 pages
    const b = s.alloc({ size: P }).area; // 2 pages
    assert.equal(s.free(a.start).purged, null); // 2 <= 3
    assert.deepEqual(s.free(b.start).purged, { areas: 2, pages: 4 }); // 4 > 3
  });
  it('purges on every free when lazyMaxPages is 0', () => {
    const s = space(64, 0);
    const a = take(s, 1);
    assert.deepEqual(s.free(a).purged, { areas: 1, pages: 1 });
    assert.equal(s.meminfo().nrLazyAreas, 0);
  });
  it("keeps the kernel's lazy_max_pages on the default space: 64 MiB (fls(2) * 32 MiB) of lazy areas, guard pages included", () => {
    const MiB = 1 << 20;
    const s = defaultSpace();
    const big = s.alloc({ size: 64 * MiB - P }).area.start; // 64 MiB with its guard page
    const one = take(s, 1);
    assert.equal(s.free(big).purged, null);
    assert.equal(s.meminfo().lazy, 64 * MiB);
    assert.deepEqual(s.free(one).purged, { areas: 2, pages: (64 * MiB) / P + 1 });
  });
  it('purges and retries when nothing fits, and says so', () => {
    const s = space(16);
    const starts = [0, 1, 2, 3].map(() => s.alloc({ size: 3 * P }).area.start); // 4 x 4 pages fill the space
    assert.deepEqual(starts, [0, 4, 8, 12]);
    assert.throws(() => s.alloc({ size: P }), isA(OutOfSpace));
    s.free(4);
    const r = s.alloc({ size: 3 * P });
    assert.equal(r.area.start, 4);
    assert.deepEqual(r.purged, { areas: 1, pages: 4 });
    assert.equal(s.meminfo().lazy, 0);
    healthy(s);
  });
  it('does not purge while something fits', () => {
    const s = space(16);
    const a = take(s, 4);
    s.free(a);
    const r = s.alloc({ size: P });
    assert.equal(r.purged, null);
    assert.equal(r.area.start, 4);
    assert.equal(s.meminfo().nrLazyAreas, 1);
  });
  it('fails with OutOfSpace when even the purge does not help (the purge still happens)', () => {
    const s = space(16);
    for (let i = 0; i < 4; i++) s.alloc({ size: 3 * P });
    s.free(4);
    assert.throws(() => s.alloc({ size: 4 * P }), isA(OutOfSpace)); // 5 pages > the 4-page hole
    assert.deepEqual(s.meminfo(), { total: 16 * P, used: 12 * P, chunk: 4 * P, lazy: 0, nrAreas: 3, nrLazyAreas: 0 });
    healthy(s);
  });
  it('purges on retry only lazy areas, which then fit with the right vstart/vend', () => {
    const s = space(16);
    for (let i = 0; i < 4; i++) s.alloc({ size: 3 * P });
    s.free(12);
    // Only [12, 16) can hold it, and only after the purge.
    const r = s.alloc({ size: 3 * P, vstart: 10 });
    assert.equal(r.area.start, 12);
    assert.deepEqual(r.purged, { areas: 1, pages: 4 });
  });
  it('rejects freeing an unknown, lazy, purged or non-start address with NoSuchArea, changing nothing', () => {
    const s = space(64);
    const a = s.alloc({ size: 2 * P }).area; // [0, 3)
    const b = s.alloc({ size: 2 * P }).area; // [3, 6)
    const c = s.alloc({ size: 2 * P }).area; // [6, 9)
    s.free(b.start);
    s.free(c.start);
    s.purge();
    s.free(a.start); // lazy now
    const d = s.alloc({ size: 2 * P }).area; // [3, 6)
    const before = state(s);
    for (const bad of [a.start, c.start, 30, d.start + 1, d.start + 2, -1, 64, 1e9, 0.5, NaN, Infinity]) {
      assert.throws(() => s.free(bad), isA(NoSuchArea), `free(${bad})`);
    }
    assert.deepEqual(state(s), before);
    healthy(s);
  });
});

describe('purge coalesces free blocks', () => {
  /** Four 10-page areas filling a 40-page space: A [0,10) B [10,20) C [20,30) D [30,40). */
  function four(): VmapSpace {
    const s = space(40);
    for (let i = 0; i < 4; i++) take(s, 10);
    assert.equal(s.meminfo().chunk, 0);
    return s;
  }
  it('merges with both neighbours', () => {
    const s = four();
    s.free(0);
    s.free(20);
    s.purge();
    assert.equal(s.meminfo().chunk, 10 * P);
    healthy(s);
    s.free(10);
    assert.equal(s.meminfo().chunk, 10 * P); // lazy is not free yet
    s.purge();
    assert.equal(s.meminfo().chunk, 30 * P); // [0, 10) + [10, 20) + [20, 30)
    healthy(s);
    assert.equal(take(s, 30), 0);
    healthy(s);
  });
  it('merges with the left neighbour only, and with the right one only', () => {
    const s = four();
    s.free(0);
    s.purge();
    s.free(10); // left neighbour [0, 10) is free, right neighbour C is busy
    s.purge();
    assert.equal(s.meminfo().chunk, 20 * P);
    healthy(s);
    s.free(30);
    s.purge();
    assert.equal(s.meminfo().chunk, 20 * P); // [0, 20) and [30, 40)
    s.free(20); // both sides free now
    s.purge();
    assert.equal(s.meminfo().chunk, 40 * P);
    healthy(s);
  });
  it('merges with the right neighbour only', () => {
    const s = four();
    s.free(30);
    s.purge();
    s.free(20);
    s.purge();
    assert.equal(s.meminfo().chunk, 20 * P);
    assert.equal(take(s, 20), 20);
    healthy(s);
  });
  it('merges adjacent lazy areas purged together', () => {
    const s = four();
    s.free(10);
    s.free(20);
    s.purge();
    assert.equal(s.meminfo().chunk, 20 * P);
    assert.equal(take(s, 20), 10);
    healthy(s);
  });
});

describe('invalid arguments', () => {
  /** A space with a busy and a lazy area, so an accidental purge or alloc would show. */
  function busy(): VmapSpace {
    const s = space(64);
    const a = s.alloc({ size: 3 * P }).area;
    s.alloc({ size: 3 * P });
    s.free(a.start);
    return s;
  }
  const cases: Array<[string, AllocRequest]> = [
    ['size', { size: 0 }],
    ['size', { size: -1 }],
    ['size', { size: -P }],
    ['size', { size: 1.5 }],
    ['size', { size: NaN }],
    ['size', { size: Infinity }],
    ['size', { size: 2 ** 53 }],
    ['size', { size: '4096' as unknown as number }],
    ['size', { size: 64 * P }], // 64 pages + guard > 64
    ['size', { size: 65 * P, noGuard: true }],
    ['size', { size: 0, align: 3 }], // size is checked first
    ['align', { size: P, align: 3 }],
    ['align', { size: P, align: 4097 }],
    ['align', { size: P, align: -4096 }],
    ['align', { size: P, align: 6 * P }],
    ['align', { size: P, align: 0.5 }],
    ['align', { size: P, align: NaN }],
    ['align', { size: P, align: Infinity }],
    ['align', { size: P, align: '4096' as unknown as number }],
    ['vstart', { size: P, vstart: -1 }],
    ['vstart', { size: P, vstart: 64 }],
    ['vstart', { size: P, vstart: 1000 }],
    ['vstart', { size: P, vstart: 1.5 }],
    ['vstart', { size: P, vstart: NaN }],
    ['vend', { size: P, vend: -1 }],
    ['vend', { size: P, vend: 65 }],
    ['vend', { size: P, vend: 2.5 }],
    ['vend', { size: P, vend: NaN }],
    ['vstart', { size: P, vstart: 10, vend: 10 }],
    ['vstart', { size: P, vstart: 11, vend: 10 }],
  ];
  for (const [field, req] of cases) {
    it(`${JSON.stringify(req)} -> InvalidArgument(${field}), state unchanged`, () => {
      const s = busy();
      const before = state(s);
      assert.throws(() => s.alloc(req), isInvalid(field));
      assert.deepEqual(state(s), before);
      healthy(s);
    });
  }
  it('accepts the boundary values next to the invalid ones', () => {
    const s = space(64);
    assert.equal(s.alloc({ size: P, vstart: 62 }).area.start, 62); // last 2 pages
    assert.equal(s.alloc({ size: P, vend: 64, vstart: 0 }).area.start, 0);
    assert.equal(s.alloc({ size: P, vend: 0 }).area.start, 2); // 0 means the space's end
    assert.equal(s.alloc({ size: P, align: 0 }).area.start, 4);
  });
});

describe('find', () => {
  it('finds the busy area for every page of its range, guard page included', () => {
    const s = space(64);
    take(s, 2); // [0, 2)
    const a = s.alloc({ size: 2 * P }).area; // [2, 5), guard at 4
    for (let page = 2; page < 5; page++) assert.equal(s.find(page), a);
    assert.notEqual(s.find(1), a);
    assert.equal(s.find(5), undefined);
    assert.equal(s.find(63), undefined);
  });
  it('does not find lazy areas, pages outside the space, or NaN', () => {
    const s = space(64);
    const a = take(s, 4);
    s.free(a);
    for (const page of [0, 3, 4, -1, 64, 1e12, NaN]) assert.equal(s.find(page), undefined, `find(${page})`);
  });
});

describe('meminfo and areas', () => {
  it('counts used with guard pages, lazy separately, chunk as the largest free block', () => {
    const s = space(100);
    s.alloc({ size: 9 * P }); // [0, 10)
    const b = s.alloc({ size: 19 * P }).area; // [10, 30)
    s.alloc({ size: 4 * P, noGuard: true }); // [30, 34)
    s.free(b.start);
    const m = s.meminfo();
    assert.deepEqual(m, { total: 100 * P, used: 14 * P, chunk: 66 * P, lazy: 20 * P, nrAreas: 2, nrLazyAreas: 1 });
    assert.deepEqual(s.walkMeminfo(), m);
    s.purge();
    take(s, 60); // [34, 94); free: [10, 30) and [94, 100)
    assert.equal(s.meminfo().chunk, 20 * P);
    assert.deepEqual(s.walkMeminfo(), s.meminfo());
    healthy(s);
  });
  it('lists busy and lazy areas in ascending order from a page', () => {
    const s = space(64);
    const starts = [4, 1, 2, 1].map((n) => take(s, n)); // [0,4) [4,5) [5,7) [7,8)
    assert.deepEqual(starts, [0, 4, 5, 7]);
    s.free(5);
    const all = [...s.areas()];
    assert.deepEqual(
      all.map((a) => [a.start, a.pages, a.lazy]),
      [
        [0, 4, false],
        [4, 1, false],
        [5, 2, true],
        [7, 1, false],
      ],
    );
    assert.deepEqual([...s.areas(5)].map((a) => a.start), [5, 7]);
    assert.deepEqual([...s.areas(6)].map((a) => a.start), [7]); // an area starting below `from` is left out
    assert.deepEqual([...s.areas(8)], []);
  });
});

describe('view', () => {
  const at = (v: AreaList, start: number): VmapArea | undefined => {
    const va = v.floor(start);
    return va?.start === start ? va : undefined;
  };
  it('is copy-on-write: later frees, allocs and purges do not show in an earlier view', () => {
    const s = space(64);
    const a = s.alloc({ size: P }).area;
    const before = s.view();
    s.free(a.start);
    assert.equal(s.areaAt(a.start)?.lazy, true);
    assert.equal(at(before, a.start)?.lazy, false);
    assert.equal(at(before, a.start), a);

    const lazyView = s.view();
    const b = s.alloc({ size: P }).area;
    s.purge();
    assert.equal([...before.from(0)].length, 1);
    assert.equal([...lazyView.from(0)].length, 1);
    assert.equal(at(lazyView, a.start)?.lazy, true);
    assert.equal(at(lazyView, b.start), undefined);
    assert.equal(s.areaAt(a.start), undefined);
    assert.equal(s.areaAt(b.start), b);
  });
  it('survives many writes to the space', () => {
    const s = space(4096);
    const starts = Array.from({ length: 200 }, () => take(s, 3));
    const view = s.view();
    for (const start of starts) s.free(start);
    s.purge();
    assert.deepEqual(
      [...view.from(0)].map((va) => [va.start, va.lazy]),
      starts.map((start) => [start, false]),
    );
    assert.deepEqual([...view.from(starts[100]!)].length, 100);
    assert.equal(view.floor(starts[5]! + 1)?.start, starts[5]);
    assert.equal(view.floor(-1), undefined);
    assert.deepEqual([...s.areas()], []);
  });
});
