/**
 * Replaying a `/proc/vmallocinfo` dump into vmapd: every entry allocated with
 * its size and caller, in the dump's order, in all-or-none AllocBatch calls;
 * then the `unpurged vm_area` entries freed, so they become vmapd's lazily
 * freed areas; then, optionally, churn to age the space. vmapd places every
 * area by its own lowest-address first fit, so the addresses are vmapd's,
 * not the dump's (which are usually hashed anyway): what is reproduced is the
 * count and the sizes, hence /meminfo's totals.
 */
import type { Area__Output } from '../grpc/generated/vmap/v1/Area.js';
import type { AllocBatchResponse__Output } from '../grpc/generated/vmap/v1/AllocBatchResponse.js';
import type { AllocRequest } from '../grpc/generated/vmap/v1/AllocRequest.js';
import type { FreeResponse__Output } from '../grpc/generated/vmap/v1/FreeResponse.js';
import type { MemInfo__Output } from '../grpc/generated/vmap/v1/MemInfo.js';
import { MAX_BATCH_ALLOCS, MAX_CALLER_LENGTH } from '../service/alloc-request.js';
import { PAGE_SIZE } from '../vmap/page.js';
import type { DumpEntry, VmallocinfoDump } from './vmallocinfo-dump.js';

/** What the replay needs of a client: unary calls by method name (vmapctl's client has this shape). */
export interface ReplayRpc {
  unary<T>(method: string, request: object): Promise<T>;
}

/** vmapd's /meminfo, in bytes and counts. */
export interface MeminfoTotals {
  /** VmallocUsed: reserved by busy areas, guard pages included. */
  readonly usedBytes: number;
  /** VmallocLazy: reserved by lazily freed areas. */
  readonly lazyBytes: number;
  readonly nrAreas: number;
  readonly nrLazyAreas: number;
}

/** How to replay. */
export interface ReplayOptions {
  /** Rounds of churn after the replay: free a random live area, allocate one of a random entry's size. */
  readonly churn?: number;
  /** Seed of the churn's choices. */
  readonly seed?: number;
}

/** What a replay did and what vmapd said after it. */
export interface ReplayResult {
  /** vmapd before anything was sent. */
  readonly before: MeminfoTotals;
  /** vmapd after the allocations and the lazy frees. */
  readonly afterReplay: MeminfoTotals;
  readonly batches: number;
  readonly allocs: number;
  /** Frees of the `unpurged vm_area` entries. */
  readonly lazyFrees: number;
  /**
   * Whether one of those frees pushed vmapd's lazy pages over its
   * --lazy-max-pages, so it purged, and the lazy areas are gone.
   */
  readonly purgedOnReplay: boolean;
  /** The lazy pages vmapd holds once every unpurged entry is freed: what --lazy-max-pages must be at least. */
  readonly lazyPagesNeeded: number;
  /** Wall time of the allocations and lazy frees, in milliseconds. */
  readonly replayMs: number;
  /** Of which the AllocBatch calls. */
  readonly allocMs: number;
  /** Of which the lazy frees. */
  readonly freeMs: number;
  readonly churn?: ChurnResult;
}

/** What the churn did. */
export interface ChurnResult {
  readonly rounds: number;
  readonly seed: number;
  /** Frees that made vmapd purge its lazy areas (the dump's unpurged ones included). */
  readonly purges: number;
  readonly ms: number;
  readonly after: MeminfoTotals;
}

/** Frees in flight at once: enough for vmapd's group commit to batch them. */
const FREE_WINDOW = 64;

/**
 * The AllocRequest that reproduces `e`: `size − 4096` usable bytes and a
 * guard page where the kernel's size includes one, else `size` without one.
 * vm_map_ram lines have no caller and get `vm_map_ram`; unpurged lines have
 * none either and get '' (vmapd shows a lazy area as `unpurged vm_area`).
 * A caller longer than vmapd keeps is cut to its limit.
 */
export function allocRequestOf(e: DumpEntry): AllocRequest {
  const caller = e.kind === 'vm_map_ram' ? 'vm_map_ram' : e.caller;
  return {
    size: String(e.guard ? e.size - PAGE_SIZE : e.size),
    align: '0',
    vstart: '0',
    vend: '0',
    no_guard: !e.guard,
    caller: caller.slice(0, MAX_CALLER_LENGTH),
    request_id: '',
  };
}

