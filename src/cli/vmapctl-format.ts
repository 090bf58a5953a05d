/**
 * How vmapctl shows the service's answers: one human form (modelled on the
 * kernel's /proc files, like the HTTP edge) and one JSON form for scripts,
 * where addresses are `0x%016x` strings and byte counts are numbers.
 */
import { hex } from '../vmap/geometry.js';
import type { Area, FreeResult, MemInfo, PurgeResult } from '../client/index.js';
import { areaJson as viewJson, areaViewOfMessage, vmallocinfoLine as viewLine, type AreaJson, type AreaView } from '../service/area-view.js';
import { renderMeminfoFields, type MemInfoFields } from '../service/meminfo-view.js';
import { formatSize } from '../client/sizes.js';

/**
 * A byte count as a JSON number. Byte counts in any real space stay far below
 * 2^53 (a 32 TiB space is 2^45), so this is exact; a value that is not is
 * refused rather than silently rounded.
 */
function jsonNumber(n: bigint, field: string): number {
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${field}: ${n} does not fit a JSON number exactly`);
  return Number(n);
}

/** The one view of an area every edge formats, from the client's Area. */
function viewOf(a: Area): AreaView {
  return areaViewOfMessage({
    addr: a.addr.toString(),
    size: a.size.toString(),
    area_size: a.areaSize.toString(),
    caller: a.caller,
    owner: a.owner,
    lazy: a.lazy,
    request_id: a.requestId,
  });
}

/** An area as a JSON object: exactly the HTTP edge's /v1/areas answer. */
export function areaJson(a: Area): AreaJson {
  return viewJson(viewOf(a));
}

/**
 * One line describing an area, for alloc and find, e.g.
 * `0xffffc90000000000-0xffffc90000003000 12288 bytes (8k usable + guard) caller=x owner=anonymous`.
 * `caller=` is left out when empty, as vmallocinfo leaves it out.
 */
export function areaLine(a: Area): string {
  const v = viewOf(a);
  const guard = v.areaSize > v.size ? ' + guard' : ', no guard';
  const caller = v.caller === '' ? '' : ` caller=${v.caller}`;
  const lazy = v.lazy ? ' lazy' : '';
  return `${v.addr}-${v.end} ${v.areaSize} bytes (${formatSize(BigInt(v.size))} usable${guard})${caller} owner=${v.owner}${lazy}\n`;
}

/** One /proc/vmallocinfo line, exactly as the HTTP /vmallocinfo prints it. */
export function vmallocinfoLine(a: Area): string {
  return viewLine(viewOf(a));
}

/** A free's answer as JSON; `addr` is echoed so a script need not keep it. */
export function freeJson(addr: bigint, r: FreeResult): Record<string, unknown> {
  return { addr: hex(addr), freed_bytes: jsonNumber(r.freedBytes, 'freed_bytes'), purged: r.purged };
}

/**
 * A free's answer for people. A free is lazy, so the line says whether the
 * range is still held (awaiting purge) or this free pushed the lazy total over
 * the threshold and every lazy area, this one included, was purged.
 */
export function freeLine(addr: bigint, r: FreeResult): string {
  const what = r.purged ? 'lazy areas purged' : 'lazy until purged';
  return `freed ${hex(addr)} ${r.freedBytes} bytes (${what})\n`;
}

/** A purge's answer as JSON. */
export function purgeJson(r: PurgeResult): Record<string, unknown> {
  return { purged_areas: r.purgedAreas, purged_bytes: jsonNumber(r.purgedBytes, 'purged_bytes') };
}

/** A purge's answer for people. */
export function purgeLine(r: PurgeResult): string {
  const n = r.purgedAreas;
  return `purged ${n} ${n === 1 ? 'area' : 'areas'}, ${r.purgedBytes} bytes\n`;
}

/** MemInfo as JSON: exactly the body of the HTTP `/meminfo?format=json`. */
export function meminfoJson(m: MemInfo): MemInfoFields {
  return {
    vmalloc_total_kb: jsonNumber(m.vmallocTotalKb, 'vmalloc_total_kb'),
    vmalloc_used_kb: jsonNumber(m.vmallocUsedKb, 'vmalloc_used_kb'),
    vmalloc_chunk_kb: jsonNumber(m.vmallocChunkKb, 'vmalloc_chunk_kb'),
    vmalloc_lazy_kb: jsonNumber(m.vmallocLazyKb, 'vmalloc_lazy_kb'),
    nr_areas: m.nrAreas,
    nr_lazy_areas: m.nrLazyAreas,
    generation: m.generation,
  };
}

/**
 * MemInfo as the HTTP `/meminfo` prints it (the one rendering, from the
 * wire's kB), plus a `Generation:` line so two readings can be told apart
 * (it grows with every published write batch).
 */
export function meminfoText(m: MemInfo): string {
  const text = renderMeminfoFields(meminfoJson(m));
  return text + `${'Generation:'.padEnd(16)}${String(m.generation).padStart(8)}\n`;
}
