/**
 * The cases of the kernel's lib/test_vmalloc.c (test_case_array, in its
 * order: a case's index is its bit in run_test_mask), each ported as one
 * generator over an allocator: `yield a.alloc(pages, align)` stands for
 * vmalloc()/__vmalloc_node() and gives back the address or null (NULL),
 * `yield a.free(page)` for vfree(). The driver (runner.ts) carries each call
 * out on a backend: the model directly, synchronously, with the workers
 * interleaved one call each (model-backend.ts), or vmapd over gRPC, each
 * worker a concurrent client (grpc-backend.ts). Each case returns 0 when
 * it passed and -1 when it failed, as the kernel's do.
 *
 * A case fails, as in the kernel, when an allocation it checks comes back
 * NULL. The driver also checks every address against the alignment asked
 * for (the kernel trusts its own vmalloc): a misaligned one is freed,
 * counted, and given to the case as NULL, so it fails too.
 */
import { PAGE_SIZE } from '../../src/vmap/page.js';
import type { SeededRandom } from '../lib/random.js';
import { maskSelects } from './params.js';

/**
 * One call a case makes, as the driver reads it. Addresses are absolute
 * page numbers (the address >> PAGE_SHIFT: exact in a double, unlike a
 * 64-bit address).
 */
export interface KernelCall {
  kind: 'alloc' | 'free';
  /** alloc: pages wanted (the guard page is the allocator's). */
  pages: number;
  /** alloc: alignment in bytes, a power of two up to 2^63. */
  align: number;
  /** free: the page number alloc gave. */
  page: number;
}

/** What a case allocates with: each method names a call, which the case yields. */
export interface KernelAllocator {
  /** __vmalloc_node(pages * PAGE_SIZE, align): yielding it gives the start's page number, or null for NULL. */
  alloc(pages: number, align: number): KernelCall;
  /** vfree() of a page number alloc gave. */
  free(page: number): KernelCall;
}

/** A case running: yields calls, is given each result (the address or null; nothing for a free), returns 0 or -1. */
export type CaseRun = Generator<KernelCall, number, number | null>;

/**
 * A KernelAllocator that fills in one call object again and again: a worker
 * has one call outstanding at a time, and its driver reads the call before
 * resuming it.
 */
export function callBuilder(): KernelAllocator {
  const call: KernelCall = { kind: 'alloc', pages: 0, align: 0, page: 0 };
  return {
    alloc(pages, align) {
      call.kind = 'alloc';
      call.pages = pages;
      call.align = align;
      return call;
    },
    free(page) {
      call.kind = 'free';
      call.page = page;
      return call;
    },
  };
}

/** What a case reads besides its allocator. */
export interface CaseContext {
  readonly testLoopCount: number;
  readonly nrPages: number;
  readonly nrCpus: number;
  /** The worker's random stream (get_random_u8() and friends). */
  readonly rnd: SeededRandom;
}

/** A case of test_case_array. */
export interface KernelCase {
  /** The kernel's name, printed in the Summary line. */
  readonly name: string;
  /** Its run_test_mask bit, 1 << index. */
  readonly id: number;
  /** The port; absent when the case does not apply to vmapd. */
  readonly run?: (a: KernelAllocator, ctx: CaseContext) => CaseRun;
  /** Why it does not apply, when it does not. */
  readonly skip?: string;
}

/** The kernel's THREAD_ALIGN on x86-64 (THREAD_SIZE: 4 pages, no KASAN). */
export const THREAD_ALIGN = 4 * PAGE_SIZE;
/** The kernel's BITS_PER_LONG on x86-64. */
export const BITS_PER_LONG = 64;
/** Areas long_busy_list_alloc_test keeps busy around its loop. */
export const LONG_BUSY_LIST_LENGTH = 15000;

/** vmalloc()'s alignment: __vmalloc_node(size, 1, …). */
const VMALLOC_ALIGN = 1;
/** sizeof(void *). */
const POINTER_BYTES = 8;

/** Pages vmalloc(bytes) maps: bytes rounded up to pages. */
function pagesOf(bytes: number): number {
  return Math.ceil(bytes / PAGE_SIZE);
}

