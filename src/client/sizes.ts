/**
 * Byte counts and addresses as the client takes them (bigint, safe integer
 * or text), checked into what the wire carries; the text forms are parsed by
 * src/vmap/size-text.ts, re-exported here for the client's users.
 */
import { InvalidArgument } from '../vmap/errors.js';
import { parseU64 } from '../vmap/geometry.js';
import { VmapClientError } from './errors.js';
import { parseSize } from '../vmap/size-text.js';

export { formatSize, parseSize } from '../vmap/size-text.js';

/** A byte count: a bigint, a safe integer, or a string such as `'4096'`, `'8k'`, `'2M'`, `'0x1000'`. */
export type Size = bigint | number | string;

/** An address: a bigint, a safe integer, or a decimal or `0x…` hex string. */
export type Address = bigint | number | string;

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
