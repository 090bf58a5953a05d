/**
 * One sample of the live numbers, as `GET /v1/events` sends it: the
 * published /meminfo fields (the MemInfo message's, in kB and counts), when
 * it was taken, and the running totals that give writes/s and reads/s.
 */
import type { MemInfo } from '../vmap/meminfo.js';
import { memInfoFields } from './meminfo-view.js';

/** The numbers of one sample. */
export interface ActivitySample {
  readonly generation: number;
  readonly meminfo: MemInfo;
  /** When it was taken, ms since the epoch. */
  readonly at: number;
  /** Allocations and frees committed since vmapd started. */
  readonly writes: number;
  /** /meminfo reads served since vmapd started, every thread and edge. */
  readonly reads: number;
}

/** `s` as the JSON of one sample. */
export function renderSample(s: ActivitySample): string {
  return JSON.stringify({ ...memInfoFields(s.meminfo, s.generation), at: s.at, writes: s.writes, reads: s.reads });
}
