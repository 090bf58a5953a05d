import type { SpaceGeometry } from '../vmap/geometry.js';
import { PAGE_SIZE } from '../vmap/page.js';
import type { VmapArea } from '../vmap/vmap-area.js';

/**
 * One line of /proc/vmallocinfo for `va`: start, end and size include the
 * guard page; `pages=` counts the usable pages only, as in the kernel.
 */
export function vmallocinfoLine(geometry: SpaceGeometry, va: VmapArea): string {
  const range = `${geometry.hexOf(va.start)}-${geometry.hexOf(va.start + va.pages)} ${String(va.pages * PAGE_SIZE).padStart(7)}`;
  if (va.lazy) return `${range} unpurged vm_area\n`;
  const usable = va.guard ? va.pages - 1 : va.pages;
  const caller = va.caller === '' ? '' : ` ${va.caller}`;
  return `${range}${caller} pages=${usable} vmalloc owner=${va.owner}\n`;
}

/** Lines per chunk of a streamed listing: large enough to be cheap, small enough to interleave. */
const LINES_PER_CHUNK = 512;

/** The listing of `areas`, `limit` lines at most, as text chunks for a stream. */
export function* vmallocinfoChunks(geometry: SpaceGeometry, areas: Iterable<VmapArea>, limit: number): Generator<string> {
  let chunk = '';
  let inChunk = 0;
  let sent = 0;
  for (const va of areas) {
    if (sent >= limit) break;
    chunk += vmallocinfoLine(geometry, va);
    sent++;
    if (++inChunk === LINES_PER_CHUNK) {
      yield chunk;
      chunk = '';
      inChunk = 0;
    }
  }
  if (chunk !== '') yield chunk;
}
