/**
 * Allocator benchmark for the vmap model (src/vmap/space.ts).
 *
 * What it measures, for each live-area count N (default 1k, 10k, 100k, 1M) on
 * the default space (basePage 0xffffc90000000, 2^33 pages, lazyMaxPages 16384):
 *
 * - prefill: N allocs of random sizes (1-64 pages, plus the guard page);
 * - steady state: each iteration frees a random live area (`space.free`) and
 *   allocs a new one (`space.alloc({ size })`), keeping exactly N areas live.
 *   Each alloc and each free counts as one operation. After a warm-up, the loop
 *   runs a fixed number of fixed-length time windows; it prints the overall
 *   ops/s (all operations over all windows, GC pauses included: the figure the
 *   targets use) and the median window with the min-max spread, plus the GC
 *   time spent inside the windows;
 * - `meminfo()` time per call (O(1) counters) and `walkMeminfo()` time per
 *   call (the O(n) walk) on the N-area space;
 * - heap bytes per live area: `global.gc()`, `heapUsed` before and after
 *   building the space, delta / N (also with typed-array backing stores,
 *   which `heapUsed` does not count), both after prefill and after the
 *   steady-state run;
 * - the same steady-state workload at 10k live areas on a naive sorted-array
 *   model (loadtest/lib/reference-space.ts, the one the property tests check
 *   VmapSpace against), for contrast;
 * - a cross-check that VmapSpace and the reference place every area at the same
 *   page under the same random workload (correctness of the comparison).
 *
 * Targets, printed with pass/MISS markers (a miss never fails the run):
 * >= 1,000,000 ops/s at 100k live areas; ops/s at 1M / ops/s at 1k >= 0.6;
 * meminfo() flat across sizes (slowest <= 2x fastest); <= 200 heap bytes per
 * live area at 1M. Nothing is asserted on time; the exit status is non-zero
 * only if the cross-check finds a placement mismatch.
 *
 * The PRNG is seeded (loadtest/lib/random.ts), so the workload is reproducible run to run. The
 * timing is not: it is single-threaded wall-clock time, so other processes on
 * the machine skew it (the load average is printed at the start and the end).
 * At 1M live areas the run is too short for fragmentation to settle (the free
 * block count is still growing at the end), so that figure is if anything
 * optimistic.
 *
 * Run:
 *   npm run bench                                   # build, then the full run (~30 s)
 *   npm run bench -- --quick                        # short windows
 *   npm run bench -- --sizes 1000,10000 --json out.json
 *   node --expose-gc --import tsx loadtest/bench-allocator.ts   # without building
 * Options: --sizes N,N,...  --quick  --json FILE  --seed N
 * Without --expose-gc the heap figures are skipped.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { PerformanceObserver, constants, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { PAGE_SIZE } from '../src/vmap/page.js';
import { VmapSpace } from '../src/vmap/space.js';
import { SeededRandom } from './lib/random.js';
import { ReferenceSpace } from './lib/reference-space.js';

// ---- options ----------------------------------------------------------------

const { values: opts } = parseArgs({
  options: {
    sizes: { type: 'string' },
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    seed: { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opts.help) {
  console.log('usage: bench-allocator [--sizes 1000,10000,...] [--quick] [--json FILE] [--seed N]');
  process.exit(0);
}

const SIZES = (opts.sizes ?? '1000,10000,100000,1000000').split(',').map((s) => {
  const n = Number(s.trim());
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--sizes: bad count ${JSON.stringify(s)}`);
  return n;
});
const SEED = Number(opts.seed);
if (!Number.isSafeInteger(SEED)) throw new Error('--seed must be an integer');
const QUICK = opts.quick === true;

const SPACE_SHAPE = { basePage: 0xffffc90000000, pages: 2 ** 33 } as const;
const LAZY_MAX_PAGES = 16384;
const MAX_AREA_PAGES = 64;
const REF_LIVE = 10_000;

const WARMUP_MS = QUICK ? 100 : 500;
const WINDOW_MS = QUICK ? 150 : 500;
const WINDOWS = QUICK ? 3 : 5;
const MEMINFO_CALLS = QUICK ? 200_000 : 1_000_000;
const WALK_MIN_MS = QUICK ? 50 : 250;
const CROSS_CHECK_LIVE = 2_000;
const CROSS_CHECK_ITERS = QUICK ? 20_000 : 100_000;
/** Iterations between clock reads in the steady-state loop. */
const CHUNK = 1024;

