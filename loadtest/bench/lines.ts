/**
 * The one-line figures the benchmark prints around its tables: what ran and
 * how, the cross-check's verdict, the reference model's rate, and meminfo()
 * against walkMeminfo() across sizes.
 */
import { cpus, loadavg } from 'node:os';
import { CROSS_CHECK_LIVE, type CrossCheck } from './cross-check.js';
import { canSampleHeap } from './memory.js';
import type { BenchOptions } from './options.js';
import { REF_LIVE, type ReferenceResult, type SizeResult } from './runs.js';
import { fmtInt, fmtLive, fmtN } from './tables.js';
import type { Summary } from './targets.js';
import { LAZY_MAX_PAGES, MAX_AREA_PAGES, SPACE_SHAPE } from './workloads.js';

/** The node, the machine, the space, the workload and the timing; other load on the machine skews the figures, so it says how much. */
export function headerLines(opts: BenchOptions): string[] {
  const t = opts.timing;
  return [
    `vmapd allocator benchmark: node ${process.version}, ${cpus().length} CPU(s), seed ${opts.seed}${opts.quick ? ', --quick' : ''}` +
      `${canSampleHeap ? '' : ', no --expose-gc (heap figures skipped)'}`,
    `space: basePage 0x${SPACE_SHAPE.basePage.toString(16)}, 2^33 - 1 pages, lazyMaxPages ${LAZY_MAX_PAGES}; ` +
      `areas of 1-${MAX_AREA_PAGES} pages + guard; steady state = free a random live area + alloc a new one`,
    `timing: ${t.warmupMs} ms warm-up, then ${t.windows} x ${t.windowMs} ms windows per size; ` +
      `load average at start ${loadavg()[0]!.toFixed(2)} (other processes skew the figures)\n`,
  ];
}

/** Whether VmapSpace and the reference model agreed. */
export function crossCheckLine(cc: CrossCheck): string {
  return cc.mismatch === null
    ? `cross-check vs reference model: identical placements and meminfo over ${fmtInt(CROSS_CHECK_LIVE)} allocs + ${fmtInt(cc.iterations)} free/alloc pairs; invariants hold`
    : `cross-check vs reference model: MISMATCH: ${cc.mismatch}`;
}

/** The reference model's rate and VmapSpace's speedup over it. */
export function referenceLine(ref: ReferenceResult, summary: Summary): string {
  const { speedup } = summary;
  return (
    `\nreference model (sorted array, O(n) gap scan) at ${fmtLive(REF_LIVE)} live areas: ${fmtInt(ref.opsPerSec)} ops/s ` +
    `(window median ${fmtInt(ref.medianWindowOpsPerSec)}; prefill ${fmtN(ref.prefillMs, 0)} ms); ` +
    `VmapSpace speedup at ${fmtLive(REF_LIVE)}: ${speedup === null ? 'n/a (10k not run)' : `${speedup.toFixed(1)}x`}`
  );
}

/** walkMeminfo() (O(n)) and meminfo() (O(1)) per call at every size. */
export function meminfoLine(results: readonly SizeResult[], summary: Summary): string {
  const { walkContrast } = summary;
  return (
    `walkMeminfo() per call: ${results.map((r) => `${fmtLive(r.live)} ${fmtN(r.walkMeminfoUsPerCall, 1)} us`).join(', ')}` +
    (walkContrast === null ? '' : ` (100k/1k = ${walkContrast.toFixed(0)}x: O(n))`) +
    `; meminfo() per call: ${results.map((r) => `${fmtLive(r.live)} ${fmtN(r.meminfoNsPerCall, 1)} ns`).join(', ')}`
  );
}
