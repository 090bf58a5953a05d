/**
 * Byte counts and addresses as people and programs write them: the client's
 * arguments, vmapctl's and vmapd's command lines all parse sizes here.
 */
import { InvalidArgument } from '../vmap/errors.js';
import { parseU64 } from '../vmap/geometry.js';
import { VmapClientError } from './errors.js';

const SUFFIX: Record<string, bigint> = { k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n };

/** A byte count: a bigint, a safe integer, or a string such as `'4096'`, `'8k'`, `'2M'`, `'0x1000'`. */
export type Size = bigint | number | string;

/** An address: a bigint, a safe integer, or a decimal or `0x…` hex string. */
export type Address = bigint | number | string;

/**
 * Parses a byte count as people write it: `4096`, `8k`, `2M`, `1G`, `32T`
 * (binary multiples; a trailing `B`/`iB` is allowed), or `0x…` hex.
 *
 * @throws InvalidArgument naming `field`
 */
export function parseSize(text: string, field: string): bigint {
  const m = /^\s*([0-9]+)\s*([kKmMgGtT])(?:i?[bB])?\s*$/.exec(text);
  if (!m) return parseU64(text, field);
  const n = parseU64(m[1], field) * SUFFIX[m[2]!.toLowerCase()]!;
  if (n >= 1n << 64n) throw new InvalidArgument(field, 'must fit in 64 bits');
  return n;
}

/** Formats a byte count the short way (`8k`, `2M`), exact or in bytes. */
export function formatSize(bytes: number | bigint): string {
  const n = BigInt(bytes);
  for (const [suffix, unit] of [['T', 1n << 40n], ['G', 1n << 30n], ['M', 1n << 20n], ['k', 1n << 10n]] as const) {
    if (n >= unit && n % unit === 0n) return `${n / unit}${suffix}`;
  }
  return String(n);
}

/** Runs `parse`, turning the model's InvalidArgument into the client's error. */
function local<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof InvalidArgument) throw VmapClientError.invalidArgument(err.field, err.message.slice(err.field.length + 2));
    throw err;
  }
}

/**
 * `value` in bytes, as the wire's decimal uint64.
 *
 * @throws VmapClientError INVALID_ARGUMENT naming `field`
 */
export function wireSize(value: Size, field: string): string {
  return local(() => (typeof value === 'string' ? parseSize(value, field) : parseU64(value, field))).toString();
}

/**
 * `value` as the wire's decimal uint64.
 *
 * @throws VmapClientError INVALID_ARGUMENT naming `field`
 */
export function wireAddress(value: Address, field: string): string {
  return local(() => parseU64(value, field)).toString();
}

/** A safe non-negative integer as it is; anything else through `parse` (to bigint). */
function quick(value: Size, parse: () => bigint): number | bigint {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : local(parse);
}

/**
 * `value` in bytes, checked as wireSize checks it, as a number when it is a
 * safe integer already (the usual case: no bigint made), else as bigint.
 *
 * @throws VmapClientError INVALID_ARGUMENT naming `field`
 */
export function sizeValue(value: Size, field: string): number | bigint {
  return quick(value, () => (typeof value === 'string' ? parseSize(value, field) : parseU64(value, field)));
}

/**
 * `value` checked as wireAddress checks it, as a number when it is a safe
 * integer already, else as bigint.
 *
 * @throws VmapClientError INVALID_ARGUMENT naming `field`
 */
export function addressValue(value: Address, field: string): number | bigint {
  return quick(value, () => parseU64(value, field));
}