// ---- helpers ----------------------------------------------------------------

/** Random area size in bytes: 1-64 whole pages. */
function randomSize(rng: SeededRandom): number {
  return (1 + rng.below(MAX_AREA_PAGES)) * PAGE_SIZE;
}

/** Results go here so the optimizer cannot drop the work that made them. */
let blackhole = 0;

let gcMs = 0;
let gcMajor = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gcMajor++;
  }
});
gcObserver.observe({ entryTypes: ['gc'] });

/** Lets queued GC performance entries reach the observer. */
async function flushGcEntries(): Promise<void> {
  await sleep(20);
  await sleep(20);
}

const gcFn = globalThis.gc;

interface HeapSample {
  heapUsed: number;
  arrayBuffers: number;
}

function heapSample(): HeapSample | null {
  if (gcFn === undefined) return null;
  gcFn();
  gcFn();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

// ---- workloads ----------------------------------------------------------------

/** `iters` steady-state iterations on a VmapSpace: free a random live area, alloc a new one. */
function vmapSteady(space: VmapSpace, live: number[], rng: SeededRandom, iters: number): void {
  const len = live.length;
  for (let i = 0; i < iters; i++) {
    const idx = rng.below(len);
    space.free(live[idx]!);
    // Writing the new start into the freed slot is swap-remove followed by push.
    live[idx] = space.alloc({ size: randomSize(rng) }).area.start;
  }
}

/** The same workload on the reference model. */
function refSteady(space: ReferenceSpace, live: number[], rng: SeededRandom, iters: number): void {
  const len = live.length;
  for (let i = 0; i < iters; i++) {
    const idx = rng.below(len);
    space.free(live[idx]!);
    live[idx] = space.alloc({ size: randomSize(rng) }).area.start;
  }
}

interface SteadyResult {
  /** All operations in all windows over their total time, GC included. */
  opsPerSec: number;
  medianWindowOpsPerSec: number;
  minWindowOpsPerSec: number;
  maxWindowOpsPerSec: number;
  ops: number;
  seconds: number;
  /** GC time reported during the windows, and how many of those GCs were major. */
  gcMs: number;
  gcMajor: number;
}

/** Warm-up, then WINDOWS windows of WINDOW_MS; `chunk()` runs CHUNK iterations (2 ops each). */
async function measureSteady(chunk: () => void): Promise<SteadyResult> {
  const runFor = (ms: number): { ops: number; ms: number } => {
    let iters = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      chunk();
      iters += CHUNK;
      t = performance.now();
    } while (t - t0 < ms);
    return { ops: iters * 2, ms: t - t0 };
  };
  runFor(WARMUP_MS);
  await flushGcEntries();
  const gc0 = gcMs;
  const major0 = gcMajor;
  const rates: number[] = [];
  let ops = 0;
  let ms = 0;
  for (let w = 0; w < WINDOWS; w++) {
    const r = runFor(WINDOW_MS);
    rates.push((r.ops * 1000) / r.ms);
    ops += r.ops;
    ms += r.ms;
  }
  await flushGcEntries();
  return {
    opsPerSec: (ops * 1000) / ms,
    medianWindowOpsPerSec: median(rates),
    minWindowOpsPerSec: Math.min(...rates),
    maxWindowOpsPerSec: Math.max(...rates),
    ops,
    seconds: ms / 1000,
    gcMs: gcMs - gc0,
    gcMajor: gcMajor - major0,
  };
}

