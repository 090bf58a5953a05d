import { PAGE_SIZE } from './page.js';
import type { AreaList } from './vmap-area.js';

/** How full the space is: the numbers behind /meminfo, all in bytes or counts. */
export interface MemInfo {
  /** Size of the whole space. */
  readonly total: number;
  /** Reserved by busy (not lazily freed) areas, guard pages included. */
  readonly used: number;
  /** Largest free block; lazily freed ranges are not free. */
  readonly chunk: number;
  /** Reserved by lazily freed areas awaiting purge. */
  readonly lazy: number;
  /** Busy areas. */
  readonly nrAreas: number;
  /** Lazily freed areas. */
  readonly nrLazyAreas: number;
}

/**
 * Computes MemInfo by walking the areas in ascending address order, as the
 * kernel's get_vmalloc_info() walked vmap_area_list: O(n), on purpose. The
 * largest chunk is the largest gap between consecutive reserved ranges
 * (including the space's two ends), which is exactly the largest free block.
 */
export function walkMeminfo(areas: Pick<AreaList, 'each'>, totalPages: number): MemInfo {
  let used = 0;
  let lazy = 0;
  let nrAreas = 0;
  let nrLazyAreas = 0;
  let chunk = 0;
  let prevEnd = 0;
  areas.each((va) => {
    const gap = va.start - prevEnd;
    if (gap > chunk) chunk = gap;
    prevEnd = va.start + va.pages;
    if (va.lazy) {
      lazy += va.pages;
      nrLazyAreas++;
    } else {
      used += va.pages;
      nrAreas++;
    }
  });
  if (totalPages - prevEnd > chunk) chunk = totalPages - prevEnd;
  return {
    total: totalPages * PAGE_SIZE,
    used: used * PAGE_SIZE,
    chunk: chunk * PAGE_SIZE,
    lazy: lazy * PAGE_SIZE,
    nrAreas,
    nrLazyAreas,
  };
}
