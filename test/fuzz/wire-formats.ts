/**
 * The model's state as each edge shows it: an area as a gRPC message and as
 * JSON, a /proc/vmallocinfo line, and /meminfo as JSON. The fuzz tests
 * compare the server's answers with these.
 */
import type { VmapArea } from '../../src/vmap/vmap-area.js';
import { PAGE } from './contract.js';
import { ServiceModel } from './service-model.js';

/** An address as the HTTP edge writes it: 0x and 16 hex digits. */
export const hex16 = (a: bigint): string => `0x${a.toString(16).padStart(16, '0')}`;

/** `va` as a gRPC Area message (uint64 fields as decimal strings). */
export function areaMessage(va: VmapArea): Record<string, unknown> {
  return {
    addr: String(ServiceModel.addressOf(va.start)),
    size: String(ServiceModel.sizeOf(va)),
    area_size: String(va.pages * PAGE),
    caller: va.caller,
    owner: va.owner,
    lazy: va.lazy,
    request_id: va.requestId,
  };
}

/** `va` as JSON, as the HTTP edge writes it. */
export function areaJson(va: VmapArea): Record<string, unknown> {
  return {
    addr: hex16(ServiceModel.addressOf(va.start)),
    size: ServiceModel.sizeOf(va),
    area_size: va.pages * PAGE,
    caller: va.caller,
    owner: va.owner,
    lazy: va.lazy,
    request_id: va.requestId,
  };
}

/** The /proc/vmallocinfo line of `va`. */
export function vmallocinfoLine(va: VmapArea): string {
  const a = ServiceModel.addressOf(va.start);
  const range = `${hex16(a)}-${hex16(a + BigInt(va.pages * PAGE))} ${String(va.pages * PAGE).padStart(7)}`;
  if (va.lazy) return `${range} unpurged vm_area`;
  return `${range}${va.caller === '' ? '' : ` ${va.caller}`} pages=${ServiceModel.sizeOf(va) / PAGE} vmalloc owner=${va.owner}`;
}

/** `model`'s /meminfo?format=json, without the generation. */
export function meminfoJson(model: ServiceModel): Record<string, number> {
  const m = model.meminfo();
  return {
    vmalloc_total_kb: m.total / 1024,
    vmalloc_used_kb: m.used / 1024,
    vmalloc_chunk_kb: m.chunk / 1024,
    vmalloc_lazy_kb: m.lazy / 1024,
    nr_areas: m.nrAreas,
    nr_lazy_areas: m.nrLazyAreas,
  };
}
