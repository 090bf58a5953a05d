/**
 * The benchmark's targets and the figures derived across sizes that they
 * and the report use. A missed target is printed as MISS and never fails
 * the run: timing on a shared machine is no test.
 */
import type { MapFigures } from './map-figures.js';
import type { ReferenceResult, SizeResult } from './runs.js';
import { fmtInt, fmtN } from './tables.js';

/** One target: what is wanted, what was measured, and whether it passed (null: not measured in this run). */
export interface Target {
  name: string;
  target: string;
  value: string;
  pass: boolean | null;
}

/** Figures across sizes; null where a size they need was not run. */
export interface Summary {
  /** VmapSpace ops/s at 10k over the reference model's. */
  readonly speedup: number | null;
  /** ops/s at 1M over ops/s at 1k. */
  readonly ratio: number | null;
  /** Slowest meminfo() call over the fastest, across sizes. */
  readonly meminfoSpread: number | null;
  /** walkMeminfo() at 100k over at 1k: how O(n) the walk is. */
  readonly walkContrast: number | null;
}

/** The result at `n` live areas, if that size ran. */
export function resultAt(results: readonly SizeResult[], n: number): SizeResult | undefined {
  return results.find((r) => r.live === n);
}

/** The cross-size figures of `results`, and the speedup over `ref`. */
export function summarize(results: readonly SizeResult[], ref: ReferenceResult): Summary {
  const r1k = resultAt(results, 1000);
  const r10k = resultAt(results, 10_000);
  const r100k = resultAt(results, 100_000);
  const r1m = resultAt(results, 1_000_000);
  const meminfoTimes = results.map((r) => r.meminfoNsPerCall);
  return {
    speedup: r10k === undefined ? null : r10k.steady.opsPerSec / ref.opsPerSec,
    ratio: r1k !== undefined && r1m !== undefined ? r1m.steady.opsPerSec / r1k.steady.opsPerSec : null,
    meminfoSpread: results.length >= 2 ? Math.max(...meminfoTimes) / Math.min(...meminfoTimes) : null,
    walkContrast: r1k !== undefined && r100k !== undefined ? r100k.walkMeminfoUsPerCall / r1k.walkMeminfoUsPerCall : null,
  };
}

/** Heap bytes per live area at 1M that the targets allow. */
const HEAP_BYTES_PER_AREA = 150;

function heapTarget(name: string, bytes: number | null): Target {
  return { name, target: `<= ${HEAP_BYTES_PER_AREA}`, value: fmtN(bytes), pass: bytes === null ? null : bytes <= HEAP_BYTES_PER_AREA };
}

/**
 * >= 1,500,000 ops/s at 100k live areas; ops/s at 1M / ops/s at 1k >= 0.5;
 * meminfo() flat across sizes (slowest <= 2x fastest); <= 150 heap bytes per
 * live area at 1M.
 */
export function targetsOf(results: readonly SizeResult[], summary: Summary, map: MapFigures): Target[] {
  const r100k = resultAt(results, 100_000);
  const r1m = resultAt(results, 1_000_000);
  const { ratio, meminfoSpread } = summary;
  return [
    {
      name: 'ops/s at 100k live areas',
      target: '>= 1,500,000',
      value: r100k === undefined ? 'n/a' : fmtInt(r100k.steady.opsPerSec),
      pass: r100k === undefined ? null : r100k.steady.opsPerSec >= 1_500_000,
    },
    {
      name: 'ops/s ratio 1M / 1k',
      target: '>= 0.5',
      value: ratio === null ? 'n/a' : ratio.toFixed(2),
      pass: ratio === null ? null : ratio >= 0.5,
    },
    {
      name: 'meminfo() flat across sizes (slowest / fastest)',
      target: '<= 2.0',
      value: meminfoSpread === null ? 'n/a' : meminfoSpread.toFixed(2),
      pass: meminfoSpread === null ? null : meminfoSpread <= 2,
    },
    heapTarget('heap bytes per live area at 1M (heapUsed)', r1m?.heapBytesPerAreaAfterPrefill ?? null),
    heapTarget('  same, incl. typed arrays, after steady state', r1m?.totalBytesPerAreaAfterSteady ?? null),
    {
      name: 'space map, whole space, 1,000 buckets, at 1M (ms)',
      target: '< 50',
      value: map.live === 1_000_000 ? map.wholeMedianMs.toFixed(2) : 'n/a',
      pass: map.live === 1_000_000 ? map.wholeMedianMs < 50 : null,
    },
  ];
}