/** Nanoseconds per `meminfo()` call: the fastest of three timed loops after a warm-up loop (least disturbed by other load). */
function timeMeminfo(space: VmapSpace, calls: number): number {
  const loop = (n: number): number => {
    let sink = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const m = space.meminfo();
      sink += m.used + m.chunk + m.lazy + m.nrAreas + m.nrLazyAreas;
    }
    const t1 = performance.now();
    blackhole += sink;
    return ((t1 - t0) * 1e6) / n;
  };
  loop(200_000);
  return Math.min(loop(calls), loop(calls), loop(calls));
}

/** Microseconds per `walkMeminfo()` call, time-bounded (at least 3 calls). */
function timeWalkMeminfo(space: VmapSpace): { usPerCall: number; calls: number } {
  blackhole += space.walkMeminfo().chunk;
  let calls = 0;
  let sink = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    const m = space.walkMeminfo();
    sink += m.used + m.chunk + m.nrAreas;
    calls++;
    t = performance.now();
  } while (calls < 3 || t - t0 < WALK_MIN_MS);
  blackhole += sink;
  return { usPerCall: ((t - t0) * 1000) / calls, calls };
}

/** Free blocks (gaps between reserved ranges) and the fraction of the touched span they hold. */
function fragmentation(space: VmapSpace): { freeBlocks: number; spanPages: number; holePages: number } {
  let prevEnd = 0;
  let blocks = 0;
  let holes = 0;
  for (const va of space.areas()) {
    if (va.start > prevEnd) {
      blocks++;
      holes += va.start - prevEnd;
    }
    prevEnd = va.start + va.pages;
  }
  if (space.pages > prevEnd) blocks++;
  return { freeBlocks: blocks, spanPages: prevEnd, holePages: holes };
}

// ---- one size -----------------------------------------------------------------

interface SizeResult {
  live: number;
  prefillMs: number;
  prefillAllocsPerSec: number;
  steady: SteadyResult;
  meminfoNsPerCall: number;
  walkMeminfoUsPerCall: number;
  /** heapUsed delta / N; null without --expose-gc. */
  heapBytesPerAreaAfterPrefill: number | null;
  /** heapUsed + arrayBuffers delta / N (typed-array backing stores included). */
  totalBytesPerAreaAfterPrefill: number | null;
  heapBytesPerAreaAfterSteady: number | null;
  totalBytesPerAreaAfterSteady: number | null;
  freeBlocks: number;
  spanPages: number;
  holePages: number;
  lazyAreas: number;
}

async function benchSize(n: number, seed: number): Promise<SizeResult> {
  const rng = new SeededRandom(seed);
  // The live-start array is built before the baseline so the heap delta is the space alone.
  const live: number[] = [];
  for (let i = 0; i < n; i++) live.push(0);
  const before = heapSample();

  const space = new VmapSpace({ ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES });
  const p0 = performance.now();
  for (let i = 0; i < n; i++) live[i] = space.alloc({ size: randomSize(rng) }).area.start;
  const prefillMs = performance.now() - p0;

  const afterPrefill = heapSample();
  const steady = await measureSteady(() => vmapSteady(space, live, rng, CHUNK));
  const afterSteady = heapSample();

  const meminfoNsPerCall = timeMeminfo(space, MEMINFO_CALLS);
  const walk = timeWalkMeminfo(space);
  const frag = fragmentation(space);
  const perArea = (after: HeapSample | null, total: boolean): number | null =>
    after === null || before === null
      ? null
      : (after.heapUsed - before.heapUsed + (total ? after.arrayBuffers - before.arrayBuffers : 0)) / n;
  const result: SizeResult = {
    live: n,
    prefillMs,
    prefillAllocsPerSec: (n * 1000) / prefillMs,
    steady,
    meminfoNsPerCall,
    walkMeminfoUsPerCall: walk.usPerCall,
    heapBytesPerAreaAfterPrefill: perArea(afterPrefill, false),
    totalBytesPerAreaAfterPrefill: perArea(afterPrefill, true),
    heapBytesPerAreaAfterSteady: perArea(afterSteady, false),
    totalBytesPerAreaAfterSteady: perArea(afterSteady, true),
    freeBlocks: frag.freeBlocks,
    spanPages: frag.spanPages,
    holePages: frag.holePages,
    lazyAreas: space.meminfo().nrLazyAreas,
  };
  // Keep the space and the live array reachable until every figure is taken.
  blackhole += space.meminfo().nrAreas + live.length;
  return result;
}

