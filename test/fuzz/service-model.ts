/**
 * A model of what vmapd's service layer answers, for the fuzz tests: the
 * reference allocator (test/vmap/reference-model.ts) plus the rules the
 * service adds on top of it (field validation, tokens and owners, request
 * ids, all-or-none batches). It is written from the contract in issue 6 and
 * the proto, not from src/, and predicts for every request either the result
 * or the kind of error (with the fields that may be named).
 */
import type { MemInfo } from '../../src/vmap/meminfo.js';
import type { VmapArea } from '../../src/vmap/vmap-area.js';
import { InvalidArgument, OutOfSpace } from '../../src/vmap/errors.js';
import { ReferenceSpace } from '../vmap/reference-model.js';

/** The default space: x86-64 VMALLOC_START, 32 TiB. */
export const BASE = 0xffffc90000000000n;
export const PAGE = 4096;
const PAGE_N = 4096n;
export const PAGES = 2 ** 33;
export const SPACE_BYTES = BigInt(PAGES) * PAGE_N;
export const END = BASE + SPACE_BYTES;
const U64_MAX = (1n << 64n) - 1n;
/** Bounded string fields (issue 6: "oversized caller/request_id strings"). */
export const MAX_CALLER = 256;
export const MAX_REQUEST_ID = 128;
export const MAX_BATCH = 10000;

/** Who calls: the owner a valid token stands for, and its role. */
export interface Who {
  readonly owner: string;
  readonly role: 'client' | 'admin';
}

/** The failures the model predicts (the service's error kinds). */
export type Kind = 'InvalidArgument' | 'OutOfSpace' | 'NoSuchArea' | 'PermissionDenied' | 'Unauthenticated';

/** A predicted answer: a value, or an error kind and (InvalidArgument) the fields that may be named. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly kind: Kind; readonly fields?: readonly string[] };

export const GRPC_CODE: Record<Kind, number> = {
  InvalidArgument: 3,
  NoSuchArea: 5,
  PermissionDenied: 7,
  OutOfSpace: 8,
  Unauthenticated: 16,
};

export const HTTP_STATUS: Record<Kind, number> = {
  InvalidArgument: 400,
  NoSuchArea: 404,
  PermissionDenied: 403,
  OutOfSpace: 507,
  Unauthenticated: 401,
};

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const fail = <T>(kind: Kind, fields?: readonly string[]): Outcome<T> => (fields === undefined ? { ok: false, kind } : { ok: false, kind, fields });

/**
 * A uint64 as the contract takes it: a decimal or `0x` hex string (nothing
 * around it, not even whitespace), a safe non-negative integer or a BigInt;
 * undefined for anything else, including negative numbers and values above 2^64-1.
 */
export function u64(value: unknown): bigint | undefined {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return undefined;
    n = BigInt(value);
  } else if (typeof value === 'string') {
    if (!/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(value)) return undefined;
    n = BigInt(value);
  } else return undefined;
  return n < 0n || n > U64_MAX ? undefined : n;
}

/** The identity an `authorization` value stands for under `tokens`, or undefined (unauthenticated). */
export function identityOf(header: string | undefined, tokens: ReadonlyMap<string, Who>): Who | undefined {
  if (header === undefined || header === '') return undefined;
  // RFC 6750: the scheme is case-insensitive; one token, surrounding blanks allowed.
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? tokens.get(m[1]!) : undefined;
}

/** An AllocRequest after field checks: sizes in bytes, range limits as relative pages. */
interface Checked {
  readonly size: number;
  readonly align: number;
  readonly vstart: number | undefined;
  readonly vend: number | undefined;
  readonly noGuard: boolean;
  readonly caller: string;
  readonly requestId: string;
}

const absent = (v: unknown): boolean => v === undefined || v === null;

