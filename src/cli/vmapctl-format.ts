/**
 * How vmapctl shows the service's answers: one human form (modelled on the
 * kernel's /proc files, like the HTTP edge) and one JSON form for scripts,
 * where addresses are `0x%016x` strings and byte counts are numbers.
 */
import { hex, parseU64 } from '../vmap/geometry.js';
import type { Area__Output } from '../grpc/generated/vmap/v1/Area.js';
import type { FreeResponse__Output } from '../grpc/generated/vmap/v1/FreeResponse.js';
import type { MemInfo__Output } from '../grpc/generated/vmap/v1/MemInfo.js';
import type { PurgeResponse__Output } from '../grpc/generated/vmap/v1/PurgeResponse.js';
import { areaJson as viewJson, areaViewOfMessage, vmallocinfoLine as viewLine, type AreaJson } from '../service/area-view.js';
import { renderMeminfoText } from '../service/meminfo-view.js';
import { formatSize } from '../client/sizes.js';

/**
 * A wire uint64 as a JSON number. Byte counts in any real space stay far below
 * 2^53 (a 32 TiB space is 2^45), so this is exact; a value that is not is
 * refused rather than silently rounded.
 */
function jsonNumber(value: string, field: string): number {
  const n = parseU64(value, field);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${field}: ${n} does not fit a JSON number exactly`);
  return Number(n);
}

/** An area as a JSON object: exactly the HTTP edge's /v1/areas answer. */
export function areaJson(a: Area__Output): AreaJson {
  return viewJson(areaViewOfMessage(a));
}

/**
 * One line describing an area, for alloc and find, e.g.
 * `0xffffc90000000000-0xffffc90000003000 12288 bytes (8k usable + guard) caller=x owner=anonymous`.
 * `caller=` is left out when empty, as vmallocinfo leaves it out.
 */
export function areaLine(a: Area__Output): string {
  const v = areaViewOfMessage(a);
  const guard = v.areaSize > v.size ? ' + guard' : ', no guard';
  const caller = v.caller === '' ? '' : ` caller=${v.caller}`;
  const lazy = v.lazy ? ' lazy' : '';
  return `${v.addr}-${v.end} ${v.areaSize} bytes (${formatSize(BigInt(v.size))} usable${guard})${caller} owner=${v.owner}${lazy}\n`;
}

/** One /proc/vmallocinfo line, exactly as the HTTP /vmallocinfo prints it. */
export function vmallocinfoLine(a: Area__Output): string {
  return viewLine(areaViewOfMessage(a));
}

/** A free's answer as JSON; `addr` is echoed so a script need not keep it. */
export function freeJson(addr: bigint, r: FreeResponse__Output): Record<string, unknown> {
  return { addr: hex(addr), freed_bytes: jsonNumber(r.freed_bytes, 'freed_bytes'), purged: r.purged };
}

/**
 * A free's answer for people. A free is lazy, so the line says whether the
 * range is still held (awaiting purge) or this free pushed the lazy total over
 * the threshold and every lazy area, this one included, was purged.
 */
export function freeLine(addr: bigint, r: FreeResponse__Output): string {
  const what = r.purged ? 'lazy areas purged' : 'lazy until purged';
  return `freed ${hex(addr)} ${parseU64(r.freed_bytes, 'freed_bytes')} bytes (${what})\n`;
}

/** A purge's answer as JSON. */
export function purgeJson(r: PurgeResponse__Output): Record<string, unknown> {
  return { purged_areas: jsonNumber(r.purged_areas, 'purged_areas'), purged_bytes: jsonNumber(r.purged_bytes, 'purged_bytes') };
}

/** A purge's answer for people. */
export function purgeLine(r: PurgeResponse__Output): string {
  const n = parseU64(r.purged_areas, 'purged_areas');
  return `purged ${n} ${n === 1n ? 'area' : 'areas'}, ${parseU64(r.purged_bytes, 'purged_bytes')} bytes\n`;
}

/** MemInfo as JSON: exactly the body of the HTTP `/meminfo?format=json`. */
export function meminfoJson(m: MemInfo__Output): Record<string, unknown> {
  return {
    vmalloc_total_kb: jsonNumber(m.vmalloc_total_kb, 'vmalloc_total_kb'),
    vmalloc_used_kb: jsonNumber(m.vmalloc_used_kb, 'vmalloc_used_kb'),
    vmalloc_chunk_kb: jsonNumber(m.vmalloc_chunk_kb, 'vmalloc_chunk_kb'),
    vmalloc_lazy_kb: jsonNumber(m.vmalloc_lazy_kb, 'vmalloc_lazy_kb'),
    nr_areas: jsonNumber(m.nr_areas, 'nr_areas'),
    nr_lazy_areas: jsonNumber(m.nr_lazy_areas, 'nr_lazy_areas'),
    generation: jsonNumber(m.generation, 'generation'),
  };
}

/**
 * MemInfo as the HTTP `/meminfo` prints it (the one rendering, from the
 * wire's kB), plus a `Generation:` line so two readings can be told apart
 * (it grows with every published write batch).
 */
export function meminfoText(m: MemInfo__Output): string {
  const kb = (v: string, field: string): number => jsonNumber(v, field) * 1024;
  const text = renderMeminfoText({
    total: kb(m.vmalloc_total_kb, 'vmalloc_total_kb'),
    used: kb(m.vmalloc_used_kb, 'vmalloc_used_kb'),
    chunk: kb(m.vmalloc_chunk_kb, 'vmalloc_chunk_kb'),
    lazy: kb(m.vmalloc_lazy_kb, 'vmalloc_lazy_kb'),
    nrAreas: jsonNumber(m.nr_areas, 'nr_areas'),
    nrLazyAreas: jsonNumber(m.nr_lazy_areas, 'nr_lazy_areas'),
  });
  return text + `${'Generation:'.padEnd(16)}${String(parseU64(m.generation, 'generation')).padStart(8)}\n`;
}
