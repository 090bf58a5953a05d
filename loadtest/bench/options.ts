/**
 * The allocator benchmark's command line, and the timing it implies: the
 * live-area counts to run, the seed, and --quick's shorter windows.
 */
import { parseArgs } from 'node:util';
import { KERNEL_DEFAULTS, parseMask, type KernelParams } from '../kernel/params.js';

/** How long each part of a run measures; --quick shortens all but the chunk. */
export interface Timing {
  /** Unrecorded steady-state time before the windows. */
  readonly warmupMs: number;
  readonly windowMs: number;
  readonly windows: number;
  /** Calls per timed loop of meminfo(). */
  readonly meminfoCalls: number;
  /** Least time spent timing walkMeminfo(). */
  readonly walkMinMs: number;
  /** Free/alloc pairs of the cross-check against the reference model. */
  readonly crossCheckIters: number;
}

/** A parsed command line. */
export interface BenchOptions {
  /** Live-area counts, each run on its own space. */
  readonly sizes: readonly number[];
  readonly seed: number;
  readonly quick: boolean;
  /** Where to write every figure as JSON, if anywhere. */
  readonly json: string | undefined;
  readonly help: boolean;
  readonly timing: Timing;
  /** Whether to measure the service too (AllocBatch end to end, recovery); --skip-service leaves it out. */
  readonly service: boolean;
  /** --kernel-tests: run lib/test_vmalloc.c's cases with these parameters instead of the usual benchmark; else null. */
  readonly kernel: KernelParams | null;
}

/** The one-line usage --help prints. */
export const USAGE =
  'usage: bench-allocator [--sizes 1000,10000,...] [--quick] [--skip-service] [--json FILE] [--seed N]\n' +
  '       bench-allocator --kernel-tests [--mask N] [--loops N] [--nr-pages N] [--threads N] [--repeat N] [--sequential] [--nr-cpus N] [--seed N]';

/**
 * test_loop_count of a --kernel-tests run unless --loops says otherwise: the
 * kernel's 1,000,000 takes about 20 s over the seven cases on one worker
 * (2-core development machine), this about 3 s.
 */
export const KERNEL_BENCH_LOOPS = 100_000;

/** A whole number in [min, max] from option `name`. */
function intOption(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}

const DEFAULT_SIZES = '1000,10000,100000,1000000';

/** The timing of a full run, or of a --quick one. */
function timingOf(quick: boolean): Timing {
  return {
    warmupMs: quick ? 100 : 500,
    windowMs: quick ? 150 : 500,
    windows: quick ? 3 : 5,
    meminfoCalls: quick ? 200_000 : 1_000_000,
    walkMinMs: quick ? 50 : 250,
    crossCheckIters: quick ? 20_000 : 100_000,
  };
}

/**
 * Parses `args` (the process's by default).
 *
 * @throws Error on a --sizes entry that is not a positive integer, or a non-integer --seed
 */
export function parseBenchOptions(args: string[] = process.argv.slice(2)): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      sizes: { type: 'string' },
      quick: { type: 'boolean', default: false },
      json: { type: 'string' },
      seed: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
      'skip-service': { type: 'boolean', default: false },
      'kernel-tests': { type: 'boolean', default: false },
      mask: { type: 'string' },
      loops: { type: 'string' },
      'nr-pages': { type: 'string' },
      threads: { type: 'string' },
      repeat: { type: 'string' },
      sequential: { type: 'boolean', default: false },
      'nr-cpus': { type: 'string' },
    },
  });
  const sizes = (values.sizes ?? DEFAULT_SIZES).split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`--sizes: bad count ${JSON.stringify(s)}`);
    return n;
  });
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new Error('--seed must be an integer');
  const quick = values.quick === true;
  const kernel: KernelParams | null = values['kernel-tests'] !== true
    ? null
    : {
        ...KERNEL_DEFAULTS,
        seed,
        runTestMask: values.mask === undefined ? KERNEL_DEFAULTS.runTestMask : parseMask(values.mask),
        testLoopCount: values.loops === undefined ? KERNEL_BENCH_LOOPS : intOption('loops', values.loops, 1, 100_000_000),
        nrPages: values['nr-pages'] === undefined ? KERNEL_DEFAULTS.nrPages : intOption('nr-pages', values['nr-pages'], 0, 1 << 20),
        nrThreads: values.threads === undefined ? KERNEL_DEFAULTS.nrThreads : intOption('threads', values.threads, 1, 256),
        testRepeatCount: values.repeat === undefined ? KERNEL_DEFAULTS.testRepeatCount : intOption('repeat', values.repeat, 1, 1000),
        sequentialTestOrder: values.sequential === true,
        nrCpus: values['nr-cpus'] === undefined ? KERNEL_DEFAULTS.nrCpus : intOption('nr-cpus', values['nr-cpus'], 1, 4096),
      };
  return { sizes, seed, quick, json: values.json, help: values.help === true, timing: timingOf(quick), service: values['skip-service'] !== true, kernel };
}