/** vmapd's MemInfo, in bytes. */
export async function meminfoTotals(rpc: ReplayRpc): Promise<MeminfoTotals> {
  const m = await rpc.unary<MemInfo__Output>('MemInfo', {});
  return {
    usedBytes: Number(m.vmalloc_used_kb) * 1024,
    lazyBytes: Number(m.vmalloc_lazy_kb) * 1024,
    nrAreas: Number(m.nr_areas),
    nrLazyAreas: Number(m.nr_lazy_areas),
  };
}

/** Runs `work` over `items` with at most `window` in flight; resolves when all are done, rejects on the first failure. */
async function inWindow<T>(items: readonly T[], window: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(window, items.length) }, lane));
}

/** mulberry32: a small seeded PRNG, enough to make a churn repeatable. Returns an integer in [0, n). */
export function seededBelow(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * n);
  };
}

/** One live area of the replay: where vmapd put it. */
interface Live {
  readonly addr: string;
}

async function churn(rpc: ReplayRpc, dump: VmallocinfoDump, live: Live[], rounds: number, seed: number): Promise<ChurnResult> {
  const below = seededBelow(seed);
  const t0 = performance.now();
  let purges = 0;
  // An empty dump has no size to allocate again.
  for (let r = 0; r < rounds && dump.entries.length > 0; r++) {
    if (live.length > 0) {
      const i = below(live.length);
      const victim = live[i]!;
      live[i] = live[live.length - 1]!;
      live.pop();
      const freed = await rpc.unary<FreeResponse__Output>('Free', { addr: victim.addr });
      if (freed.purged) purges++;
    }
    const entry = dump.entries[below(dump.entries.length)]!;
    const area = await rpc.unary<Area__Output>('Alloc', allocRequestOf(entry));
    live.push({ addr: area.addr });
  }
  const ms = performance.now() - t0;
  return { rounds, seed, purges, ms, after: await meminfoTotals(rpc) };
}

/**
 * Replays `dump` into the vmapd behind `rpc`.
 *
 * @throws the gRPC error of the first call vmapd refused (the batches before it stand)
 */
export async function replayDump(rpc: ReplayRpc, dump: VmallocinfoDump, options: ReplayOptions = {}): Promise<ReplayResult> {
  const before = await meminfoTotals(rpc);
  const t0 = performance.now();
  const addrs: string[] = [];
  let batches = 0;
  for (let i = 0; i < dump.entries.length; i += MAX_BATCH_ALLOCS) {
    const slice = dump.entries.slice(i, i + MAX_BATCH_ALLOCS);
    const r = await rpc.unary<AllocBatchResponse__Output>('AllocBatch', { requests: slice.map(allocRequestOf) });
    batches++;
    for (const a of r.areas) addrs.push(a.addr);
  }
  const allocMs = performance.now() - t0;
  const lazy: string[] = [];
  const live: Live[] = [];
  dump.entries.forEach((e, i) => {
    if (e.lazy) lazy.push(addrs[i]!);
    else live.push({ addr: addrs[i]! });
  });
  let purgedOnReplay = false;
  await inWindow(lazy, FREE_WINDOW, async (addr) => {
    const r = await rpc.unary<FreeResponse__Output>('Free', { addr });
    if (r.purged) purgedOnReplay = true;
  });
  const replayMs = performance.now() - t0;
  const afterReplay = await meminfoTotals(rpc);
  const rounds = options.churn ?? 0;
  const result: ReplayResult = {
    before,
    afterReplay,
    batches,
    allocs: addrs.length,
    lazyFrees: lazy.length,
    purgedOnReplay,
    lazyPagesNeeded: (before.lazyBytes + dump.lazyBytes) / PAGE_SIZE,
    replayMs,
    allocMs,
    freeMs: replayMs - allocMs,
  };
  if (rounds === 0) return result;
  return { ...result, churn: await churn(rpc, dump, live, rounds, options.seed ?? 1) };
}
