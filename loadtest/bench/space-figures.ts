/**
 * Figures of one built space besides its throughput: the cost of meminfo()
 * (O(1) counters) and of walkMeminfo() (the O(n) walk), and how fragmented
 * the space ended up.
 */
import { performance } from 'node:perf_hooks';
import type { VmapSpace } from '../../src/vmap/space.js';
import { consume } from './sink.js';

/** Nanoseconds per `meminfo()` call: the fastest of three timed loops after a warm-up loop (least disturbed by other load). */
export function timeMeminfo(space: VmapSpace, calls: number): number {
  const loop = (n: number): number => {
    let sink = 0;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const m = space.meminfo();
      sink += m.used + m.chunk + m.lazy + m.nrAreas + m.nrLazyAreas;
    }
    const t1 = performance.now();
    consume(sink);
    return ((t1 - t0) * 1e6) / n;
  };
  loop(200_000);
  return Math.min(loop(calls), loop(calls), loop(calls));
}

/** Microseconds per `walkMeminfo()` call, over at least `minMs` and 3 calls. */
export function timeWalkMeminfo(space: VmapSpace, minMs: number): { usPerCall: number; calls: number } {
  consume(space.walkMeminfo().chunk);
  let calls = 0;
  let sink = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    const m = space.walkMeminfo();
    sink += m.used + m.chunk + m.nrAreas;
    calls++;
    t = performance.now();
  } while (calls < 3 || t - t0 < minMs);
  consume(sink);
  return { usPerCall: ((t - t0) * 1000) / calls, calls };
}

/** How fragmented a space is. */
export interface Fragmentation {
  /** Gaps between reserved ranges, the one after the last included. */
  readonly freeBlocks: number;
  /** Pages up to the end of the last reserved range. */
  readonly spanPages: number;
  /** Free pages inside that span. */
  readonly holePages: number;
}

/** Free blocks (gaps between reserved ranges) and the pages of the touched span they hold. */
export function fragmentation(space: VmapSpace): Fragmentation {
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
