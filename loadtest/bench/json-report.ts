/** The benchmark's --json file: every figure of a run, with what ran and on what. */
import { cpus, loadavg } from 'node:os';
import type { CrossCheck } from './cross-check.js';
import type { MapFigures } from './map-figures.js';
import type { BenchOptions } from './options.js';
import { REF_LIVE, type ReferenceResult, type SizeResult } from './runs.js';
import type { ServiceFigures } from './service-figures.js';
import type { Summary, Target } from './targets.js';
import { LAZY_MAX_PAGES, SPACE_SHAPE } from './workloads.js';

/** What a finished run hands to jsonReport. */
export interface BenchRun {
  readonly opts: BenchOptions;
  readonly crossCheck: CrossCheck;
  readonly sizes: readonly SizeResult[];
  readonly reference: ReferenceResult;
  readonly summary: Summary;
  readonly map: MapFigures;
  /** The service part, null with --skip-service. */
  readonly service: ServiceFigures | null;
  readonly targets: readonly Target[];
  readonly elapsedSeconds: number;
}

/** The JSON text of `run`, ending in a newline. */
export function jsonReport(run: BenchRun): string {
  const { opts, summary } = run;
  const t = opts.timing;
  const report = {
    node: process.version,
    cpus: cpus().length,
    seed: opts.seed,
    quick: opts.quick,
    date: new Date().toISOString(),
    loadAverage: loadavg(),
    space: { ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES },
    timing: { warmupMs: t.warmupMs, windowMs: t.windowMs, windows: t.windows, meminfoCalls: t.meminfoCalls },
    crossCheck: run.crossCheck,
    sizes: run.sizes,
    reference: { live: REF_LIVE, ...run.reference, vmapSpeedup: summary.speedup },
    ratio1Mto1k: summary.ratio,
    meminfoSpread: summary.meminfoSpread,
    spaceMap: run.map,
    service: run.service,
    targets: run.targets,
    elapsedSeconds: run.elapsedSeconds,
  };
  return `${JSON.stringify(report, null, 2)}\n`;
}
