import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { InvalidArgument, VmapError } from '../../src/vmap/errors.js';
import type { AllocRequest } from '../../src/vmap/requests.js';
import { VmapSpace } from '../../src/vmap/space.js';
import type { VmapArea } from '../../src/vmap/vmap-area.js';
import { ReferenceSpace } from './reference-model.js';

/*
 * Model-based tests: random command sequences run against VmapSpace and the
 * reference model side by side. After every step both must have returned the
 * same thing (or failed with the same error class and field) and hold the
 * same areas and meminfo, and VmapSpace must pass its own invariant checks.
 */

const P = 4096;
const DEFAULT_BASE_PAGE = 0xffffc90000000;
// The default space's pages: 32 TiB but the last page, which VMALLOC_END leaves out.
const DEFAULT_PAGES = 2 ** 33 - 1;

interface Shape {
  basePage: number;
  pages: number;
  lazyMaxPages: number;
}

/** How a free or find names its page: the start of a busy area, of any area, a page inside one, any page, an odd value. */
type How = 'busy' | 'start' | 'inside' | 'random' | 'weird';

type Cmd =
  | { kind: 'alloc'; req: AllocRequest }
  | { kind: 'free'; pick: number; offset: number; how: How; page: number }
  | { kind: 'purge' }
  | { kind: 'find'; pick: number; offset: number; random: boolean; page: number }
  | { kind: 'areas'; from: number };

/** fc.integer is 32-bit; the default space needs integers up to 2^45. */
function int(min: number, max: number): fc.Arbitrary<number> {
  return fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map(Number);
}

const INVALID_NUMBERS = [-1, 1.5, NaN, Infinity, -4096];

function sizeArb(pages: number): fc.Arbitrary<number> {
  const bytes = pages * P;
  return fc.oneof(
    { weight: 12, arbitrary: int(1, 4 * P) },
    { weight: 4, arbitrary: int(1, Math.max(1, Math.floor(bytes / 16))) },
    { weight: 1, arbitrary: int(1, bytes + 2 * P) },
    // Whole pages, and one byte past them: the rounding edges, up to the whole space and beyond.
    { weight: 1, arbitrary: fc.tuple(int(1, pages + 1), fc.constantFrom(-1, 0, 1)).map(([n, d]) => n * P + d) },
    { weight: 1, arbitrary: fc.constantFrom(0, -1, -P, 1.5, NaN, Infinity, 2 ** 53) },
  );
}

const alignArb: fc.Arbitrary<number | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(undefined, 0) },
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 16 }).map((k) => 2 ** k) },
  { weight: 3, arbitrary: fc.integer({ min: 17, max: 40 }).map((k) => 2 ** k) },
  { weight: 1, arbitrary: fc.integer({ min: 41, max: 62 }).map((k) => 2 ** k) },
  { weight: 1, arbitrary: fc.constantFrom(3, 4097, -4096, 6 * P, 0.5, NaN, Infinity) },
);

function limitArb(pages: number, kind: 'vstart' | 'vend'): fc.Arbitrary<number | undefined> {
  return fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom(undefined, 0) },
    { weight: 6, arbitrary: kind === 'vstart' ? int(0, pages - 1) : int(1, pages) },
    { weight: 1, arbitrary: fc.constantFrom(kind === 'vstart' ? pages : pages + 1, pages + 100, ...INVALID_NUMBERS) },
  );
}

/**
 * `mixed` draws every kind of request, invalid ones included; `churn` draws
 * small, mostly unconstrained requests, so that many areas live at once and
 * the free index grows deep.
 */
type Mix = 'mixed' | 'churn';

