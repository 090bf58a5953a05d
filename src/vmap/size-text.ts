/**
 * Byte counts as people write them (`4096`, `8k`, `2M`, `32T`, `0x1000`):
 * vmapd's and vmapctl's command lines parse them here, and the client's
 * arguments through src/client/sizes.ts. Plain text and bigints, nothing of
 * gRPC: vmapd's command line reads its sizes before it loads anything else.
 */
import { InvalidArgument } from './errors.js';
import { parseU64 } from './geometry.js';

const SUFFIX: Record<string, bigint> = { k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n };

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
