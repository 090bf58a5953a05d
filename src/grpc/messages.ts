/**
 * The vmap.v1 messages as JavaScript sees them through proto-loader
 * (keepCase, longs as strings): uint64 fields are decimal strings, never a
 * lossy number. Shared by the server binding and vmapctl.
 */
import type { VmapService } from '../service/vmap-service.js';
import type { VmapArea } from '../vmap/vmap-area.js';

/** The Area message as received: uint64 fields are decimal strings. */
export interface AreaMessage {
  readonly addr: string;
  readonly size: string;
  readonly area_size: string;
  readonly caller: string;
  readonly owner: string;
  readonly lazy: boolean;
  readonly request_id: string;
}

/** The FreeResponse message as received. */
export interface FreeResponseMessage {
  readonly freed_bytes: string;
  readonly purged: boolean;
}

/** The PurgeResponse message as received. */
export interface PurgeResponseMessage {
  readonly purged_areas: string;
  readonly purged_bytes: string;
}

/** The MemInfo message as received. */
export interface MemInfoMessage {
  readonly vmalloc_total_kb: string;
  readonly vmalloc_used_kb: string;
  readonly vmalloc_chunk_kb: string;
  readonly vmalloc_lazy_kb: string;
  readonly nr_areas: string;
  readonly nr_lazy_areas: string;
  readonly generation: string;
}

/**
 * The AllocRequest message as sent. uint64 fields go out as decimal strings
 * because proto-loader accepts them losslessly, where a JS number would not.
 */
export interface AllocRequestMessage {
  size: string;
  align: string;
  vstart: string;
  vend: string;
  no_guard: boolean;
  caller: string;
  request_id: string;
}

/** The ListAreasRequest message as sent. */
export interface ListAreasRequestMessage {
  from_addr: string;
  limit: number;
  include_lazy: boolean;
}

/** The Area message of `va`, as the server sends it. */
export function toAreaMessage(service: VmapService, va: VmapArea): AreaMessage {
  const d = service.describe(va);
  return {
    addr: d.addr.toString(),
    size: String(d.size),
    area_size: String(d.areaSize),
    caller: va.caller,
    owner: va.owner,
    lazy: va.lazy,
    request_id: va.requestId,
  };
}