function allocArb(pages: number, mix: Mix): fc.Arbitrary<Cmd> {
  const churn = mix === 'churn';
  return fc
    .record({
      size: churn ? fc.oneof(int(1, 8 * P), int(1, 64 * P)) : sizeArb(pages),
      align: churn ? fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: alignArb }) : alignArb,
      vstart: churn ? fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: limitArb(pages, 'vstart') }) : limitArb(pages, 'vstart'),
      vend: churn ? fc.constant(undefined) : limitArb(pages, 'vend'),
      noGuard: fc.oneof(fc.constant(undefined), fc.boolean()),
      caller: fc.constantFrom(undefined, 'vmalloc', 'ioremap'),
      owner: fc.constantFrom(undefined, 'alice', 'bob'),
      requestId: fc.constantFrom(undefined, '', 'req-1', 'req-2'),
    })
    .map((r) => {
      // Leave unset fields out, as a client would.
      const req: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(r)) if (v !== undefined) req[k] = v;
      return { kind: 'alloc' as const, req: req as unknown as AllocRequest };
    });
}

function cmdArb(pages: number, mix: Mix = 'mixed'): fc.Arbitrary<Cmd> {
  const page = fc.oneof(int(0, pages - 1), fc.constantFrom(-1, pages, 0.5, NaN));
  return fc.oneof(
    { weight: mix === 'churn' ? 10 : 6, arbitrary: allocArb(pages, mix) },
    {
      weight: 4,
      arbitrary: fc.record({
        kind: fc.constant('free' as const),
        pick: fc.nat(),
        offset: fc.nat(),
        how: fc.constantFrom<How>('busy', 'busy', 'busy', 'busy', 'start', 'inside', 'random', 'weird'),
        page,
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'purge' as const }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('find' as const), pick: fc.nat(), offset: fc.nat(), random: fc.boolean(), page }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('areas' as const), from: int(0, pages) }) },
  );
}

type Outcome = { ok: unknown } | { error: string; field?: string };

/** Runs `fn`, turning a VmapError into a comparable value; anything else is a test failure. */
function outcome(fn: () => unknown): Outcome {
  try {
    return { ok: fn() };
  } catch (e) {
    if (!(e instanceof VmapError)) throw e;
    return e instanceof InvalidArgument ? { error: e.name, field: e.field } : { error: e.name };
  }
}

/** Checks, independently of the reference, that a successful alloc obeys the placement rules. */
function checkPlacement(space: VmapSpace, req: AllocRequest, area: VmapArea): void {
  const guard = req.noGuard !== true;
  assert.equal(area.pages, Math.ceil(req.size / P) + (guard ? 1 : 0));
  assert.equal(area.guard, guard);
  assert.equal(area.lazy, false);
  const vstart = req.vstart ?? 0;
  const vend = req.vend === undefined || req.vend === 0 ? space.pages : req.vend;
  assert.ok(area.start >= vstart && area.start + area.pages <= vend, 'area inside [vstart, vend)');
  const align = BigInt(Math.max(req.align ?? 0, P));
  assert.equal((BigInt(space.basePage + area.start) * BigInt(P)) % align, 0n, 'absolute address aligned');
}

/** Every invariant of a space, checked after each step. */
function checkSpace(space: VmapSpace, ref: ReferenceSpace): void {
  assert.equal(space.checkInvariants(), null);
  const m = space.meminfo();
  assert.deepEqual(m, ref.meminfo());
  assert.deepEqual(space.walkMeminfo(), m);
  const areas = [...space.areas()];
  assert.deepEqual(areas, ref.areas());
  let cursor = 0;
  let free = 0;
  for (const a of areas) {
    assert.ok(a.start >= cursor, 'areas ascending and not overlapping');
    free += a.start - cursor;
    cursor = a.start + a.pages;
  }
  assert.ok(cursor <= space.pages);
  free += space.pages - cursor;
  assert.equal(m.used + m.lazy + free * P, m.total, 'busy + lazy + free = total');
}

/** The page a free/find command names, resolved against the current areas. */
function targetPage(ref: ReferenceSpace, pick: number, offset: number, how: How, page: number): number {
  const areas = how === 'busy' ? ref.areas().filter((a) => !a.lazy) : ref.areas();
  const a = areas[pick % Math.max(1, areas.length)];
  if (how === 'weird' || a === undefined) return page;
  if (how === 'start' || how === 'busy') return a.start;
  if (how === 'inside') return a.start + (offset % a.pages);
  return page;
}

