/**
 * A model of what vmapd's service layer answers, for the fuzz tests: the
 * reference allocator (loadtest/lib/reference-space.ts) plus the rules the
 * service adds on top of it (field validation, tokens and owners, request
 * ids, all-or-none batches). It is written from the contract in issue 6 and
 * the proto, not from src/, and predicts for every request either the result
 * or the kind of error (with the fields that may be named).
 */
import type { MemInfo } from '../../src/vmap/meminfo.js';
import type { VmapArea } from '../../src/vmap/vmap-area.js';
import { InvalidArgument, OutOfSpace } from '../../src/vmap/errors.js';
import { ReferenceSpace } from '../../loadtest/lib/reference-space.js';
import { checkAllocFields, type Checked } from './alloc-check.js';
import { BASE, END, MAX_BATCH, PAGE, PAGE_N, PAGES, u64, type Kind, type Outcome, type Who } from './contract.js';

const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
const fail = <T>(kind: Kind, fields?: readonly string[]): Outcome<T> => (fields === undefined ? { ok: false, kind } : { ok: false, kind, fields });
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

  /** The model's /meminfo figures. */
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