async function benchReference(n: number, seed: number): Promise<SteadyResult & { prefillMs: number }> {
  const rng = new SeededRandom(seed);
  const space = new ReferenceSpace({ ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES });
  const live: number[] = [];
  const p0 = performance.now();
  for (let i = 0; i < n; i++) live.push(space.alloc({ size: randomSize(rng) }).area.start);
  const prefillMs = performance.now() - p0;
  const steady = await measureSteady(() => refSteady(space, live, rng, CHUNK));
  blackhole += space.meminfo().nrAreas;
  return { ...steady, prefillMs };
}

/** Runs the same seeded workload on both models and compares every placement. */
function crossCheck(seed: number): { iterations: number; mismatch: string | null } {
  const rngA = new SeededRandom(seed);
  const rngB = new SeededRandom(seed);
  // Prefill draws from two identical streams; the steady loop below shares rngA.
  const space = new VmapSpace({ ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES });
  const ref = new ReferenceSpace({ ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES });
  const liveA: number[] = [];
  const liveB: number[] = [];
  for (let i = 0; i < CROSS_CHECK_LIVE; i++) {
    liveA.push(space.alloc({ size: randomSize(rngA) }).area.start);
    liveB.push(ref.alloc({ size: randomSize(rngB) }).area.start);
    if (liveA[i] !== liveB[i]) return { iterations: i, mismatch: `prefill ${i}: vmap ${liveA[i]} vs reference ${liveB[i]}` };
  }
  // One shared PRNG stream drives both models, so every pick and size is the same.
  for (let i = 0; i < CROSS_CHECK_ITERS; i++) {
    const idx = rngA.below(liveA.length);
    const size = randomSize(rngA);
    space.free(liveA[idx]!);
    ref.free(liveB[idx]!);
    const a = space.alloc({ size }).area.start;
    const b = ref.alloc({ size }).area.start;
    if (a !== b) return { iterations: i, mismatch: `free/alloc pair ${i}: vmap placed at ${a}, reference at ${b}` };
    liveA[idx] = a;
    liveB[idx] = b;
  }
  const a = space.meminfo();
  const b = ref.meminfo();
  const keys = ['total', 'used', 'chunk', 'lazy', 'nrAreas', 'nrLazyAreas'] as const;
  for (const k of keys) {
    if (a[k] !== b[k]) return { iterations: CROSS_CHECK_ITERS, mismatch: `meminfo.${k}: vmap ${a[k]} vs reference ${b[k]}` };
  }
  const inv = space.checkInvariants();
  if (inv !== null) return { iterations: CROSS_CHECK_ITERS, mismatch: `VmapSpace invariant: ${inv}` };
  return { iterations: CROSS_CHECK_ITERS, mismatch: null };
}

// ---- formatting ---------------------------------------------------------------

const fmtInt = (x: number): string => Math.round(x).toLocaleString('en-US');
const fmtN = (x: number | null, digits = 1): string => (x === null ? 'n/a' : x.toFixed(digits));
const fmtLive = (n: number): string =>
  n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

interface Target {
  name: string;
  target: string;
  value: string;
  pass: boolean | null;
}

function heapTarget(name: string, bytes: number | null): Target {
  return { name, target: '<= 200', value: fmtN(bytes), pass: bytes === null ? null : bytes <= 200 };
}

