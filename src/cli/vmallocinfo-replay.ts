/**
 * Replaying a `/proc/vmallocinfo` dump into vmapd: every entry allocated with
 * its size and caller, in the dump's order, in all-or-none AllocBatch calls;
 * then the `unpurged vm_area` entries freed, so they become vmapd's lazily
 * freed areas; then, optionally, churn to age the space. vmapd places every
 * area by its own lowest-address first fit, so the addresses are vmapd's,
 * not the dump's (which are usually hashed anyway): what is reproduced is the
 * count and the sizes, hence /meminfo's totals.
 */
import { MAX_BATCH, type AllocSpec, type VmapClient } from '../client/index.js';
import { MAX_CALLER_LENGTH } from '../service/alloc-request.js';
import { PAGE_SIZE } from '../vmap/page.js';
import type { DumpEntry, VmallocinfoDump } from './vmallocinfo-dump.js';

/** What the replay needs of a client: the calls it makes. */
export type ReplayClient = Pick<VmapClient, 'alloc' | 'allocBatch' | 'free' | 'memInfo'>;

/**
 * Allocations are made once (no generated request ids, as vmapctl's alloc
 * without --request-id): a retried batch that had reached vmapd would
 * allocate twice. Frees and reads retry as the client decides.
 */
const ONCE = { retry: false } as const;

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
 * The allocation that reproduces `e`: `size − 4096` usable bytes and a
 * guard page where the kernel's size includes one, else `size` without one.
 * vm_map_ram lines have no caller and get `vm_map_ram`; unpurged lines have
 * none either and get '' (vmapd shows a lazy area as `unpurged vm_area`).
 * A caller longer than vmapd keeps is cut to its limit.
 */
export function allocSpecOf(e: DumpEntry): AllocSpec & { readonly size: number; readonly noGuard: boolean; readonly caller: string } {
  const caller = e.kind === 'vm_map_ram' ? 'vm_map_ram' : e.caller;
  return { size: e.guard ? e.size - PAGE_SIZE : e.size, noGuard: !e.guard, caller: caller.slice(0, MAX_CALLER_LENGTH) };
}

/** vmapd's MemInfo, in bytes. */
export async function meminfoTotals(client: ReplayClient): Promise<MeminfoTotals> {
  const m = await client.memInfo();
  return {
    usedBytes: Number(m.vmallocUsedKb) * 1024,
    lazyBytes: Number(m.vmallocLazyKb) * 1024,
    nrAreas: m.nrAreas,
    nrLazyAreas: m.nrLazyAreas,
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
  readonly addr: bigint;
}

async function churn(client: ReplayClient, dump: VmallocinfoDump, live: Live[], rounds: number, seed: number): Promise<ChurnResult> {
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
      const freed = await client.free(victim.addr);
      if (freed.purged) purges++;
    }
    const entry = dump.entries[below(dump.entries.length)]!;
    const { size, ...options } = allocSpecOf(entry);
    const area = await client.alloc(size, options, ONCE);
    live.push({ addr: area.addr });
  }
  const ms = performance.now() - t0;
  return { rounds, seed, purges, ms, after: await meminfoTotals(client) };
}

/**
 * Replays `dump` into the vmapd behind `client`.
 *
 * @throws VmapClientError of the first call vmapd refused (the batches before it stand)
 */
export async function replayDump(client: ReplayClient, dump: VmallocinfoDump, options: ReplayOptions = {}): Promise<ReplayResult> {
  const before = await meminfoTotals(client);
  const t0 = performance.now();
  const addrs: bigint[] = [];
  let batches = 0;
  for (let i = 0; i < dump.entries.length; i += MAX_BATCH) {
    const areas = await client.allocBatch(dump.entries.slice(i, i + MAX_BATCH).map(allocSpecOf), ONCE);
    batches++;
    for (const a of areas) addrs.push(a.addr);
  }
  const allocMs = performance.now() - t0;
  const lazy: bigint[] = [];
  const live: Live[] = [];
  dump.entries.forEach((e, i) => {
    if (e.lazy) lazy.push(addrs[i]!);
    else live.push({ addr: addrs[i]! });
  });
  let purgedOnReplay = false;
  await inWindow(lazy, FREE_WINDOW, async (addr) => {
    const r = await client.free(addr);
    if (r.purged) purgedOnReplay = true;
  });
  const replayMs = performance.now() - t0;
  const afterReplay = await meminfoTotals(client);
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
  return { ...result, churn: await churn(client, dump, live, rounds, options.seed ?? 1) };
}
