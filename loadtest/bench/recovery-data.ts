/**
 * A data directory holding `n` areas, made quickly and exactly as vmapd
 * makes one: the areas are placed by the allocator model (lowest first fit,
 * random sizes and alignments, guard pages), a share of them freed lazily,
 * and every change committed through the SQLite store itself, in batches as
 * large as an AllocBatch, so the rows and the meta are what vmapd writes.
 * No server and no gRPC: 1M areas take seconds, not minutes.
 */
import { pino } from 'pino';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Change } from '../../src/store/store.js';
import type { VmapArea } from '../../src/vmap/vmap-area.js';
import { SpaceGeometry } from '../../src/vmap/geometry.js';
import { VmapSpace } from '../../src/vmap/space.js';
import { encodeAreaList } from '../../src/store/area-list-codec.js';
import { randomAlloc, rng } from '../lib/alloc-mix.js';
import { PREFILL_CALLER } from '../lib/prefill.js';

/** The build writes images only where it says: at its clean closes. */
const NO_BACKGROUND_IMAGES = { imageAfterChanges: 0 };
/** Changes per commit: AllocBatch's limit, so a transaction is no bigger than vmapd's own. */
const CHANGES_PER_COMMIT = 10_000;
/** One area in this many is freed lazily (and stays lazy: nothing purges it). */
const LAZY_EVERY = 50;
/** One area in this many carries an idempotency key. */
const KEYED_EVERY = 2;
/** Distinct owners the areas are spread over. */
const OWNERS = 16;

/** What a built data directory holds. */
export interface RecoveryData {
  /** Areas, busy and lazy. */
  readonly areas: number;
  /** Of which lazily freed. */
  readonly lazy: number;
  /** Rows written after the area image (0: no image). */
  readonly changed: number;
  /** Milliseconds the build took. */
  readonly ms: number;
}

/**
 * Fills `dir` (empty or absent) with `n` areas for vmapd's default space
 * (DEFAULT_CONFIG's base and size), seeded: the same areas each run. With
 * `changedAfterImage`, the store is then closed as vmapd's clean stop
 * closes it (writing the area image), opened again, and that many more
 * changes are committed (new areas and lazy frees, half each, counted in
 * `n`), as a vmapd that ran on after its last image and crashed leaves it.
 */
export async function buildRecoveryData(dir: string, n: number, seed = 1, changedAfterImage = 0): Promise<RecoveryData> {
  const t0 = performance.now();
  const geometry = new SpaceGeometry(DEFAULT_CONFIG.spaceBase, DEFAULT_CONFIG.spaceSize);
  const space = new VmapSpace({ basePage: geometry.basePage, pages: geometry.pages, lazyMaxPages: DEFAULT_CONFIG.lazyMaxPages });
  const random = rng(seed);
  const logger = pino({ level: 'silent' });
  let { store } = await SqliteStore.open(dir, geometry, logger, NO_BACKGROUND_IMAGES);
  let lazy = 0;
  let batch: Change[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length > 0) await store.commit(batch);
    batch = [];
  };
  const change = async (c: Change): Promise<void> => {
    batch.push(c);
    if (batch.length >= CHANGES_PER_COMMIT) await flush();
  };
  let i = 0;
  const alloc = async (count: number): Promise<void> => {
    for (const end = i + count; i < end; i++) {
      const m = randomAlloc(random, PREFILL_CALLER);
      const { area } = space.alloc({
        size: Number(m.size),
        align: Number(m.align),
        caller: i % 7 === 0 ? `${PREFILL_CALLER}/${i % 5}` : PREFILL_CALLER,
        owner: `owner-${i % OWNERS}`,
        requestId: i % KEYED_EVERY === 0 ? `req-${seed}-${i}` : '',
      });
      await change({ op: 'insert', area });
    }
  };
  /** Frees lazily every `every`-th busy area of `areas`, up to `most` of them. */
  const free = async (areas: readonly VmapArea[], every: number, most: number): Promise<number> => {
    let k = 0;
    let freed = 0;
    for (const va of areas) {
      if (freed >= most) break;
      if (va.lazy || k++ % every !== 0) continue;
      space.free(va.start, false);
      await change({ op: 'lazy', start: va.start });
      freed++;
    }
    return freed;
  };
  const later = Math.min(n, Math.ceil(changedAfterImage / 2));
  let changed = 0;
  try {
    await alloc(n - later);
    // Freed after the allocs, so the placements above stay those of a space that only grew.
    lazy += await free([...space.areas()], LAZY_EVERY, Infinity);
    await flush();
    if (changedAfterImage > 0) {
      await store.close(() => encodeAreaList(space.view(), n - later));
      ({ store } = await SqliteStore.open(dir, geometry, logger, NO_BACKGROUND_IMAGES));
      // Frees of areas the image has: each is one more changed row.
      const placed = [...space.areas()];
      await alloc(later);
      const wanted = changedAfterImage - later;
      const freed = await free(placed, Math.max(1, Math.floor((placed.length - lazy) / Math.max(1, wanted))), wanted);
      lazy += freed;
      changed = later + freed;
      await flush();
    }
  } finally {
    await store.close();
  }
  return { areas: n, lazy, changed, ms: performance.now() - t0 };
}