function run(shape: Shape, cmds: Cmd[]): void {
  const space = new VmapSpace(shape);
  const ref = new ReferenceSpace(shape);
  checkSpace(space, ref);
  for (const cmd of cmds) {
    let got: Outcome;
    let want: Outcome;
    switch (cmd.kind) {
      case 'alloc':
        got = outcome(() => space.alloc(cmd.req));
        want = outcome(() => ref.alloc(cmd.req));
        if ('ok' in got) checkPlacement(space, cmd.req, (got.ok as { area: VmapArea }).area);
        break;
      case 'free': {
        const page = targetPage(ref, cmd.pick, cmd.offset, cmd.how, cmd.page);
        got = outcome(() => space.free(page));
        want = outcome(() => ref.free(page));
        break;
      }
      case 'purge':
        got = outcome(() => space.purge());
        want = outcome(() => ref.purge());
        break;
      case 'find': {
        const page = targetPage(ref, cmd.pick, cmd.offset, cmd.random ? 'random' : 'inside', cmd.page);
        got = outcome(() => space.find(page));
        want = outcome(() => ref.find(page));
        break;
      }
      case 'areas':
        got = outcome(() => [...space.areas(cmd.from)]);
        want = outcome(() => ref.areas(cmd.from));
        break;
    }
    assert.deepEqual(got, want, `${JSON.stringify(cmd)}`);
    checkSpace(space, ref);
  }
}

const smallShape: fc.Arbitrary<Shape> = fc.integer({ min: 64, max: 4096 }).chain((pages) =>
  fc.record({
    pages: fc.constant(pages),
    // Mostly small limits, so frees purge often; sometimes large ones, so allocs must purge to fit.
    lazyMaxPages: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 2 * pages })),
    basePage: fc.oneof(fc.constantFrom(0, 1, DEFAULT_BASE_PAGE, 2 ** 52 - pages), fc.integer({ min: 0, max: 2 ** 30 })),
  }),
);

describe('VmapSpace against the reference model', () => {
  it('agrees on small spaces, where exhaustion and purges are frequent', () => {
    fc.assert(
      fc.property(
        smallShape.chain((shape) => fc.tuple(fc.constant(shape), fc.array(cmdArb(shape.pages), { maxLength: 150, size: 'max' }))),
        ([shape, cmds]) => run(shape, cmds),
      ),
      { numRuns: 600 },
    );
  });

  it('agrees on tiny spaces with tiny lazy limits', () => {
    const tiny = fc.record({
      pages: fc.integer({ min: 64, max: 80 }),
      lazyMaxPages: fc.integer({ min: 0, max: 8 }),
      basePage: fc.constantFrom(0, 1, 3, DEFAULT_BASE_PAGE),
    });
    fc.assert(
      fc.property(
        tiny.chain((shape) => fc.tuple(fc.constant(shape), fc.array(cmdArb(shape.pages), { maxLength: 200, size: 'max' }))),
        ([shape, cmds]) => run(shape, cmds),
      ),
      { numRuns: 400 },
    );
  });

  it('agrees under churn: many small areas alive at once', () => {
    const shape = fc.record({
      pages: fc.integer({ min: 1024, max: 4096 }),
      lazyMaxPages: fc.integer({ min: 0, max: 512 }),
      basePage: fc.constantFrom(0, 1, DEFAULT_BASE_PAGE),
    });
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), fc.array(cmdArb(s.pages, 'churn'), { minLength: 100, maxLength: 400, size: 'max' }))),
        ([s, cmds]) => run(s, cmds),
      ),
      { numRuns: 100 },
    );
  });

  it('agrees on the default 32 TiB space', () => {
    const shape = fc.record({
      pages: fc.constant(DEFAULT_PAGES),
      lazyMaxPages: fc.constantFrom(16384, 0, 2 ** 20),
      basePage: fc.constantFrom(DEFAULT_BASE_PAGE, 1, 0),
    });
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), fc.array(cmdArb(s.pages), { maxLength: 150, size: 'max' }))),
        ([s, cmds]) => run(s, cmds),
      ),
      { numRuns: 150 },
    );
  });
});
