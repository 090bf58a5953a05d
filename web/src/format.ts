/**
 * Formatting of bytes, counts and addresses. Addresses are 64-bit and do not
 * fit a double: they are bigints here and `0x%016x` strings on the wire.
 */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** `n` bytes in binary units, e.g. `8 KiB`, `1.5 GiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 100 || Number.isInteger(v) ? 0 : v >= 10 ? 1 : 2;
  return `${n < 0 ? '-' : ''}${v.toFixed(digits)} ${UNITS[u]}`;
}

/** `n` with thousands separators. */
export function formatCount(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** A rate per second, with one decimal below 100. */
export function formatRate(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n < 100 ? `${n.toFixed(1)}/s` : `${formatCount(n)}/s`;
}

/** A ratio in [0, 1] as a percentage. */
export function formatRatio(r: number): string {
  return Number.isFinite(r) ? `${(r * 100).toFixed(r >= 0.999 || r === 0 ? 0 : 1)} %` : '–';
}

/** `a` as the service writes addresses: `0x` and 16 hex digits. */
export function hex(a: bigint): string {
  return `0x${a.toString(16).padStart(16, '0')}`;
}

/** A `0x…` address (or any bigint literal) as a bigint; null when it is not one. */
export function parseAddress(s: string): bigint | null {
  const t = s.trim();
  if (!/^0x[0-9a-f]+$/i.test(t) && !/^[0-9]+$/.test(t)) return null;
  try {
    return BigInt(t);
  } catch {
    return null;
  }
}

/** A byte count given as bigint, formatted (exact below 2^53). */
export function formatBigBytes(n: bigint): string {
  return formatBytes(Number(n));
}

/** Wall-clock time of `ms` (since the epoch) as HH:MM:SS. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  const p = (x: number): string => String(x).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
