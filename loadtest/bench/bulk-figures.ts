/**
 * AllocBatch end to end (issue 15): a VmapClient in this process calls a
 * vmapd child on 127.0.0.1 with batches of 10,000 allocations; each call is
 * timed from the client's call to its decoded Area[] (request encoding,
 * the write under the mutex, the store's commit, publication to the reader
 * threads, the reply's encoding and the client's decoding, all included).
 * Once per store: `--store memory`, and SQLite in a temporary directory.
 *
 * The areas stay live between calls; once more than `liveCap` are, the
 * oldest batch is freed (untimed, a few frees in flight: 10,000 Free calls
 * take far longer than the AllocBatch) so the space never fills and the busy
 * list stays bounded. With the defaults no batch is freed: 230,000 areas of
 * at most 65 pages fill under 0.2% of the default 32 TiB space. Bounded in calls and in time; every
 * vmapd is stopped by its pid.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AllocSpec, Area, VmapClient } from '../../src/client/index.js';
import { makeVmapClient } from '../lib/grpc.js';
import { SeededRandom } from '../lib/random.js';
import { startVmapd, stopServerProcess } from '../lib/server-process.js';

/** The stores a run measures. */
export type BulkStore = 'memory' | 'sqlite';

/** What one run does. */
export interface BulkOptions {
  /** Timed AllocBatch calls per store. */
  readonly calls: number;
  /** Untimed calls first, per store (JIT, connection, caches). */
  readonly warmup: number;
  /** Allocations per call (vmapd takes at most 10,000). */
  readonly batch: number;
  /** `one-page`: every area one page (plus its guard); `random`: 1-64 pages, seeded. */
  readonly sizes: 'one-page' | 'random';
  readonly seed: number;
  readonly stores: readonly BulkStore[];
  /** Most areas left live; above it the oldest batch is freed. */
  readonly liveCap: number;
  /** The timed calls of one store stop once they have taken this long. */
  readonly timeLimitMs: number;
}

/** The defaults: 20 timed calls of 10,000 random-size areas after 3 warm-up calls, both stores. */
export const DEFAULT_BULK_OPTIONS: BulkOptions = {
  calls: 20,
  warmup: 3,
  batch: 10_000,
  sizes: 'random',
  seed: 15,
  stores: ['memory', 'sqlite'],
  liveCap: 250_000,
  timeLimitMs: 60_000,
};

/** The figures of one store. */
export interface StoreBulkFigures {
  readonly store: BulkStore;
  /** Timed calls made (fewer than asked if the time limit ran out). */
  readonly calls: number;
  readonly areas: number;
  /** All timed areas over all timed call time. */
  readonly allocsPerSec: number;
  /** The batch over the median call's time. */
  readonly medianCallAllocsPerSec: number;
  readonly medianCallMs: number;
  readonly maxCallMs: number;
}

/** The figures of a run. */
export interface BulkFigures {
  readonly options: BulkOptions;
  readonly stores: readonly StoreBulkFigures[];
}

/** Most frees in flight while the oldest batch is given back. */
const FREES_IN_FLIGHT = 32;

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The requests of every call, made up front so the timing holds none of the bench's own work. */
function requestsOf(o: BulkOptions, rng: SeededRandom): AllocSpec[] {
  const specs: AllocSpec[] = new Array<AllocSpec>(o.batch);
  for (let i = 0; i < o.batch; i++) {
    const pages = o.sizes === 'one-page' ? 1 : 1 + rng.below(64);
    specs[i] = { size: pages * 4096, caller: 'bench-bulk' };
  }
  return specs;
}

/** Frees `areas`, a few at a time. */
async function freeAll(client: VmapClient, areas: readonly Area[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < areas.length) await client.free(areas[next++]!.addr);
  };
  await Promise.all(Array.from({ length: FREES_IN_FLIGHT }, worker));
}

/** Times `o.calls` AllocBatch calls against `client`. */
async function timeCalls(client: VmapClient, o: BulkOptions, rng: SeededRandom): Promise<number[]> {
  const live: Area[][] = [];
  let liveCount = 0;
  const call = async (): Promise<number> => {
    const specs = requestsOf(o, rng);
    const t = performance.now();
    const areas = await client.allocBatch(specs);
    const ms = performance.now() - t;
    if (areas.length !== specs.length) throw new Error(`AllocBatch of ${specs.length} answered ${areas.length} areas`);
    live.push(areas);
    liveCount += areas.length;
    while (liveCount > o.liveCap) {
      const oldest = live.shift()!;
      await freeAll(client, oldest);
      liveCount -= oldest.length;
    }
    return ms;
  };
  for (let i = 0; i < o.warmup; i++) await call();
  const times: number[] = [];
  let spent = 0;
  while (times.length < o.calls && spent < o.timeLimitMs) {
    const ms = await call();
    times.push(ms);
    spent += ms;
  }
  return times;
}

/** Starts vmapd on `store`, times the calls, stops it. */
async function benchStore(store: BulkStore, o: BulkOptions): Promise<StoreBulkFigures> {
  const dir = store === 'sqlite' ? mkdtempSync(join(tmpdir(), 'vmapd-bulk-')) : undefined;
  try {
    const server = await startVmapd({ readMode: 'snapshot', extraArgs: dir === undefined ? ['--store', 'memory'] : ['--data-dir', dir] });
    try {
      const client = makeVmapClient(server.grpc, 60_000);
      try {
        await client.ready(10_000);
        const times = await timeCalls(client, o, new SeededRandom(o.seed));
        const total = times.reduce((a, b) => a + b, 0);
        const mid = median(times);
        return {
          store,
          calls: times.length,
          areas: times.length * o.batch,
          allocsPerSec: (times.length * o.batch) / (total / 1000),
          medianCallAllocsPerSec: o.batch / (mid / 1000),
          medianCallMs: mid,
          maxCallMs: Math.max(...times),
        };
      } finally {
        client.close();
      }
    } finally {
      await stopServerProcess(server);
    }
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the AllocBatch bench on each of `options.stores`, one vmapd at a time. */
export async function benchBulk(options: Partial<BulkOptions> = {}): Promise<BulkFigures> {
  const o: BulkOptions = { ...DEFAULT_BULK_OPTIONS, ...options };
  if (!(o.batch >= 1 && o.batch <= 10_000)) throw new RangeError(`batch must be from 1 to 10000, got ${o.batch}`);
  if (!(o.calls >= 1 && o.calls <= 1000) || !(o.warmup >= 0 && o.warmup <= 100)) throw new RangeError('calls must be from 1 to 1000, warmup from 0 to 100');
  const stores: StoreBulkFigures[] = [];
  for (const store of o.stores) stores.push(await benchStore(store, o));
  return { options: o, stores };
}
