/** Page geometry shared by the allocator and the edges. */

/** Bytes per page, as on x86-64. */
export const PAGE_SIZE = 4096;
/** log2(PAGE_SIZE). */
export const PAGE_SHIFT = 12;
/** PAGE_SIZE as a BigInt, for address arithmetic at the edges. */
export const PAGE_SIZE_N = 4096n;

/** Whole pages needed to hold `bytes` (bytes > 0, a safe integer). */
export function pagesFor(bytes: number): number {
  return Math.ceil(bytes / PAGE_SIZE);
}

/** True when `n` is a positive power of two (exact for any double up to 2^1023). */
export function isPowerOfTwo(n: number): boolean {
  if (!(n > 0) || !Number.isFinite(n)) return false;
  // Doubles represent powers of two exactly; log2 of one is an integer.
  return Number.isInteger(Math.log2(n)) && 2 ** Math.log2(n) === n;
}
