import type { MemInfo } from '../vmap/meminfo.js';
import type { VmapSpace } from '../vmap/space.js';
import type { AreaList } from '../vmap/vmap-area.js';
import { renderMeminfoJson, renderMeminfoText } from './meminfo-view.js';

/** One meminfo read: the numbers, the generation they belong to, and both rendered bodies. */
export interface MeminfoRead {
  readonly generation: number;
  readonly meminfo: MemInfo;
  /** The /proc/meminfo text, encoded once. */
  readonly text: Buffer;
  /** The JSON object of the MemInfo message, encoded once. */
  readonly json: Buffer;
}

/**
 * What readers see: the state after the last committed write batch.
 * Immutable: numbers, the bodies already encoded, and the ordered area list
 * as a copy-on-write view that later writes never touch.
 */
export interface Snapshot extends MeminfoRead {
  /** When it was published, ms since the epoch. */
  readonly publishedAt: number;
  /** Busy and lazy areas, ordered by start. */
  readonly areas: AreaList;
  /** Blocks of free space (for /metrics). */
  readonly freeBlocks: number;
}

/** `meminfo` of `generation`, with its bodies rendered and encoded. */
export function meminfoRead(meminfo: MemInfo, generation: number): MeminfoRead {
  return { generation, meminfo, text: Buffer.from(renderMeminfoText(meminfo)), json: Buffer.from(renderMeminfoJson(meminfo, generation)) };
}

/** The snapshot of `space` as it is now, numbered `generation`: O(1) but for rendering the bodies. */
export function takeSnapshot(space: VmapSpace, generation: number): Snapshot {
  return {
    ...meminfoRead(space.meminfo(), generation),
    publishedAt: Date.now(),
    areas: space.view(),
    freeBlocks: space.freeBlocks,
  };
}
