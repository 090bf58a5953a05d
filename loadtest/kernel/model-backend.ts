/**
 * The kernel cases' backend on the model itself: vmalloc() is
 * `VmapSpace.alloc` with the guard page and the whole space as the range
 * (VMALLOC_START to VMALLOC_END), vfree() is `VmapSpace.free` (lazy, purged
 * in batches past lazyMaxPages).
 */
import { PAGE_SIZE } from '../../src/vmap/page.js';
import type { VmapSpace } from '../../src/vmap/space.js';
import type { SyncBackend } from './backend.js';

/** The codes for which vmalloc would return NULL: nothing fits, or the request cannot be met. */
const NULL_CODES = new Set(['VMAP_ERR_OUT_OF_SPACE', 'VMAP_ERR_INVALID_ARGUMENT']);

/** `space` as the kernel cases' backend: addresses are absolute page numbers. Every worker may share it. */
export function modelBackend(space: VmapSpace): SyncBackend {
  const base = space.basePage;
  return {
    sync: true,
    alloc(pages: number, align: number): number | null {
      try {
        return base + space.alloc({ size: pages * PAGE_SIZE, align }).area.start;
      } catch (err) {
        if (NULL_CODES.has((err as { code?: string }).code ?? '')) return null;
        throw err;
      }
    },
    free(page: number): void {
      space.free(page - base);
    },
  };
}
