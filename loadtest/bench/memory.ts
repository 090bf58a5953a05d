/**
 * What the benchmark learns about memory: GC time from perf_hooks' gc
 * entries, and heap samples taken after a forced GC (which needs node's
 * --expose-gc; without it there are none).
 */
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** Running totals of the GC time node reports, from construction until disconnect(). */
export class GcMeter {
  /** Milliseconds spent in GC so far. */
  ms = 0;
  /** How many of those GCs were major (mark-sweep-compact). */
  majors = 0;
  private readonly observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      this.ms += e.duration;
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) this.majors++;
    }
  });

  constructor() {
    this.observer.observe({ entryTypes: ['gc'] });
  }

  /** Lets queued GC entries reach the totals: they are delivered asynchronously. */
  async flush(): Promise<void> {
    await sleep(20);
    await sleep(20);
  }

  /** Stops observing, so that the process can exit. */
  disconnect(): void {
    this.observer.disconnect();
  }
}

/** Heap in use, and typed-array backing stores (which heapUsed does not count). */
export interface HeapSample {
  readonly heapUsed: number;
  readonly arrayBuffers: number;
}

const gcFn = globalThis.gc;

/** Whether node runs with --expose-gc: the heap figures need it. */
export const canSampleHeap = gcFn !== undefined;

/** Forces a full GC if node allows it; between sizes, so that one does not pay for the last. */
export function collect(): void {
  gcFn?.();
}

/** The heap after two forced GCs; null without --expose-gc. */
export function heapSample(): HeapSample | null {
  if (gcFn === undefined) return null;
  gcFn();
  gcFn();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
}
