/**
 * The kernel's test driver (test_func, do_concurrent_test): nr_threads
 * workers, each running every selected case in its own order (shuffled
 * unless sequential_test_order), test_repeat_count times, counting passed
 * and failed runs and the mean time in microseconds.
 *
 * Each worker is a generator of the calls its cases make. Over gRPC the
 * workers are concurrent clients, each waiting for its own replies; on the
 * model, which is synchronous, the driver steps them round-robin, one alloc
 * or free each, so they interleave as threads would on one CPU.
 */
import { performance } from 'node:perf_hooks';
import { messageOf } from '../../src/vmap/errors.js';
import { SeededRandom } from '../lib/random.js';
import type { AsyncBackend, Backend, SyncBackend } from './backend.js';
import { TEST_CASES, callBuilder, isAligned, type CaseContext, type KernelCall } from './cases.js';
import { clampParams, maskSelects, type KernelParams } from './params.js';

/** One worker's figures for one case: the kernel's test_case_data, and the calls it made. */
export interface CaseData {
  passed: number;
  failed: number;
  /** Mean microseconds per repeat, truncated (the kernel's do_div). */
  timeUs: number;
  /** Allocs and frees made, all repeats. */
  ops: number;
  /** When the worker started and ended the case (performance.now() ms). */
  startMs: number;
  endMs: number;
}

/** One worker's run. */
export interface WorkerData {
  /** By test_case_array index; undefined for a case not run. */
  readonly data: (CaseData | undefined)[];
  /** The order the worker ran test_case_array in. */
  readonly order: readonly number[];
  /** From its first case's start to its last case's end, µs (the kernel counts get_cycles()). */
  tookUs: number;
  /** Addresses not aligned as asked. */
  misaligned: number;
  /** What threw out of a case (counted failed), if anything did. */
  readonly errors: string[];
}

/** A case over all workers. */
export interface CaseFigure {
  readonly index: number;
  readonly name: string;
  readonly passed: number;
  readonly failed: number;
  readonly ops: number;
  /** From the first worker starting it to the last ending it, ms. */
  readonly spanMs: number;
  /** ops / span. */
  readonly opsPerSec: number;
}

/** A whole run. */
export interface RunResult {
  /** The parameters after the kernel's clamps. */
  readonly params: KernelParams;
  readonly workers: readonly WorkerData[];
  /** The selected cases that ran, in test_case_array order. */
  readonly cases: readonly CaseFigure[];
}

/** The kernel's shuffle_array(): j = get_random_u32_below(i), so an index never stays in place. */
export function shuffleArray(arr: number[], rnd: SeededRandom): void {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = rnd.below(i);
    const t = arr[i]!;
    arr[i] = arr[j]!;
    arr[j] = t;
  }
}

/** A worker's calls so far, kept by the driver. */
interface Tally {
  ops: number;
  misaligned: number;
}

/** A worker running: yields its cases' calls, returns its figures. */
type WorkerRun = Generator<KernelCall, WorkerData, number | null>;

/** The kernel's test_func(): one worker's cases, in its order, each test_repeat_count times. */
function* testFunc(p: KernelParams, worker: number, tally: Tally): WorkerRun {
  const rnd = new SeededRandom(p.seed + worker);
  const order = TEST_CASES.map((_, i) => i);
  if (!p.sequentialTestOrder) shuffleArray(order, rnd);
  const w: WorkerData = { data: TEST_CASES.map(() => undefined), order, tookUs: 0, misaligned: 0, errors: [] };
  const a = callBuilder();
  const ctx: CaseContext = { testLoopCount: p.testLoopCount, nrPages: p.nrPages, nrCpus: p.nrCpus, rnd };
  const t0 = performance.now();
  for (const index of order) {
    const c = TEST_CASES[index]!;
    if (!maskSelects(p.runTestMask, index) || c.run === undefined) continue;
    const d: CaseData = { passed: 0, failed: 0, timeUs: 0, ops: 0, startMs: performance.now(), endMs: 0 };
    const ops0 = tally.ops;
    for (let j = 0; j < p.testRepeatCount; j++) {
      let rv: number;
      try {
        rv = yield* c.run(a, ctx);
      } catch (err) {
        w.errors.push(`${c.name}: ${messageOf(err)}`);
        rv = -1;
      }
      if (rv === 0) d.passed++;
      else d.failed++;
    }
    d.endMs = performance.now();
    d.timeUs = Math.trunc(((d.endMs - d.startMs) * 1000) / p.testRepeatCount);
    d.ops = tally.ops - ops0;
    w.data[index] = d;
  }
  w.tookUs = Math.round((performance.now() - t0) * 1000);
  w.misaligned = tally.misaligned;
  return w;
}

