/**
 * compare's command line: what to measure and for how long, with --quick's
 * shorter defaults, as the CompareSettings a run records.
 */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { intIn, secondsUpTo } from '../lib/cli.js';
import { PROJECT_ROOT } from '../lib/paths.js';
import { MAX_BATCH } from '../lib/prefill.js';
import { defaultHttpThreads } from '../lib/server-process.js';
import { PHASE_NAMES, type CompareSettings, type Mode, type PhaseName } from '../lib/results.js';

/** Every read mode of vmapd, in the order the report lists them. */
export const ALL_MODES: readonly Mode[] = ['locked-walk', 'rcu-walk', 'snapshot'];

function parseList<T>(parse: (s: string) => T): (value: string) => T[] {
  return (value) => value.split(',').map((s) => parse(s.trim()));
}

function parseMode(s: string): Mode {
  if (!(ALL_MODES as readonly string[]).includes(s)) throw new Error(`unknown read mode ${s}`);
  return s as Mode;
}

function parsePhase(s: string): PhaseName {
  if (!(PHASE_NAMES as readonly string[]).includes(s)) throw new Error(`unknown phase ${s} (phases: ${PHASE_NAMES.join(', ')})`);
  return s as PhaseName;
}

/** What commander hands back. */
interface Options {
  duration?: number;
  warmup?: number;
  quick?: boolean;
  modes: Mode[];
  areas: number;
  sizes?: number[];
  connections: number;
  pipelining: number;
  procs: number;
  clients: number;
  channels: number;
  writeRate: number;
  httpThreads: number;
  threadCounts: number[];
  batch: number;
  phases: PhaseName[];
  pages: number;
  seed: number;
  out?: string;
}

/** The settings of a run (vmapdArgs still empty and httpThreads as asked: they depend on the vmapd build) and where its results go. */
export type CompareOptions = CompareSettings & { out: string };

/**
 * Parses the process's command line; --help prints every setting and exits.
 * --rerender is declared for --help's sake: compare.ts acts on it before this runs.
 */
export function parseOptions(): CompareOptions {
  const o = new Command()
    .name('compare')
    .description(
      'Baselines, then vmapd in each read mode: /meminfo under write load, scaling with live areas, writer isolation, /meminfo while AllocBatch keeps the writer busy; ' +
        'then vmapd at each --thread-counts against a bare route on as many threads; then /meminfo with --pages simulated pages of the live map open. Writes loadtest/results/<timestamp>/.',
    )
    .addOption(new Option('-d, --duration <s>', 'seconds per measurement (default 8; 2 with --quick)').argParser(secondsUpTo(600)))
    .addOption(new Option('--warmup <s>', 'unrecorded seconds before each measurement (default 2; 0.5 with --quick); longer after a big prefill').argParser(secondsUpTo(60)))
    .addOption(new Option('--quick', 'a smoke run of about four minutes: short measurements, scaling up to 100k areas'))
    .addOption(new Option('--modes <list>', 'read modes to compare').default([...ALL_MODES]).argParser(parseList(parseMode)))
    .addOption(new Option('--areas <n>', 'live areas for phases 2, 4, 5 (where AllocBatch adds more), 6 and 7').default(100000).argParser(intIn(0, 2_000_000)))
    .addOption(new Option('--sizes <list>', 'live-area counts of the scaling phase (default 1000,10000,100000,1000000)').argParser(parseList(intIn(1, 2_000_000))))
    .addOption(new Option('-c, --connections <n>', 'autocannon connections').default(10).argParser(intIn(1, 1000)))
    .addOption(new Option('-p, --pipelining <n>', 'autocannon pipelining').default(1).argParser(intIn(1, 100)))
    .addOption(new Option('--procs <n>', 'writer processes').default(2).argParser(intIn(1, 64)))
    .addOption(new Option('--clients <n>', 'concurrent writer calls in all').default(16).argParser(intIn(1, 4096)))
    .addOption(new Option('--channels <n>', 'gRPC connections per writer process').default(1).argParser(intIn(1, 1024)))
    .addOption(new Option('--write-rate <n>', 'ops/s the writers offer while /meminfo is flooded in phases 2, 6 and 7').default(500).argParser(intIn(1, 1_000_000)))
    .addOption(
      new Option('--http-threads <n>', "vmapd's --http-threads in phases 2 to 5 and 7 (the bare route under write load gets as many threads)")
        .default(defaultHttpThreads(), `${defaultHttpThreads()}: vmapd's default here, cores - 1, at least 1`)
        .argParser(intIn(1, 64)),
    )
    .addOption(new Option('--thread-counts <list>', '--http-threads counts compared in phase 6, each against a bare route on as many reusePort threads').default([1, 2], '1,2').argParser(parseList(intIn(1, 64))))
    .addOption(new Option('--batch <n>', 'areas per AllocBatch call in phase 5 (one page each)').default(MAX_BATCH).argParser(intIn(1, MAX_BATCH)))
    .addOption(
      new Option('--phases <list>', 'phases to run: load (2, 4, 5: read modes under write load, isolation, writer kept busy), scaling (3), threads (6), pages (7), baselines (1)')
        .default([...PHASE_NAMES], PHASE_NAMES.join(','))
        .argParser(parseList(parsePhase)),
    )
    .addOption(new Option('--pages <n>', 'simulated open pages of the live map in phase 7').default(10).argParser(intIn(1, 100)))
    .addOption(new Option('--seed <n>', 'random seed').default(1).argParser(intIn(0, 2 ** 31)))
    .addOption(new Option('--out <dir>', 'results directory (default loadtest/results/<timestamp>)'))
    .addOption(new Option('--rerender <dir>', 'only re-render report.md and the chart from <dir>/results.json'))
    .parse()
    .opts<Options>();
  const quick = o.quick === true;
  const sizes = [...(o.sizes ?? (quick ? [1000, 10000, 100000] : [1000, 10000, 100000, 1_000_000]))].sort((a, b) => a - b);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    durationSec: o.duration ?? (quick ? 2 : 8),
    warmupSec: o.warmup ?? (quick ? 0.5 : 2),
    quick,
    modes: ALL_MODES.filter((m) => o.modes.includes(m)),
    areasUnderLoad: o.areas,
    sizes,
    connections: o.connections,
    pipelining: o.pipelining,
    procs: o.procs,
    clients: o.clients,
    channelsPerProc: o.channels,
    writeRate: o.writeRate,
    seed: o.seed,
    vmapdArgs: [],
    httpThreads: o.httpThreads,
    threadCounts: [...new Set(o.threadCounts)].sort((a, b) => a - b),
    batchAreas: o.batch,
    phases: PHASE_NAMES.filter((p) => o.phases.includes(p)),
    pages: o.pages,
    out: o.out ?? join(PROJECT_ROOT, 'loadtest', 'results', stamp),
  };
}
