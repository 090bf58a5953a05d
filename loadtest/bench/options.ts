/**
 * The allocator benchmark's command line, and the timing it implies: the
 * live-area counts to run, the seed, and --quick's shorter windows.
 */
import { parseArgs } from 'node:util';

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
}

/** The one-line usage --help prints. */
export const USAGE = 'usage: bench-allocator [--sizes 1000,10000,...] [--quick] [--json FILE] [--seed N]';

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
  return { sizes, seed, quick, json: values.json, help: values.help === true, timing: timingOf(quick) };
}
