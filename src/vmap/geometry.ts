import { InvalidArgument } from './errors.js';
import { PAGE_SHIFT, PAGE_SIZE_N } from './page.js';

/** x86-64 VMALLOC_START with 4-level paging. */
export const DEFAULT_SPACE_BASE = 0xffffc90000000000n;
/** 32 TiB: the x86-64 vmalloc space with 4-level paging. */
export const DEFAULT_SPACE_SIZE = 32n << 40n;

const U64_MAX = (1n << 64n) - 1n;
const HEX_DIGITS_PER_PAGE = 13; // 2^52 pages of 2^12 bytes: 13 hex digits of page, 3 of offset

/** Longest number text a message repeats in full; longer ones are cut and their length given. */
const MAX_SHOWN_NUMBER = 80;

/** `text` for a message: whole up to MAX_SHOWN_NUMBER characters, so that the client sees exactly what it sent. */
function shownNumber(text: string): string {
  return text.length <= MAX_SHOWN_NUMBER ? text : `${text.slice(0, 24)}… (${text.length} characters)`;
}

/**
 * Parses an unsigned 64-bit integer from the forms clients send: a decimal
 * string, a `0x` hex string, a safe integer or a BigInt. Strict: no sign, no
 * whitespace and no trailing bytes (a `%0a` at the end of a URL must not
 * free an area). Throws InvalidArgument naming `field` for anything else,
 * negative or above 2^64-1, with the value exactly as it was given.
 */
export function parseU64(value: unknown, field: string): bigint {
  let n: bigint;
  if (typeof value === 'bigint') {
    n = value;
  } else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new InvalidArgument(field, `must be an unsigned integer, got ${value}`);
    n = BigInt(value);
  } else if (typeof value === 'string') {
    if (!/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(value)) {
      throw new InvalidArgument(field, `must be an unsigned integer (decimal or 0x hex, nothing around it), got ${JSON.stringify(value.slice(0, 40))}`);
    }
    n = BigInt(value);
  } else {
    throw new InvalidArgument(field, `must be an unsigned integer, got ${value === null ? 'null' : typeof value}`);
  }
  const shown = (): string => shownNumber(typeof value === 'string' ? value : n.toString());
  if (n < 0n) throw new InvalidArgument(field, `must not be negative, got ${shown()}`);
  if (n > U64_MAX) throw new InvalidArgument(field, `must fit in 64 bits (at most 18446744073709551615), got ${shown()}`);
  return n;
}

/**
 * Where the space lies in the 64-bit address space, and the conversions
 * between absolute addresses (BigInt, used only at the edges) and the page
 * numbers relative to the base that the allocator works in.
 */
export class SpaceGeometry {
  /** First address of the space. */
  readonly base: bigint;
  /**
   * Size of the space in bytes, as the kernel sizes it (x86-64:
   * `VMALLOC_SIZE_TB << 40`). The kernel's VMALLOC_END is base + size - 1
   * and an area must end at or below it, so the size's last page is never
   * allocated: the space holds size / 4096 - 1 pages (see vmallocTotalBytes).
   */
  readonly size: bigint;
  /** Absolute page number of the first page. */
  readonly basePage: number;
  /** Pages areas may take: every page of the size but the last. */
  readonly pages: number;

  /** @throws InvalidArgument for a base or size that is not page aligned, or a space past 2^64 */
  constructor(base: bigint = DEFAULT_SPACE_BASE, size: bigint = DEFAULT_SPACE_SIZE) {
    if (base % PAGE_SIZE_N !== 0n || base < 0n) throw new InvalidArgument('space-base', 'must be a page-aligned address');
    if (size <= 0n || size % PAGE_SIZE_N !== 0n) throw new InvalidArgument('space-size', 'must be a positive multiple of 4096');
    if (size < 2n * PAGE_SIZE_N) throw new InvalidArgument('space-size', 'must be at least 8192: the last page is never allocated, as VMALLOC_END is the size less one byte');
    if (base + size > U64_MAX + 1n) throw new InvalidArgument('space-size', 'the space must end at or below 2^64');
    this.base = base;
    this.size = size;
    this.basePage = Number(base >> BigInt(PAGE_SHIFT));
    this.pages = Number(size >> BigInt(PAGE_SHIFT)) - 1;
  }

  /** One past the last address an area may take: the start of the size's last page. */
  get end(): bigint {
    return this.base + BigInt(this.pages) * PAGE_SIZE_N;
  }

  /** The kernel's VMALLOC_END: base + size - 1, the highest address a range limit may name. */
  get vmallocEnd(): bigint {
    return this.base + this.size - 1n;
  }

  /** Whether some address in `[base, end)` is a multiple of `align` (> 0): else no area can ever be aligned so. */
  holdsMultipleOf(align: bigint): boolean {
    const first = ((this.base + align - 1n) / align) * align;
    return first < this.end;
  }

  /** Absolute address of relative page `page`. */
  addressOf(page: number): bigint {
    return this.base + (BigInt(page) << BigInt(PAGE_SHIFT));
  }

  /** `0x%016x` of relative page `page`'s address, without BigInt. */
  hexOf(page: number): string {
    return '0x' + (this.basePage + page).toString(16).padStart(HEX_DIGITS_PER_PAGE, '0') + '000';
  }

  /** Whether `addr` lies in `[base, base + size]` (VMALLOC_END and one past it included, for range limits). */
  contains(addr: bigint): boolean {
    return addr >= this.base && addr <= this.base + this.size;
  }

  /**
   * The relative page a range limit names: `vstart` rounds up to a page,
   * `vend` down, so the area stays inside `[vstart, vend)`. 0 means "the
   * space's own start/end" and maps to undefined.
   *
   * @throws InvalidArgument naming the field when the address lies outside the space
   */
  limitPage(addr: bigint, field: 'vstart' | 'vend'): number | undefined {
    if (addr === 0n) return undefined;
    if (!this.contains(addr)) throw new InvalidArgument(field, `${hex(addr)} lies outside the space [${hex(this.base)}, ${hex(this.base + this.size)}]`);
    const offset = addr - this.base;
    const page = offset >> BigInt(PAGE_SHIFT);
    const roundUp = field === 'vstart' && offset % PAGE_SIZE_N !== 0n;
    // A vend inside the first page would round down to page 0, which the
    // allocator reads as "the space's end": refuse it here instead.
    if (field === 'vend' && page === 0n) throw new InvalidArgument('vend', `${hex(addr)} leaves no whole page above the space's base`);
    // The size's last page is never allocated (VMALLOC_END is one byte short of it): a limit past it is the space's end.
    return Math.min(Number(roundUp ? page + 1n : page), this.pages);
  }

  /** The relative page containing `addr`, or undefined outside the space. */
  pageContaining(addr: bigint): number | undefined {
    if (addr < this.base || addr >= this.end) return undefined;
    return Number((addr - this.base) >> BigInt(PAGE_SHIFT));
  }

  /** The relative page starting exactly at `addr`, or undefined if none does. */
  pageAt(addr: bigint): number | undefined {
    if (addr % PAGE_SIZE_N !== 0n) return undefined;
    return this.pageContaining(addr);
  }
}

/** `0x%016x` of an address. */
export function hex(addr: bigint): string {
  return '0x' + addr.toString(16).padStart(16, '0');
}
