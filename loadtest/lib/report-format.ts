/** How the load-test report writes its numbers and its table cells. */
import type { FloodResult } from '../meminfo-flood.js';
import type { WritersResult } from '../writers.js';
import { otherCores, type CpuUse } from './cpu.js';

/** What a section says when `--phases` left its phase out. */
export const NOT_RUN = 'Not run: `--phases` left this phase out.';

/** A rate, rounded, with thousands separators. */
export const rate = (n: number): string => Math.round(n).toLocaleString('en-US');
/** Milliseconds with about three significant digits. */
export const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(3));
/** An area count: 1k, 100k, 1M. */
export const areas = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));
/** `1 thread`, `2 threads`, or (0) `the main thread`. */
export const threadsText = (n: number): string => (n === 0 ? 'the main thread' : n === 1 ? '1 thread' : `${n} threads`);
/** Microseconds, or – when unknown. */
export const us = (n: number | undefined): string => (n === undefined ? '–' : n >= 100 ? n.toFixed(0) : n.toFixed(1));

/** `value / base` as "0.93×", or "–" when there is no base. */
export function ratio(value: number | undefined | null, base: number | undefined | null): string {
  if (value === undefined || value === null || base === undefined || base === null || base === 0) return '–';
  const r = value / base;
  return `${r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

/**
 * Server CPU per request in µs: cores used ÷ requests per second. Unlike
 * req/s it does not fall when other processes take the CPU, so it tells the
 * read path's own cost from contention on a shared machine.
 */
export function cpuPerRequestUs(c: CpuUse | undefined, perSec: number | undefined): number | undefined {
  if (c === undefined || c.server === null || perSec === undefined || perSec <= 0) return undefined;
  return (c.server * 1e6) / perSec;
}

/**
 * Cores during one measurement: "server / load generators / other", where
 * other = whole machine − server(s) − load generators: work that was not
 * part of the test (another build, another test suite) and took the CPU from
 * it. A second server in the measurement (vmapd behind the bare route's
 * writers) is named after it.
 */
export function cpuCell(c: CpuUse | undefined, clientCores: number | undefined): string {
  if (c === undefined) return '–';
  const f = (n: number | null | undefined): string => (n === null || n === undefined ? '–' : n.toFixed(2));
  return `${f(c.server)} / ${f(clientCores)} / ${f(otherCores(c, clientCores))}${c.peer === undefined ? '' : ` (vmapd ${f(c.peer)})`}`;
}

/** `text (ratio×)`. */
export function withRatio(text: string, value: number | undefined | null, base: number | undefined | null): string {
  return `${text} (${ratio(value, base)})`;
}

/** A warning with the writers' failed calls by status, or nothing. */
export function errorsOf(w: WritersResult | undefined): string {
  if (w === undefined) return '';
  const e = Object.entries(w.errors);
  return e.length === 0 ? '' : ` ⚠ errors: ${e.map(([k, v]) => `${k} ${v}`).join(', ')}`;
}

/** A warning with a flood's non-2xx answers, errors and timeouts, or nothing. */
export function floodIssues(f: FloodResult | undefined): string {
  if (f === undefined || f.non2xx + f.errors + f.timeouts === 0) return '';
  return ` ⚠ non-2xx ${f.non2xx}, errors ${f.errors}, timeouts ${f.timeouts}`;
}
