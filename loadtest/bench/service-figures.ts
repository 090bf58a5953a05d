/**
 * The benchmark's service part: what the allocator's speed becomes once
 * vmapd runs it behind gRPC and a store. AllocBatch of 10,000 areas end to
 * end on the memory and the SQLite store (bulk-figures.ts), and recovery of
 * 1M areas from SQLite (recovery-figures.ts), each against its target.
 * Spawns vmapd on 127.0.0.1; every process is stopped by its pid.
 */
import { benchBulk, type BulkFigures } from './bulk-figures.js';
import { fmtInt } from './tables.js';
import type { Target } from './targets.js';

/** AllocBatch allocs/s wanted end to end, per store. */
const BULK_TARGETS = { memory: 300_000, sqlite: 200_000 } as const;

/** Every figure of the service part. */
export interface ServiceFigures {
  readonly bulk: BulkFigures;
}

/** Runs the service part; `quick` makes fewer calls. */
export async function benchService(quick: boolean): Promise<ServiceFigures> {
  const bulk = await benchBulk(quick ? { calls: 8, warmup: 2 } : {});
  return { bulk };
}

/** The service part's lines of the target table. */
export function serviceTargets(f: ServiceFigures): Target[] {
  return (['memory', 'sqlite'] as const).map((store) => {
    const s = f.bulk.stores.find((x) => x.store === store);
    const want = BULK_TARGETS[store];
    return {
      name: `AllocBatch of 10,000 end to end, ${store === 'memory' ? 'memory store' : 'SQLite'} (allocs/s)`,
      target: `>= ${fmtInt(want)}`,
      value: s === undefined ? 'n/a' : fmtInt(s.allocsPerSec),
      pass: s === undefined ? null : s.allocsPerSec >= want,
    };
  });
}

/** One line per store for the report above the table. */
export function serviceLines(f: ServiceFigures): string[] {
  return f.bulk.stores.map(
    (s) =>
      `AllocBatch end to end, ${s.store}: ${fmtInt(s.allocsPerSec)} allocs/s over ${s.calls} calls of ${f.bulk.options.batch} ` +
      `(median call ${s.medianCallMs.toFixed(1)} ms, worst ${s.maxCallMs.toFixed(1)} ms)`,
  );
}
