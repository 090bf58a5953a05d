/**
 * The field checks of one AllocRequest, on its own (not against the space's
 * contents), as the service makes them before it allocates: what may be
 * missing, what a uint64 field may hold, which alignments can ever fit, how
 * vstart and vend become pages, and which strings are too long or would
 * break a /vmallocinfo line.
 */
import { BASE, END, LIMIT_END, MAX_CALLER, MAX_REQUEST_ID, PAGE_N, PAGES, SPACE_BYTES, breaksLine, u64 } from './contract.js';

/** An AllocRequest after field checks: sizes in bytes, range limits as relative pages. */
export interface Checked {
  readonly size: number;
  readonly align: number;
  readonly vstart: number | undefined;
  readonly vend: number | undefined;
  readonly noGuard: boolean;
  readonly caller: string;
  readonly requestId: string;
}

const absent = (v: unknown): boolean => v === undefined || v === null;

/**
 * Checks one AllocRequest's fields on their own (not against the space's
 * contents): every field at fault is listed, `prefix` before its name.
 */
export function checkAllocFields(fields: Record<string, unknown>, prefix = ''): { checked?: Checked; bad: string[] } {
  const bad: string[] = [];
  const u = (name: string): bigint | undefined => {
    const v = fields[name];
    if (absent(v)) return 0n;
    const n = u64(v);
    if (n === undefined) bad.push(prefix + name);
    return n;
  };
  const str = (name: string, max: number, printable: boolean): string => {
    const v = fields[name];
    if (absent(v)) return '';
    if (typeof v !== 'string' || v.length > max || (printable && breaksLine(v))) {
      bad.push(prefix + name);
      return '';
    }
    return v;
  };
  let size: bigint | undefined;
  if (absent(fields.size)) bad.push(prefix + 'size');
  else {
    size = u('size');
    if (size !== undefined && (size === 0n || size > SPACE_BYTES)) bad.push(prefix + 'size');
  }
  if (!absent(fields.no_guard) && typeof fields.no_guard !== 'boolean') bad.push(prefix + 'no_guard');
  const align = u('align');
  if (align !== undefined && align !== 0n && (align & (align - 1n)) !== 0n) bad.push(prefix + 'align');
  // An alignment no address of the space is a multiple of can never fit.
  else if (align !== undefined && align !== 0n && ((BASE + align - 1n) / align) * align >= END) bad.push(prefix + 'align');
  const limit = (name: 'vstart' | 'vend'): number | undefined => {
    const a = u(name);
    if (a === undefined || a === 0n) return undefined;
    if (a < BASE || a > LIMIT_END) {
      bad.push(prefix + name);
      return undefined;
    }
    const off = a - BASE;
    // vstart rounds up to a page, vend down: the area stays inside [vstart, vend).
    const page = name === 'vstart' ? (off + PAGE_N - 1n) / PAGE_N : off / PAGE_N;
    if (name === 'vend' && page === 0n) bad.push(prefix + name);
    return Math.min(Number(page), PAGES);
  };
  const vstart = limit('vstart');
  const vend = limit('vend');
  // caller is printed one area per line in /vmallocinfo: no control characters.
  const caller = str('caller', MAX_CALLER, true);
  const requestId = str('request_id', MAX_REQUEST_ID, false);
  if (bad.length > 0) return { bad };
  return {
    bad,
    checked: { size: Number(size), align: Number(align), vstart, vend, noGuard: fields.no_guard === true, caller, requestId },
  };
}
