/**
 * The module parameters of the kernel's lib/test_vmalloc.c, with its
 * defaults and its sanity clamps (init_test_configurtion), and the
 * run_test_mask: which bit runs which case.
 */
import { availableParallelism } from 'node:os';

/** The kernel's INT_MAX: run_test_mask's default, every case. */
export const INT_MAX = 0x7fffffff;
/** The kernel's USHRT_MAX: the most workers test_vmalloc starts. */
export const USHRT_MAX = 0xffff;

/** The parameters a run takes, named as the kernel's module parameters. */
export interface KernelParams {
  /** Concurrent workers (kthreads in the kernel; interleaved loops on the model, gRPC clients over the wire). Kernel default 0, clamped to 1. */
  readonly nrThreads: number;
  /** Run the cases in test_case_array order rather than shuffled per worker. Kernel default false. */
  readonly sequentialTestOrder: boolean;
  /** Times each case runs; passed/failed count each run, avg is the mean. Kernel default 1. */
  readonly testRepeatCount: number;
  /** Loops of each case's alloc/free. Kernel default 1,000,000. */
  readonly testLoopCount: number;
  /** Pages fix_size_alloc_test allocates; 0 means 1. Kernel default 0. */
  readonly nrPages: number;
  /** Bit i runs test_case_array[i]. Kernel default INT_MAX. */
  readonly runTestMask: number;
  /** num_online_cpus(), which sizes full_fit_alloc_test's junk: the machine's by default. */
  readonly nrCpus: number;
  /** Seeds the workers' random streams (the kernel's get_random_*); worker i draws from seed + i. */
  readonly seed: number;
}

/** The kernel's defaults (num_online_cpus() is this machine's core count). */
export const KERNEL_DEFAULTS: KernelParams = {
  nrThreads: 0,
  sequentialTestOrder: false,
  testRepeatCount: 1,
  testLoopCount: 1_000_000,
  nrPages: 0,
  runTestMask: INT_MAX,
  nrCpus: availableParallelism(),
  seed: 1,
};

/**
 * `p` after the kernel's init_test_configurtion(): nr_threads clamped to
 * [1, USHRT_MAX], a repeat or loop count <= 0 made 1.
 */
export function clampParams(p: KernelParams): KernelParams {
  return {
    ...p,
    nrThreads: Math.min(Math.max(p.nrThreads, 1), USHRT_MAX),
    testRepeatCount: p.testRepeatCount <= 0 ? 1 : p.testRepeatCount,
    testLoopCount: p.testLoopCount <= 0 ? 1 : p.testLoopCount,
    nrCpus: Math.max(1, p.nrCpus),
  };
}

/** Whether `mask` selects the case at `index` of test_case_array: the kernel's `(run_test_mask & (1 << index)) >> index`. */
export function maskSelects(mask: number, index: number): boolean {
  return ((mask >>> index) & 1) === 1;
}

/**
 * A run_test_mask from the command line: decimal or 0x hex, 0 to INT_MAX.
 *
 * @throws Error for anything else
 */
export function parseMask(text: string): number {
  const n = /^0[xX][0-9a-fA-F]+$/.test(text) ? parseInt(text.slice(2), 16) : /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > INT_MAX) throw new Error(`run_test_mask must be an integer from 0 to ${INT_MAX} (decimal or 0x hex), got ${JSON.stringify(text)}`);
  return n;
}
