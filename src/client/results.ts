/**
 * What Free, Purge and MemInfo answer, with byte counts as bigint (their
 * unit in their name) and counts as numbers.
 */
import type { FreeResponse__Output } from '../grpc/generated/vmap/v1/FreeResponse.js';
import type { MemInfo__Output } from '../grpc/generated/vmap/v1/MemInfo.js';
import type { PurgeResponse__Output } from '../grpc/generated/vmap/v1/PurgeResponse.js';

/** A free's answer. */
export interface FreeResult {
  /** Reserved bytes of the freed area, guard page included. */
  readonly freedBytes: bigint;
  /** True when this free pushed the lazy total over the threshold and every lazy area was purged. */
  readonly purged: boolean;
}

/** A purge's answer: what this purge returned to free space. */
export interface PurgeResult {
  readonly purgedAreas: number;
  readonly purgedBytes: bigint;
}

/** How full the space is, as /proc/meminfo says it (kB = 1024 bytes). */
export interface MemInfo {
  readonly vmallocTotalKb: bigint;
  readonly vmallocUsedKb: bigint;
  /** The largest free block. */
  readonly vmallocChunkKb: bigint;
  /** Lazily freed, awaiting purge. */
  readonly vmallocLazyKb: bigint;
  /** Busy areas. */
  readonly nrAreas: number;
  readonly nrLazyAreas: number;
  /** Grows by one with every published write batch: two readings with the same generation saw the same state. */
  readonly generation: number;
}

/** A wire uint64 count as a number; counts stay far below 2^53. */
function count(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${value} does not fit a number exactly`);
  return n;
}

/** The FreeResult of wire message `m`. */
export function freeResultOf(m: FreeResponse__Output): FreeResult {
  return { freedBytes: BigInt(m.freed_bytes), purged: m.purged };
}

/** The PurgeResult of wire message `m`. */
export function purgeResultOf(m: PurgeResponse__Output): PurgeResult {
  return { purgedAreas: count(m.purged_areas), purgedBytes: BigInt(m.purged_bytes) };
}

/** The MemInfo of wire message `m`. */
export function memInfoOf(m: MemInfo__Output): MemInfo {
  return {
    vmallocTotalKb: BigInt(m.vmalloc_total_kb),
    vmallocUsedKb: BigInt(m.vmalloc_used_kb),
    vmallocChunkKb: BigInt(m.vmalloc_chunk_kb),
    vmallocLazyKb: BigInt(m.vmalloc_lazy_kb),
    nrAreas: count(m.nr_areas),
    nrLazyAreas: count(m.nr_lazy_areas),
    generation: count(m.generation),
  };
}
