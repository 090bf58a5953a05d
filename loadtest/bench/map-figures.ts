/**
 * What GET /v1/map costs on a reader thread's replica, with no HTTP around
 * it: the space filled with `n` areas by the allocator (random sizes, then
 * some churn so that the free space is fragmented), copied into an
 * AreaReplica, then, generation after generation (a batch of frees and
 * allocs each, as the writer sends), the map of the whole space in 1,000
 * buckets and the map of the part the areas fill, in 4,096. The first map
 * after the replica is filled is timed apart: it computes every node's sum
 * once (a thread that starts or restarts pays it once).
 */
import { performance } from 'node:perf_hooks';
import { AreaReplica } from '../../src/threads/area-replica.js';
import type { Change } from '../../src/store/store.js';
import { spaceMap } from '../../src/vmap/space-map.js';
import { VmapSpace } from '../../src/vmap/space.js';
import type { VmapArea } from '../../src/vmap/vmap-area.js';
import { makeArea } from '../../src/vmap/vmap-area.js';
import { SeededRandom } from '../lib/random.js';
import { LAZY_MAX_PAGES, SPACE_SHAPE, randomSize, vmapSteady } from './workloads.js';

/** Generations timed after the first map. */
const ROUNDS = 30;
/** Frees and allocs per generation. */
const BATCH = 16;

export interface MapFigures {
  readonly live: number;
  /** The first map of the whole space, 1,000 buckets: every node's sum computed. */
  readonly coldMs: number;
  /** The whole space in 1,000 buckets, a generation after each batch: median and worst. */
  readonly wholeMedianMs: number;
  readonly wholeMaxMs: number;
  /** The pages the areas fill, in 4,096 buckets: median. */
  readonly denseMedianMs: number;
  readonly denseBuckets: number;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Times the map on `n` areas (seeded: the same areas each run). */
export function benchMap(n: number, seed: number): MapFigures {
  const rng = new SeededRandom(seed);
  const space = new VmapSpace({ ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES });
  const live: number[] = [];
  for (let i = 0; i < n; i++) live.push(space.alloc({ size: randomSize(rng) }).area.start);
  vmapSteady(space, live, rng, Math.floor(n / 5));
  const areas: VmapArea[] = [...space.areas()];
  const replica = new AreaReplica();
  replica.reset(areas, 1);
  let end = areas.length === 0 ? 0 : areas.at(-1)!.start + areas.at(-1)!.pages;
  const busy = areas.filter((va) => !va.lazy).map((va) => va.start);

  let t = performance.now();
  spaceMap(replica.view(), 0, SPACE_SHAPE.pages, 1000);
  const coldMs = performance.now() - t;

  const whole: number[] = [];
  const dense: number[] = [];
  for (let g = 2; g < ROUNDS + 2; g++) {
    // A batch: some areas freed (lazily) across the list, new ones past the end.
    const changes: Change[] = [];
    for (let i = 0; i < BATCH / 2; i++) {
      const at = rng.below(busy.length);
      changes.push({ op: 'lazy', start: busy[at]! });
      busy[at] = busy[busy.length - 1]!;
      busy.pop();
    }
    for (let i = 0; i < BATCH / 2; i++) {
      const pages = randomSize(rng) / 4096 + 1;
      changes.push({ op: 'insert', area: makeArea(end, pages, true, 'bench', 'bench', false, '') });
      busy.push(end);
      end += pages;
    }
    replica.apply(changes, g);
    const view = replica.view();
    t = performance.now();
    spaceMap(view, 0, SPACE_SHAPE.pages, 1000);
    whole.push(performance.now() - t);
    t = performance.now();
    spaceMap(view, 0, end, 4096);
    dense.push(performance.now() - t);
  }
  return { live: n, coldMs, wholeMedianMs: median(whole), wholeMaxMs: Math.max(...whole), denseMedianMs: median(dense), denseBuckets: 4096 };
}
