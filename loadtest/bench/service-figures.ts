/**
 * The benchmark's service part: what the allocator's speed becomes once
 * vmapd runs it behind gRPC and a store. AllocBatch of 10,000 areas end to
 * end on the memory and the SQLite store (bulk-figures.ts), and recovery of
 * 1M areas from SQLite (recovery-figures.ts), each against its target.
 * Spawns vmapd on 127.0.0.1; every process is stopped by its pid.
 */
import { benchBulk, type BulkFigures } from './bulk-figures.js';
import { benchRecovery, type RecoveryFigures } from './recovery-figures.js';
import { fmtInt } from './tables.js';
import type { Target } from './targets.js';

/** AllocBatch allocs/s wanted end to end, per store. */
const BULK_TARGETS = { memory: 300_000, sqlite: 200_000 } as const;
/** Areas of the recovery target, and the most ms it may take from spawn to listening. */
const RECOVERY_AREAS = 1_000_000;
const RECOVERY_TARGET_MS = 1000;

/** Every figure of the service part. */
export interface ServiceFigures {
  readonly bulk: BulkFigures;
  /** Spawn to listening on a SQLite data directory of RECOVERY_AREAS areas. */
  readonly recovery: RecoveryFigures;
}

/** Runs the service part; `quick` makes fewer calls. */
export async function benchService(quick: boolean): Promise<ServiceFigures> {
  const bulk = await benchBulk(quick ? { calls: 8, warmup: 2 } : {});
  const [recovery] = await benchRecovery([RECOVERY_AREAS], { runs: quick ? 1 : 3 });
  return { bulk, recovery: recovery! };
}

/** The service part's lines of the target table. */
export function serviceTargets(f: ServiceFigures): Target[] {
  const bulk = (['memory', 'sqlite'] as const).map((store) => {
    const s = f.bulk.stores.find((x) => x.store === store);
    const want = BULK_TARGETS[store];
    return {
      name: `AllocBatch of 10,000 end to end, ${store === 'memory' ? 'memory store' : 'SQLite'} (allocs/s)`,
      target: `>= ${fmtInt(want)}`,
      value: s === undefined ? 'n/a' : fmtInt(s.allocsPerSec),
      pass: s === undefined ? null : s.allocsPerSec >= want,
    };
  });
  const r = f.recovery;
  return [
    ...bulk,
    { name: `recovery of ${fmtInt(r.areas)} areas from SQLite after a clean stop (area image), spawn to listening (ms)`, target: `< ${fmtInt(RECOVERY_TARGET_MS)}`, value: fmtInt(r.medianMs), pass: r.medianMs < RECOVERY_TARGET_MS },
    { name: `recovery of ${fmtInt(r.areas)} areas from SQLite after a crash (the image and ${fmtInt(r.changed)} rows changed since), spawn to listening (ms)`, target: `< ${fmtInt(RECOVERY_TARGET_MS)}`, value: fmtInt(r.crashMedianMs), pass: r.crashMedianMs < RECOVERY_TARGET_MS },
    { name: `recovery of ${fmtInt(r.areas)} areas from SQLite with no area image (every row), spawn to listening (ms)`, target: `< ${fmtInt(RECOVERY_TARGET_MS)}`, value: fmtInt(r.rowsMedianMs), pass: r.rowsMedianMs < RECOVERY_TARGET_MS },
  ];
}

/** One line per store for the report above the table. */
export function serviceLines(f: ServiceFigures): string[] {
  const r = f.recovery;
  const recovery =
    `recovery of ${fmtInt(r.areas)} areas (${fmtInt(r.lazy)} lazy) from SQLite, spawn to listening: after a clean stop (area image) median ${fmtInt(r.medianMs)} ms ` +
    `(runs ${r.runsMs.map(fmtInt).join(', ')} ms), after a crash (the image and ${fmtInt(r.changed)} rows changed since) median ${fmtInt(r.crashMedianMs)} ms (runs ${r.crashRunsMs.map(fmtInt).join(', ')} ms), ` +
    `with no image (every row) median ${fmtInt(r.rowsMedianMs)} ms (runs ${r.rowsRunsMs.map(fmtInt).join(', ')} ms)`;
  const bulk = f.bulk.stores.map(
    (s) =>
      `AllocBatch end to end, ${s.store}: ${fmtInt(s.allocsPerSec)} allocs/s over ${s.calls} calls of ${f.bulk.options.batch} ` +
      `(median call ${s.medianCallMs.toFixed(1)} ms, worst ${s.maxCallMs.toFixed(1)} ms)`,
  );
  return [...bulk, recovery];
}
