import type { AllocRequest, FreeResult, PurgeResult } from '../vmap/requests.js';
import type { VmapArea } from '../vmap/vmap-area.js';

/** One write as it waits for its batch: checked, in page numbers, with its deadline. */
export type WriteOp = { readonly deadline: number | undefined } & (
  | { readonly kind: 'alloc'; readonly req: AllocRequest }
  | { readonly kind: 'allocBatch'; readonly reqs: readonly AllocRequest[] }
  /** `owner` null: an admin, who may free any area. */
  | { readonly kind: 'free'; readonly start: number; readonly owner: string | null }
  | { readonly kind: 'purge' }
);

/** What a write returns: its area, its areas, or what a free or purge did. */
export type WriteResult = VmapArea | readonly VmapArea[] | FreeResult | PurgeResult;
