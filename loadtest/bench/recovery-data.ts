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
import { SpaceGeometry } from '../../src/vmap/geometry.js';
import { VmapSpace } from '../../src/vmap/space.js';
import { randomAlloc, rng } from '../lib/alloc-mix.js';
import { PREFILL_CALLER } from '../lib/prefill.js';

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
  /** Milliseconds the build took. */
  readonly ms: number;
}

/**
 * Fills `dir` (empty or absent) with `n` areas for vmapd's default space
 * (DEFAULT_CONFIG's base and size), seeded: the same areas each run.
 */
export async function buildRecoveryData(dir: string, n: number, seed = 1): Promise<RecoveryData> {
  const t0 = performance.now();
  const geometry = new SpaceGeometry(DEFAULT_CONFIG.spaceBase, DEFAULT_CONFIG.spaceSize);
  const space = new VmapSpace({ basePage: geometry.basePage, pages: geometry.pages, lazyMaxPages: DEFAULT_CONFIG.lazyMaxPages });
  const random = rng(seed);
  const { store } = await SqliteStore.open(dir, geometry, pino({ level: 'silent' }));
  let lazy = 0;
  try {
    let batch: Change[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length > 0) await store.commit(batch);
      batch = [];
    };
    for (let i = 0; i < n; i++) {
      const m = randomAlloc(random, PREFILL_CALLER);
      const { area } = space.alloc({
        size: Number(m.size),
        align: Number(m.align),
        caller: i % 7 === 0 ? `${PREFILL_CALLER}/${i % 5}` : PREFILL_CALLER,
        owner: `owner-${i % OWNERS}`,
        requestId: i % KEYED_EVERY === 0 ? `req-${seed}-${i}` : '',
      });
      batch.push({ op: 'insert', area });
      if (batch.length >= CHANGES_PER_COMMIT) await flush();
    }
    await flush();
    // Freed after all the allocs, so the placements above stay those of a space that only grew.
    let k = 0;
    for (const va of [...space.areas()]) {
      if (k++ % LAZY_EVERY !== 0) continue;
      space.free(va.start, false);
      batch.push({ op: 'lazy', start: va.start });
      lazy++;
      if (batch.length >= CHANGES_PER_COMMIT) await flush();
    }
    await flush();
  } finally {
    await store.close();
  }
  return { areas: n, lazy, ms: performance.now() - t0 };
}
