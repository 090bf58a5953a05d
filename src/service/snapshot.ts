import type { MemInfo } from '../vmap/meminfo.js';
import type { VmapSpace } from '../vmap/space.js';
import type { AreaList } from '../vmap/vmap-area.js';
import { renderMeminfoJson, renderMeminfoText } from './meminfo-view.js';

/** One meminfo read: the numbers, the generation they belong to, and both rendered bodies. */
export interface MeminfoRead {
  readonly generation: number;
  readonly meminfo: MemInfo;
  /**
   * The /proc/meminfo text, rendered once per publish. A string, not a
   * Buffer: Node's HTTP server writes a string body together with the
   * headers in one write, a Buffer as a writev of two; measured on /meminfo
   * (autocannon, 10 connections) the Buffer cost about a third of the req/s.
   */
  readonly text: string;
  /** The JSON object of the MemInfo message, rendered once per publish (a string, as `text`). */
  readonly json: string;
}

/**
 * What readers see: the state after the last committed write batch.
 * Immutable: numbers, the bodies already rendered, and the ordered area list
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
  return { generation, meminfo, text: renderMeminfoText(meminfo), json: renderMeminfoJson(meminfo, generation) };
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