/** C0 and C1 controls, DEL, U+2028 and U+2029: what would break a /vmallocinfo line. */
export function breaksLine(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

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
    if (a < BASE || a > END) {
      bad.push(prefix + name);
      return undefined;
    }
    const off = a - BASE;
    // vstart rounds up to a page, vend down: the area stays inside [vstart, vend).
    const page = name === 'vstart' ? (off + PAGE_N - 1n) / PAGE_N : off / PAGE_N;
    if (name === 'vend' && page === 0n) bad.push(prefix + name);
    return Number(page);
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

/** What Free answers. */
export interface Freed {
  readonly freedBytes: number;
  readonly purged: boolean;
}

/**
 * The service as a model. Its state is a ReferenceSpace; the live request ids
 * are those of its busy areas.
 */
export class ServiceModel {
  private space: ReferenceSpace;

  constructor(readonly lazyMaxPages: number) {
    this.space = this.fresh();
  }

  private fresh(): ReferenceSpace {
    return new ReferenceSpace({ basePage: Number(BASE / PAGE_N), pages: PAGES, lazyMaxPages: this.lazyMaxPages });
  }

  /** An independent copy, to try a request on. */
  clone(): ServiceModel {
    const m = new ServiceModel(this.lazyMaxPages);
    m.rebuild(this.areas());
    return m;
  }

  /** Busy and lazy areas, ascending. */
  areas(): readonly VmapArea[] {
    return this.space.areas();
  }

  meminfo(): MemInfo {
    return this.space.meminfo();
  }

  /** Absolute address of relative page `page`. */
  static addressOf(page: number): bigint {
    return BASE + BigInt(page) * PAGE_N;
  }

  /** Usable bytes of an area. */
  static sizeOf(va: VmapArea): number {
    return (va.guard ? va.pages - 1 : va.pages) * PAGE;
  }

  /** One alloc whose fields passed checkAllocFields, for `who`; `prefix` before field names. */
  private place(c: Checked, who: Who, prefix: string): Outcome<{ area: VmapArea; created: boolean }> {
    if (c.requestId !== '') {
      const live = this.space.areas().find((a) => !a.lazy && a.owner === who.owner && a.requestId === c.requestId);
      if (live !== undefined) {
        // A retry gets the same area, provided it asks for the same thing.
        const pages = Math.ceil(c.size / PAGE) + (c.noGuard ? 0 : 1);
        if (live.pages !== pages || live.guard === c.noGuard || live.caller !== c.caller) return fail('InvalidArgument', [prefix + 'request_id']);
        return ok({ area: live, created: false });
      }
    }
    try {
      const { area } = this.space.alloc({
        size: c.size,
        align: c.align,
        vstart: c.vstart,
        vend: c.vend,
        noGuard: c.noGuard,
        caller: c.caller,
        owner: who.owner,
        requestId: c.requestId,
      });
      return ok({ area, created: true });
    } catch (err) {
      // An out-of-space alloc has purged the lazy areas first (the proto:
      // "RESOURCE_EXHAUSTED when nothing fits even after purging lazy areas").
      if (err instanceof OutOfSpace) return fail('OutOfSpace');
      if (err instanceof InvalidArgument) return fail('InvalidArgument', [prefix + err.field]);
      throw err;
    }
  }

  /** Alloc of `fields` (as the server decoded them) by `who`. */
  alloc(fields: Record<string, unknown>, who: Who | undefined): Outcome<VmapArea> {
    if (who === undefined) return fail('Unauthenticated');
    const { checked, bad } = checkAllocFields(fields);
    if (checked === undefined) return fail('InvalidArgument', bad);
    const r = this.place(checked, who, '');
    return r.ok ? ok(r.value.area) : r;
  }

  /** AllocBatch: in order, all or none. */
  allocBatch(requests: readonly Record<string, unknown>[], who: Who | undefined): Outcome<VmapArea[]> {
    if (who === undefined) return fail('Unauthenticated');
    if (requests.length > MAX_BATCH) return fail('InvalidArgument', ['requests']);
    const checked: Checked[] = [];
    const bad: string[] = [];
    for (let i = 0; i < requests.length; i++) {
      const r = checkAllocFields(requests[i]!, `requests[${i}].`);
      if (r.checked === undefined) bad.push(...r.bad);
      else checked.push(r.checked);
    }
    // Some field at fault is named, not necessarily in the first request at
    // fault: the edge reads every request before the service checks any.
    if (bad.length > 0) return fail('InvalidArgument', bad);
    const made: VmapArea[] = [];
    const created: number[] = [];
    for (let i = 0; i < checked.length; i++) {
      const r = this.place(checked[i]!, who, `requests[${i}].`);
      if (!r.ok) {
        // None stands: drop what this batch created (lazy areas it purged stay purged).
        this.rebuild(this.space.areas().filter((a) => !created.includes(a.start)));
        return r;
      }
      made.push(r.value.area);
      if (r.value.created) created.push(r.value.area.start);
    }
    return ok(made);
  }

  /** Free of the area starting at `addr` (a uint64 field as the server got it). */
  free(addr: unknown, who: Who | undefined): Outcome<Freed> {
    if (who === undefined) return fail('Unauthenticated');
    const a = u64(addr);
    if (a === undefined) return fail('InvalidArgument', ['addr']);
    if (a < BASE || a >= END || a % PAGE_N !== 0n) return fail('NoSuchArea');
    const start = Number((a - BASE) / PAGE_N);
    const va = this.space.areas().find((x) => x.start === start && !x.lazy);
    if (va === undefined) return fail('NoSuchArea');
    if (who.role !== 'admin' && va.owner !== who.owner) return fail('PermissionDenied');
    const r = this.space.free(start);
    return ok({ freedBytes: va.pages * PAGE, purged: r.purged !== null });
  }

  /** Find: the busy area containing `addr`, if the caller may see it. */
  find(addr: unknown, who: Who | undefined): Outcome<VmapArea> {
    if (who === undefined) return fail('Unauthenticated');
    const a = u64(addr);
    if (a === undefined) return fail('InvalidArgument', ['addr']);
    if (a < BASE || a >= END) return fail('NoSuchArea');
    const va = this.space.find(Number((a - BASE) / PAGE_N));
    return va !== undefined && (who.role === 'admin' || va.owner === who.owner) ? ok(va) : fail('NoSuchArea');
  }

  /** Purge: any valid caller. */
  purge(who: Who | undefined): Outcome<{ areas: number; bytes: number }> {
    if (who === undefined) return fail('Unauthenticated');
    const r = this.space.purge();
    return ok({ areas: r.areas, bytes: r.pages * PAGE });
  }

  /**
   * The listing `who` gets from `from` on: own busy areas for a client; every
   * busy area, and lazy ones if asked, for an admin. At most `limit`.
   */
  visible(from: bigint, includeLazy: boolean, who: Who, limit = Infinity): VmapArea[] {
    if (from >= END) return [];
    const fromPage = from <= BASE ? 0 : Number((from - BASE + PAGE_N - 1n) / PAGE_N);
    const admin = who.role === 'admin';
    return this.space
      .areas(fromPage)
      .filter((va) => (va.lazy ? includeLazy && admin : admin || va.owner === who.owner))
      .slice(0, limit);
  }

  /**
   * Replaces the state by `areas` (valid: ascending, disjoint, lazy pages at
   * most lazyMaxPages), by placing each one where it was and freeing the lazy ones.
   */
  private rebuild(areas: readonly VmapArea[]): void {
    const space = this.fresh();
    for (const a of areas) {
      const { area } = space.alloc({
        size: ServiceModel.sizeOf(a),
        noGuard: !a.guard,
        vstart: a.start,
        vend: a.start + a.pages,
        caller: a.caller,
        owner: a.owner,
        requestId: a.lazy ? '' : a.requestId,
      });
      if (area.start !== a.start) throw new Error(`model rebuild misplaced an area: ${area.start} != ${a.start}`);
    }
    for (const a of areas) if (a.lazy && space.free(a.start).purged !== null) throw new Error('model rebuild purged');
    this.space = space;
  }
}
