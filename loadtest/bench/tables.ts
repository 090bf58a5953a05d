/**
 * The benchmark's tables: number formats, a plain-text table layout (first
 * column left-aligned, the rest right-aligned), the results table with its
 * legend, and the targets table.
 */
import type { SizeResult } from './runs.js';
import type { Target } from './targets.js';

/** A whole number with thousands separators. */
export const fmtInt = (x: number): string => Math.round(x).toLocaleString('en-US');
/** A number to `digits` decimals, or n/a. */
export const fmtN = (x: number | null, digits = 1): string => (x === null ? 'n/a' : x.toFixed(digits));
/** A live-area count as 1k, 1M, or as is. */
export const fmtLive = (n: number): string =>
  n >= 1_000_000 && n % 1_000_000 === 0 ? `${n / 1_000_000}M` : n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n);

/** `rows` under `headers` and a rule, columns as wide as their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** One row per live-area count. */
export function sizeTable(results: readonly SizeResult[]): string {
  return table(
    ['live', 'prefill ms', 'ops/s', 'window median [min-max]', 'GC ms (majors)', 'meminfo ns', 'walk us', 'heap B/area', '+typed arrays', 'after steady', 'free blocks'],
    results.map((r) => [
      fmtLive(r.live),
      fmtN(r.prefillMs, 0),
      fmtInt(r.steady.opsPerSec),
      `${fmtInt(r.steady.medianWindowOpsPerSec)} [${fmtInt(r.steady.minWindowOpsPerSec)}-${fmtInt(r.steady.maxWindowOpsPerSec)}]`,
      `${fmtN(r.steady.gcMs, 0)} (${r.steady.gcMajor}) ${fmtN((r.steady.gcMs / 10) / r.steady.seconds, 1)}%`,
      fmtN(r.meminfoNsPerCall, 1),
      fmtN(r.walkMeminfoUsPerCall, 1),
      fmtN(r.heapBytesPerAreaAfterPrefill, 1),
      fmtN(r.totalBytesPerAreaAfterPrefill, 1),
      `${fmtN(r.heapBytesPerAreaAfterSteady, 1)} / ${fmtN(r.totalBytesPerAreaAfterSteady, 1)}`,
      fmtInt(r.freeBlocks),
    ]),
  );
}

/** What the columns of sizeTable mean. */
export const SIZE_LEGEND =
  '\n  ops/s: allocs + frees per second over all windows, GC included; GC ms: GC time inside the windows (count of\n' +
  '  major GCs, share of window time); meminfo ns / walk us: per call of meminfo() / walkMeminfo(); heap B/area:\n' +
  '  heapUsed delta per live area after prefill, then with typed-array backing stores; after steady: the same two\n' +
  '  after the steady-state run (noisy below 100k areas); free blocks: gaps between reserved ranges at the end.';

/** One row per target, marked pass, MISS or n/a. */
export function targetTable(targets: readonly Target[]): string {
  return table(
    ['target', 'wanted', 'measured', ''],
    targets.map((t) => [t.name, t.target, t.value, t.pass === null ? 'n/a' : t.pass ? 'pass' : 'MISS']),
  );
}
