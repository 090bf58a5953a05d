/**
 * How vmapctl shows the service's answers: one human form (modelled on the
 * kernel's /proc files, like the HTTP edge) and one JSON form for scripts,
 * where addresses are `0x%016x` strings and byte counts are numbers.
 */
import { hex, parseU64 } from '../vmap/geometry.js';
import { PAGE_SIZE_N } from '../vmap/page.js';
import type { AreaMessage, FreeResponseMessage, MemInfoMessage, PurgeResponseMessage } from '../grpc/messages.js';
import { formatSize } from './units.js';

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

/** An area as a JSON object: the same fields as the HTTP edge's /v1/areas answers. */
export function areaJson(a: AreaMessage): Record<string, unknown> {
  return {
    addr: hex(parseU64(a.addr, 'addr')),
    size: jsonNumber(a.size, 'size'),
    area_size: jsonNumber(a.area_size, 'area_size'),
    caller: a.caller,
    owner: a.owner,
    lazy: a.lazy,
    request_id: a.request_id,
  };
}

/** `start-end` of an area: end is exclusive and includes the guard page, as in /proc/vmallocinfo. */
function range(a: AreaMessage): string {
  const start = parseU64(a.addr, 'addr');
  return `${hex(start)}-${hex(start + parseU64(a.area_size, 'area_size'))}`;
}

/**
 * One line describing an area, for alloc and find, e.g.
 * `0xffffc90000000000-0xffffc90000003000 12288 bytes (8k usable + guard) caller=x owner=anonymous`.
 * `caller=` is left out when empty, as vmallocinfo leaves it out.
 */
export function areaLine(a: AreaMessage): string {
  const size = parseU64(a.size, 'size');
  const areaSize = parseU64(a.area_size, 'area_size');
  const guard = areaSize > size ? ' + guard' : ', no guard';
  const caller = a.caller === '' ? '' : ` caller=${a.caller}`;
  const lazy = a.lazy ? ' lazy' : '';
  return `${range(a)} ${areaSize} bytes (${formatSize(size)} usable${guard})${caller} owner=${a.owner}${lazy}\n`;
}

/**
 * One /proc/vmallocinfo-style line, the same as the HTTP /vmallocinfo prints:
 * size includes the guard page, `pages=` counts usable pages only.
 */
export function vmallocinfoLine(a: AreaMessage): string {
  const head = `${range(a)} ${String(parseU64(a.area_size, 'area_size')).padStart(7)}`;
  if (a.lazy) return `${head} unpurged vm_area\n`;
  const caller = a.caller === '' ? '' : ` ${a.caller}`;
  return `${head}${caller} pages=${parseU64(a.size, 'size') / PAGE_SIZE_N} vmalloc owner=${a.owner}\n`;
}

/** A free's answer as JSON; `addr` is echoed so a script need not keep it. */
export function freeJson(addr: bigint, r: FreeResponseMessage): Record<string, unknown> {
  return { addr: hex(addr), freed_bytes: jsonNumber(r.freed_bytes, 'freed_bytes'), purged: r.purged };
}

/**
 * A free's answer for people. A free is lazy, so the line says whether the
 * range is still held (awaiting purge) or this free pushed the lazy total over
 * the threshold and every lazy area, this one included, was purged.
 */
export function freeLine(addr: bigint, r: FreeResponseMessage): string {
  const what = r.purged ? 'lazy areas purged' : 'lazy until purged';
  return `freed ${hex(addr)} ${parseU64(r.freed_bytes, 'freed_bytes')} bytes (${what})\n`;
}

/** A purge's answer as JSON. */
export function purgeJson(r: PurgeResponseMessage): Record<string, unknown> {
  return { purged_areas: jsonNumber(r.purged_areas, 'purged_areas'), purged_bytes: jsonNumber(r.purged_bytes, 'purged_bytes') };
}

/** A purge's answer for people. */
export function purgeLine(r: PurgeResponseMessage): string {
  const n = parseU64(r.purged_areas, 'purged_areas');
  return `purged ${n} ${n === 1n ? 'area' : 'areas'}, ${parseU64(r.purged_bytes, 'purged_bytes')} bytes\n`;
}

/** MemInfo as JSON: exactly the body of the HTTP `/meminfo?format=json`. */
export function meminfoJson(m: MemInfoMessage): Record<string, unknown> {
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
 * One /proc/meminfo line: label padded to 16 columns, value right-aligned in
 * 8. Kept identical to src/service/meminfo-view.ts (the tests compare the two)
 * rather than imported, because that renders the server's internal MemInfo in
 * bytes, not the wire message in kB.
 */
function meminfoRow(label: string, value: string, unit: string): string {
  return `${label.padEnd(16)}${value.padStart(8)}${unit}\n`;
}

/**
 * MemInfo as the HTTP `/meminfo` prints it, plus a `Generation:` line so two
 * readings can be told apart (it grows with every published write batch).
 */
export function meminfoText(m: MemInfoMessage): string {
  const u = (v: string, field: string): string => String(parseU64(v, field));
  return (
    meminfoRow('VmallocTotal:', u(m.vmalloc_total_kb, 'vmalloc_total_kb'), ' kB') +
    meminfoRow('VmallocUsed:', u(m.vmalloc_used_kb, 'vmalloc_used_kb'), ' kB') +
    meminfoRow('VmallocChunk:', u(m.vmalloc_chunk_kb, 'vmalloc_chunk_kb'), ' kB') +
    meminfoRow('VmallocLazy:', u(m.vmalloc_lazy_kb, 'vmalloc_lazy_kb'), ' kB') +
    meminfoRow('VmallocAreas:', u(m.nr_areas, 'nr_areas'), '') +
    meminfoRow('VmallocLazyAreas:', u(m.nr_lazy_areas, 'nr_lazy_areas'), '') +
    meminfoRow('Generation:', u(m.generation, 'generation'), '')
  );
}
