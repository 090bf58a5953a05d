/**
 * An area as every edge, vmapctl and the tests show it. The service builds
 * the AreaView (the one place that knows pages and guard pages); the
 * renderings below are the only ones: the area JSON of HTTP and vmapctl and
 * the /proc/vmallocinfo line (the gRPC Area message is src/grpc's
 * areaMessage). Plain data: it crosses threads as it is. An AllocBatch
 * answers an AreaBatch instead: its areas in page form, which the gRPC edge
 * encodes without an address string per area.
 */
import { hex, type SpaceGeometry } from '../vmap/geometry.js';
import { PAGE_SIZE } from '../vmap/page.js';
import { makeArea, type VmapArea } from '../vmap/vmap-area.js';

/** One area, as shown. */
export interface AreaView {
  /** Start address, `0x%016x`. */
  readonly addr: string;
  /** One past the reserved range (guard page included), `0x%016x`. */
  readonly end: string;
  /** Usable bytes: the request rounded up to pages. */
  readonly size: number;
  /** Reserved bytes: usable plus the guard page, if any. */
  readonly areaSize: number;
  readonly caller: string;
  readonly owner: string;
  /** Freed, awaiting purge. */
  readonly lazy: boolean;
  /** The idempotency key it was allocated with, while busy; '' for none. */
  readonly requestId: string;
}

/** The view of `va` in the space of `geometry`. */
export function areaView(geometry: SpaceGeometry, va: VmapArea): AreaView {
  return {
    addr: geometry.hexOf(va.start),
    end: geometry.hexOf(va.start + va.pages),
    size: (va.guard ? va.pages - 1 : va.pages) * PAGE_SIZE,
    areaSize: va.pages * PAGE_SIZE,
    caller: va.caller,
    owner: va.owner,
    lazy: va.lazy,
    requestId: va.requestId,
  };
}

/**
 * Areas in page form, as AllocBatch answers them: the allocator's records
 * and the base page of their space (an address is `(basePage + start) *
 * 4096`, its page number exact in a double). Plain data.
 */
export interface AreaBatch {
  /** Absolute page number of the space's first page. */
  readonly basePage: number;
  readonly areas: readonly VmapArea[];
}

/** The views of `batch`'s areas, in order. */
export function areaViews(geometry: SpaceGeometry, batch: AreaBatch): AreaView[] {
  return batch.areas.map((va) => areaView(geometry, va));
}

/**
 * The area `v` shows, in the space of `geometry`: the way back from a view
 * (a standby's forwarded batch comes back as views).
 *
 * @throws RangeError when `v` does not start on a page of that space
 */
export function areaOfView(geometry: SpaceGeometry, v: AreaView): VmapArea {
  const start = geometry.pageAt(BigInt(v.addr));
  if (start === undefined) throw new RangeError(`${v.addr} starts no page of the space`);
  return makeArea(start, v.areaSize / PAGE_SIZE, v.areaSize !== v.size, v.caller, v.owner, v.lazy, v.requestId);
}

/** The view of an Area message as it arrives (uint64 fields as decimal strings): vmapctl's side. */
export function areaViewOfMessage(m: { addr: string; size: string; area_size: string; caller: string; owner: string; lazy: boolean; request_id: string }): AreaView {
  const addr = BigInt(m.addr);
  return {
    addr: hex(addr),
    end: hex(addr + BigInt(m.area_size)),
    size: Number(m.size),
    areaSize: Number(m.area_size),
    caller: m.caller,
    owner: m.owner,
    lazy: m.lazy,
    requestId: m.request_id,
  };
}

/** The area JSON object of `POST /v1/areas`, `GET /v1/areas/:addr` and `vmapctl --json`. */
export type AreaJson = {
  readonly addr: string;
  readonly size: number;
  readonly area_size: number;
  readonly caller: string;
  readonly owner: string;
  readonly lazy: boolean;
  readonly request_id: string;
};

/** `v` as the area JSON object. */
export function areaJson(v: AreaView): AreaJson {
  return { addr: v.addr, size: v.size, area_size: v.areaSize, caller: v.caller, owner: v.owner, lazy: v.lazy, request_id: v.requestId };
}

/**
 * `v` as one line of /proc/vmallocinfo: start, end and size include the
 * guard page; `pages=` counts the usable pages only, as in the kernel.
 */
export function vmallocinfoLine(v: AreaView): string {
  const range = `${v.addr}-${v.end} ${String(v.areaSize).padStart(7)}`;
  if (v.lazy) return `${range} unpurged vm_area\n`;
  const caller = v.caller === '' ? '' : ` ${v.caller}`;
  return `${range}${caller} pages=${v.size / PAGE_SIZE} vmalloc owner=${v.owner}\n`;
}

/** What a free did, as shown. */
export interface FreeView {
  /** Reserved bytes the area held (guard page included). */
  readonly freedBytes: number;
  /** Whether this free pushed the lazy pages over the threshold and purged them all. */
  readonly purged: boolean;
}

/** What a purge did, as shown. */
export interface PurgeView {
  readonly areas: number;
  /** Reserved bytes returned to free space. */
  readonly bytes: number;
}
