/** How the load-test report writes its numbers. */
import type { CpuUse } from './cpu.js';

/** A rate, rounded, with thousands separators. */
export const rate = (n: number): string => Math.round(n).toLocaleString('en-US');
/** Milliseconds with about three significant digits. */
export const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(3));
/** An area count: 1k, 100k, 1M. */
export const areas = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}M` : n >= 1000 ? `${n / 1000}k` : String(n));
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