/** The kernel's fls(): the 1-based index of the highest set bit, 0 for 0. */
export function fls(x: number): number {
  return x === 0 ? 0 : 32 - Math.clz32(x);
}

/** Whether absolute page `page` starts an address that is a multiple of `align` bytes. */
export function isAligned(page: number, align: number): boolean {
  return align <= PAGE_SIZE || page % (align / PAGE_SIZE) === 0;
}

/** test_loop_count allocations of nr_pages (1 if 0), each freed at once. */
function* fixSizeAllocTest(a: KernelAllocator, ctx: CaseContext): CaseRun {
  const pages = ctx.nrPages > 0 ? ctx.nrPages : 1;
  for (let i = 0; i < ctx.testLoopCount; i++) {
    const p = yield a.alloc(pages, VMALLOC_ALIGN);
    if (p === null) return -1;
    yield a.free(p);
  }
  return 0;
}

/**
 * fls(num_online_cpus()) × 32 MiB of one-page areas, each followed by a
 * junk one; the junk is freed, leaving holes that one page and its guard
 * fill exactly (a full fit), which the loop then allocates and frees.
 */
function* fullFitAllocTest(a: KernelAllocator, ctx: CaseContext): CaseRun {
  const junkLength = fls(ctx.nrCpus) * ((32 * 1024 * 1024) / PAGE_SIZE);
  const arrayPages = pagesOf(POINTER_BYTES * junkLength);
  const ptrArray = yield a.alloc(arrayPages, VMALLOC_ALIGN);
  if (ptrArray === null) return -1;
  const junkArray = yield a.alloc(arrayPages, VMALLOC_ALIGN);
  if (junkArray === null) {
    yield a.free(ptrArray);
    return -1;
  }
  const ptr: (number | null)[] = new Array<number | null>(junkLength);
  const junk: (number | null)[] = new Array<number | null>(junkLength);
  for (let i = 0; i < junkLength; i++) {
    ptr[i] = yield a.alloc(1, VMALLOC_ALIGN);
    junk[i] = yield a.alloc(1, VMALLOC_ALIGN);
  }
  for (let i = 0; i < junkLength; i++) {
    const p = junk[i];
    if (p !== undefined && p !== null) yield a.free(p); // vfree(NULL) is a no-op
  }
  let rv = 0;
  for (let i = 0; i < ctx.testLoopCount; i++) {
    const tmp = yield a.alloc(1, VMALLOC_ALIGN);
    if (tmp === null) {
      rv = -1;
      break;
    }
    yield a.free(tmp);
  }
  for (let i = 0; i < junkLength; i++) {
    const p = ptr[i];
    if (p !== undefined && p !== null) yield a.free(p); // vfree(NULL) is a no-op
  }
  yield a.free(ptrArray);
  yield a.free(junkArray);
  return rv;
}

/** 15,000 one-page areas kept busy while the loop allocates 100 pages and 1 page and frees both. */
function* longBusyListAllocTest(a: KernelAllocator, ctx: CaseContext): CaseRun {
  const ptrArray = yield a.alloc(pagesOf(POINTER_BYTES * LONG_BUSY_LIST_LENGTH), VMALLOC_ALIGN);
  if (ptrArray === null) return -1;
  const ptr: (number | null)[] = new Array<number | null>(LONG_BUSY_LIST_LENGTH);
  for (let i = 0; i < LONG_BUSY_LIST_LENGTH; i++) ptr[i] = yield a.alloc(1, VMALLOC_ALIGN);
  let rv = 0;
  for (let i = 0; i < ctx.testLoopCount; i++) {
    const p1 = yield a.alloc(100, VMALLOC_ALIGN);
    if (p1 === null) {
      rv = -1;
      break;
    }
    const p2 = yield a.alloc(1, VMALLOC_ALIGN);
    if (p2 === null) {
      yield a.free(p1);
      rv = -1;
      break;
    }
    yield a.free(p1);
    yield a.free(p2);
  }
  for (let i = 0; i < LONG_BUSY_LIST_LENGTH; i++) {
    const p = ptr[i];
    if (p !== undefined && p !== null) yield a.free(p); // vfree(NULL) is a no-op
  }
  yield a.free(ptrArray);
  return rv;
}