// ---- main ---------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  console.log(
    `vmapd allocator benchmark: node ${process.version}, ${cpus().length} CPU(s), seed ${SEED}${QUICK ? ', --quick' : ''}` +
      `${gcFn === undefined ? ', no --expose-gc (heap figures skipped)' : ''}`,
  );
  console.log(
    `space: basePage 0x${SPACE_SHAPE.basePage.toString(16)}, 2^33 pages, lazyMaxPages ${LAZY_MAX_PAGES}; ` +
      `areas of 1-${MAX_AREA_PAGES} pages + guard; steady state = free a random live area + alloc a new one`,
  );
  console.log(
    `timing: ${WARMUP_MS} ms warm-up, then ${WINDOWS} x ${WINDOW_MS} ms windows per size; ` +
      `load average at start ${loadavg()[0]!.toFixed(2)} (other processes skew the figures)\n`,
  );

  const cc = crossCheck(SEED);
  console.log(
    cc.mismatch === null
      ? `cross-check vs reference model: identical placements and meminfo over ${fmtInt(CROSS_CHECK_LIVE)} allocs + ${fmtInt(cc.iterations)} free/alloc pairs; invariants hold`
      : `cross-check vs reference model: MISMATCH: ${cc.mismatch}`,
  );
  if (cc.mismatch !== null) process.exitCode = 1;
  console.log('');

  const results: SizeResult[] = [];
  for (const n of SIZES) {
    process.stderr.write(`  running ${fmtLive(n)} live areas...\n`);
    results.push(await benchSize(n, SEED + n));
    if (gcFn !== undefined) gcFn();
  }

  console.log(
    table(
      ['live', 'prefill ms', 'ops/s', 'window median [min-max]', 'GC ms (majors)', 'meminfo ns', 'walk us', 'heap B/area', '+typed arrays', 'after steady', 'free blocks'],
      results.map((r) => [
        fmtLive(r.live),
        fmtN(r.prefillMs, 0),
        fmtInt(r.steady.opsPerSec),
        `${fmtInt(r.steady.medianWindowOpsPerSec)} [${fmtInt(r.steady.minWindowOpsPerSec)}-${fmtInt(r.steady.maxWindowOpsPerSec)}]`,
        `${fmtN(r.steady.gcMs, 0)} (${r.steady.gcMajor}) ${fmtN((r.steady.gcMs / 10) / r.steady.seconds, 1)}%`,
        fmtN(r.meminfoNsPerCall, 1),
        fmtN(r.walkMeminfoUsPerCall, 1),
        fmtN(r.heapBytesPerAreaAfterPrefill, 1),
        fmtN(r.totalBytesPerAreaAfterPrefill, 1),
        `${fmtN(r.heapBytesPerAreaAfterSteady, 1)} / ${fmtN(r.totalBytesPerAreaAfterSteady, 1)}`,
        fmtInt(r.freeBlocks),
      ]),
    ),
  );
  console.log(
    '\n  ops/s: allocs + frees per second over all windows, GC included; GC ms: GC time inside the windows (count of\n' +
      '  major GCs, share of window time); meminfo ns / walk us: per call of meminfo() / walkMeminfo(); heap B/area:\n' +
      '  heapUsed delta per live area after prefill, then with typed-array backing stores; after steady: the same two\n' +
      '  after the steady-state run (noisy below 100k areas); free blocks: gaps between reserved ranges at the end.',
  );

  process.stderr.write(`  running the reference model at ${fmtLive(REF_LIVE)} live areas...\n`);
  const ref = await benchReference(REF_LIVE, SEED + REF_LIVE);
  const at = (n: number): SizeResult | undefined => results.find((r) => r.live === n);
  const r1k = at(1000);
  const r10k = at(10_000);
  const r100k = at(100_000);
  const r1m = at(1_000_000);
  const speedup = r10k === undefined ? null : r10k.steady.opsPerSec / ref.opsPerSec;
  console.log(
    `\nreference model (sorted array, O(n) gap scan) at ${fmtLive(REF_LIVE)} live areas: ${fmtInt(ref.opsPerSec)} ops/s ` +
      `(window median ${fmtInt(ref.medianWindowOpsPerSec)}; prefill ${fmtN(ref.prefillMs, 0)} ms); ` +
      `VmapSpace speedup at ${fmtLive(REF_LIVE)}: ${speedup === null ? 'n/a (10k not run)' : `${speedup.toFixed(1)}x`}`,
  );

  const ratio = r1k !== undefined && r1m !== undefined ? r1m.steady.opsPerSec / r1k.steady.opsPerSec : null;
  const meminfoTimes = results.map((r) => r.meminfoNsPerCall);
  const meminfoSpread = results.length >= 2 ? Math.max(...meminfoTimes) / Math.min(...meminfoTimes) : null;
  const walkContrast = r1k !== undefined && r100k !== undefined ? r100k.walkMeminfoUsPerCall / r1k.walkMeminfoUsPerCall : null;
  console.log(
    `walkMeminfo() per call: ${results.map((r) => `${fmtLive(r.live)} ${fmtN(r.walkMeminfoUsPerCall, 1)} us`).join(', ')}` +
      (walkContrast === null ? '' : ` (100k/1k = ${walkContrast.toFixed(0)}x: O(n))`) +
      `; meminfo() per call: ${results.map((r) => `${fmtLive(r.live)} ${fmtN(r.meminfoNsPerCall, 1)} ns`).join(', ')}`,
  );

  const targets: Target[] = [
    {
      name: 'ops/s at 100k live areas',
      target: '>= 1,000,000',
      value: r100k === undefined ? 'n/a' : fmtInt(r100k.steady.opsPerSec),
      pass: r100k === undefined ? null : r100k.steady.opsPerSec >= 1_000_000,
    },
    {
      name: 'ops/s ratio 1M / 1k',
      target: '>= 0.6',
      value: ratio === null ? 'n/a' : ratio.toFixed(2),
      pass: ratio === null ? null : ratio >= 0.6,
    },
    {
      name: 'meminfo() flat across sizes (slowest / fastest)',
      target: '<= 2.0',
      value: meminfoSpread === null ? 'n/a' : meminfoSpread.toFixed(2),
      pass: meminfoSpread === null ? null : meminfoSpread <= 2,
    },
    heapTarget('heap bytes per live area at 1M (heapUsed)', r1m?.heapBytesPerAreaAfterPrefill ?? null),
    heapTarget('  same, incl. typed arrays, after steady state', r1m?.totalBytesPerAreaAfterSteady ?? null),
  ];
  console.log('\ntargets:');
  console.log(
    table(
      ['target', 'wanted', 'measured', ''],
      targets.map((t) => [t.name, t.target, t.value, t.pass === null ? 'n/a' : t.pass ? 'pass' : 'MISS']),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  console.log(`\ntotal ${elapsed.toFixed(1)} s; load average at end ${loadavg()[0]!.toFixed(2)}`);

  if (opts.json !== undefined) {
    const report = {
      node: process.version,
      cpus: cpus().length,
      seed: SEED,
      quick: QUICK,
      date: new Date().toISOString(),
      loadAverage: loadavg(),
      space: { ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES },
      timing: { warmupMs: WARMUP_MS, windowMs: WINDOW_MS, windows: WINDOWS, meminfoCalls: MEMINFO_CALLS },
      crossCheck: cc,
      sizes: results,
      reference: { live: REF_LIVE, ...ref, vmapSpeedup: speedup },
      ratio1Mto1k: ratio,
      meminfoSpread,
      targets,
      elapsedSeconds: elapsed,
    };
    writeFileSync(opts.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`figures written to ${opts.json}`);
  }
  gcObserver.disconnect();
  if (blackhole === -1) console.log('');
}

await main();