/** Carries out `call` on `b` for a worker: an address not aligned as asked is freed, counted, and answered as NULL. */
function callSync(b: SyncBackend, call: KernelCall, tally: Tally): number | null {
  tally.ops++;
  if (call.kind === 'free') {
    b.free(call.page);
    return null;
  }
  const page = b.alloc(call.pages, call.align);
  if (page === null || isAligned(page, call.align)) return page;
  tally.misaligned++;
  b.free(page);
  return null;
}

/** callSync's counterpart for a backend that answers later. */
async function callAsync(b: AsyncBackend, call: KernelCall, tally: Tally): Promise<number | null> {
  tally.ops++;
  if (call.kind === 'free') {
    await b.free(call.page);
    return null;
  }
  const align = call.align;
  const page = await b.alloc(call.pages, align);
  if (page === null || isAligned(page, align)) return page;
  tally.misaligned++;
  await b.free(page);
  return null;
}

/**
 * Steps every worker by one call in turn, round-robin, until all are done:
 * nr_threads on a synchronous model. An error a call throws is thrown into
 * the worker, which counts its case failed.
 */
function driveSync(runs: WorkerRun[], tallies: Tally[], backends: SyncBackend[]): WorkerData[] {
  const out: WorkerData[] = new Array<WorkerData>(runs.length);
  const next = runs.map((g) => g.next());
  let left = runs.length;
  while (left > 0) {
    for (let i = 0; i < runs.length; i++) {
      const r = next[i]!;
      if (r.done === true) continue;
      let res: IteratorResult<KernelCall, WorkerData>;
      try {
        res = runs[i]!.next(callSync(backends[i]!, r.value, tallies[i]!));
      } catch (err) {
        res = runs[i]!.throw(err);
      }
      next[i] = res;
      if (res.done === true) {
        out[i] = res.value;
        left--;
      }
    }
  }
  return out;
}

/** Each worker a loop of its own calls, all at once: nr_threads concurrent clients. */
function driveAsync(runs: WorkerRun[], tallies: Tally[], backends: AsyncBackend[]): Promise<WorkerData[]> {
  return Promise.all(
    runs.map(async (g, i) => {
      let r = g.next();
      while (r.done !== true) {
        try {
          r = g.next(await callAsync(backends[i]!, r.value, tallies[i]!));
        } catch (err) {
          r = g.throw(err);
        }
      }
      return r.value;
    }),
  );
}

/** Each selected case that ran, summed over the workers. */
function caseFigures(workers: readonly WorkerData[]): CaseFigure[] {
  const out: CaseFigure[] = [];
  TEST_CASES.forEach((c, index) => {
    const ds = workers.flatMap((w) => (w.data[index] === undefined ? [] : [w.data[index]]));
    if (ds.length === 0) return;
    const ops = ds.reduce((s, d) => s + d.ops, 0);
    const spanMs = Math.max(...ds.map((d) => d.endMs)) - Math.min(...ds.map((d) => d.startMs));
    out.push({
      index,
      name: c.name,
      passed: ds.reduce((s, d) => s + d.passed, 0),
      failed: ds.reduce((s, d) => s + d.failed, 0),
      ops,
      spanMs,
      opsPerSec: spanMs > 0 ? (ops * 1000) / spanMs : 0,
    });
  });
  return out;
}

/**
 * Runs the selected cases with `params` (clamped as the kernel does), worker
 * i's calls carried out by `backendFor(i)`, all of one kind: synchronous
 * backends are stepped round-robin, asynchronous ones run concurrently.
 */
export async function runKernelTests(params: KernelParams, backendFor: (worker: number) => Backend): Promise<RunResult> {
  const p = clampParams(params);
  const tallies: Tally[] = Array.from({ length: p.nrThreads }, () => ({ ops: 0, misaligned: 0 }));
  const runs = tallies.map((t, i) => testFunc(p, i, t));
  const backends = tallies.map((_, i) => backendFor(i));
  const sync = backends.filter((b): b is SyncBackend => b.sync);
  let workers: WorkerData[];
  if (sync.length === backends.length) workers = driveSync(runs, tallies, sync);
  else if (sync.length === 0) workers = await driveAsync(runs, tallies, backends as AsyncBackend[]);
  else throw new Error('runKernelTests: the workers\' backends must be all synchronous or all asynchronous');
  return { params: p, workers, cases: caseFigures(workers) };
}