/** Allocations of 1 to 100 pages (get_random_u32_inclusive(1, 100)), each freed at once. */
function* randomSizeAllocTest(a: KernelAllocator, ctx: CaseContext): CaseRun {
  for (let i = 0; i < ctx.testLoopCount; i++) {
    const n = 1 + ctx.rnd.below(100);
    const p = yield a.alloc(n, VMALLOC_ALIGN);
    if (p === null) return -1;
    yield a.free(p);
  }
  return 0;
}

/** Allocations of 5 pages aligned to THREAD_ALIGN << 1, each freed at once. */
function* fixAlignAllocTest(a: KernelAllocator, ctx: CaseContext): CaseRun {
  for (let i = 0; i < ctx.testLoopCount; i++) {
    const p = yield a.alloc(5, THREAD_ALIGN * 2);
    if (p === null) return -1;
    yield a.free(p);
  }
  return 0;
}

/** From one random byte: 1 << (rnd % 23) alignment and (rnd % 10) + 1 pages, each freed at once. */
function* randomSizeAlignAllocTest(a: KernelAllocator, ctx: CaseContext): CaseRun {
  for (let i = 0; i < ctx.testLoopCount; i++) {
    const rnd = ctx.rnd.below(256);
    const align = 2 ** (rnd % 23);
    const size = (rnd % 10) + 1;
    const p = yield a.alloc(size, align);
    if (p === null) return -1;
    yield a.free(p);
  }
  return 0;
}

/**
 * One page at each alignment 1 << i for i below BITS_PER_LONG, freed at
 * once. "This test case is supposed to be failed": it fails at the first
 * alignment that no page of the space can start at (2^46, 64 TiB, in the
 * default 32 TiB space at 0xffffc90000000000, as on x86-64 with 4-level
 * paging).
 */
function* alignShiftAllocTest(a: KernelAllocator, _ctx: CaseContext): CaseRun {
  for (let i = 0; i < BITS_PER_LONG; i++) {
    const p = yield a.alloc(1, 2 ** i);
    if (p === null) return -1;
    yield a.free(p);
  }
  return 0;
}

/** test_case_array, in the kernel's order: index i is run_test_mask bit 1 << i. */
export const TEST_CASES: readonly KernelCase[] = [
  { name: 'fix_size_alloc_test', id: 1, run: fixSizeAllocTest },
  { name: 'full_fit_alloc_test', id: 2, run: fullFitAllocTest },
  { name: 'long_busy_list_alloc_test', id: 4, run: longBusyListAllocTest },
  { name: 'random_size_alloc_test', id: 8, run: randomSizeAllocTest },
  { name: 'fix_align_alloc_test', id: 16, run: fixAlignAllocTest },
  { name: 'random_size_align_alloc_test', id: 32, run: randomSizeAlignAllocTest },
  { name: 'align_shift_alloc_test', id: 64, run: alignShiftAllocTest },
  { name: 'pcpu_alloc_test', id: 128, skip: '__alloc_percpu() hands out sub-page pieces of per-CPU chunks, whose areas the kernel carves top-down from vmalloc space (pcpu_get_vm_areas); vmapd models neither the chunk allocator nor that placement' },
  { name: 'kvfree_rcu_1_arg_vmalloc_test', id: 256, skip: 'kvfree_rcu() defers the free to an RCU grace period; vmapd has no RCU callbacks (its lazy free is the purge, which every case exercises)' },
  { name: 'kvfree_rcu_2_arg_vmalloc_test', id: 512, skip: 'kvfree_rcu(p, rcu) likewise: an RCU-deferred free, not modelled' },
  { name: 'vm_map_ram_test', id: 1024, skip: 'vm_map_ram() maps pages through per-CPU vmap blocks; vmapd maps no pages and has no vmap block allocator' },
];

/** Indexes of the cases `mask` selects that vmapd runs. */
export function selectedCases(mask: number): number[] {
  return TEST_CASES.flatMap((c, i) => maskSelects(mask, i) && c.run !== undefined ? [i] : []);
}

/** The cases `mask` selects that do not apply, each with why. */
export function skippedCases(mask: number): KernelCase[] {
  return TEST_CASES.filter((c, i) => maskSelects(mask, i) && c.run === undefined);
}
