/**
 * One compare run in progress: its settings and the results so far, the
 * progress bar, and the bookkeeping every phase shares. A step that fails is
 * recorded and the run goes on; SIGINT or SIGTERM stops every child process
 * and lets no further phase start.
 */
import { makeVmapClient } from '../lib/grpc.js';
import { prefill, type PrefillResult } from '../lib/prefill.js';
import { Progress } from '../lib/progress.js';
import type { CompareResults, CompareSettings, Mode } from '../lib/results.js';
import { join } from 'node:path';
import { LOADTEST_DIST } from '../lib/paths.js';
import { startServerProcess, startVmapd, stopAllServers, stopServerProcess, vmapdHasHttpThreads, vmapdHelp, type ServerProcess } from '../lib/server-process.js';
import { stopAllWriters } from '../writers.js';
import { stopAllPageClients } from '../page-clients.js';
import { messageOf } from '../../src/vmap/errors.js';
import { loadSample, machineInfo } from './machine.js';

/** Heap for vmapd: a million areas and their snapshots need more than a small default. */
const VMAPD_HEAP_MB = 8192;

/** Seconds a measurement step weighs on the progress bar: warm-up, measurement, and a little to set it up. */
export function measureWeight(s: CompareSettings): number {
  return s.durationSec + s.warmupSec + 1.5;
}

/** Bookkeeping shared by the phases of one run. */
export class CompareRun {
  readonly results: CompareResults;
  /** Set by SIGINT or SIGTERM: every phase stops starting steps. */
  interrupted = false;
  private readonly progress: Progress;

  /** measureWeight of this run's settings. */
  get measureWeight(): number {
    return measureWeight(this.s);
  }

  private constructor(
    readonly s: CompareSettings,
    expectedSeconds: number,
  ) {
    this.results = {
      startedAt: new Date().toISOString(),
      finishedAt: '',
      settings: s,
      machine: machineInfo(),
      baselines: { bodyBytes: 0 },
      underLoad: [],
      scaling: [],
      isolation: [],
      writerBusy: [],
      threads: [],
      targets: [],
      failures: [],
    };
    this.progress = new Progress(expectedSeconds);
  }

  /**
   * Starts a run with `settings` (vmapdArgs filled in from what this vmapd
   * build supports), its progress bar sized by `expectedSeconds`, and the
   * signal handlers.
   */
  static async start(settings: CompareSettings, expectedSeconds: (s: CompareSettings) => number): Promise<CompareRun> {
    const help = await vmapdHelp();
    // The durable store is not what is compared here: keep it out where the build allows.
    const vmapdArgs = help.includes('--store') ? ['--store', 'memory'] : [];
    // A build from before reader threads has no --http-threads: its HTTP runs on the writer's event loop (null).
    const httpThreads = (await vmapdHasHttpThreads()) ? settings.httpThreads : null;
    const s = { ...settings, vmapdArgs, httpThreads };
    const run = new CompareRun(s, expectedSeconds(s));
    const onSignal = (signal: NodeJS.Signals): void => {
      if (run.interrupted) return;
      run.interrupted = true;
      run.progress.stop();
      process.stderr.write(`\ncompare: ${signal}: stopping every child process\n`);
      stopAllWriters();
      stopAllPageClients();
      void stopAllServers().then(() => process.exit(130));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return run;
  }

  /** Records the load average before a measurement: other work on the machine shows there. */
  sampleLoad(at: string): void {
    this.results.machine.loadavg.push(loadSample(at));
  }

  /** Runs one step, `seconds` long on the progress bar; a failure is recorded and the run goes on. */
  async step<T>(label: string, seconds: number, fn: () => Promise<T>): Promise<T | undefined> {
    this.progress.step(label, seconds);
    try {
      return await fn();
    } catch (err) {
      const error = messageOf(err);
      this.results.failures.push({ step: label, error });
      this.progress.log(`FAILED ${label}: ${error}`);
      return undefined;
    }
  }

  /** A line under the progress bar. */
  log(line: string): void {
    this.progress.log(line);
  }

  /** Ends the progress bar. */
  stopProgress(): void {
    this.progress.stop();
  }

  /**
   * Runs `fn` on a fresh vmapd in read mode `mode` (with a big heap if
   * `heap`) and the run's --http-threads (or `threads`), stopped afterwards
   * whatever happens.
   */
  async withVmapd(mode: Mode, heap: boolean, fn: (v: ServerProcess) => Promise<void>, threads?: number): Promise<void> {
    const httpThreads = threads ?? this.s.httpThreads ?? undefined;
    const v = await this.step(`start vmapd --read-mode ${mode}${httpThreads === undefined ? '' : ` --http-threads ${httpThreads}`}`, 1.5, () =>
      startVmapd({ readMode: mode, extraArgs: this.s.vmapdArgs, maxOldSpaceMb: heap ? VMAPD_HEAP_MB : undefined, httpThreads }),
    );
    if (!v) return;
    try {
      await fn(v);
    } finally {
      await stopServerProcess(v);
    }
  }

  /**
   * Runs `fn` on a fresh baseline server (bare route and echo) whose route
   * body is `bodyBytes` long, served on `threads` reusePort threads (0: the
   * main thread); stopped afterwards whatever happens.
   */
  async withBaseline(bodyBytes: number, threads: number, fn: (b: ServerProcess) => Promise<void>): Promise<void> {
    const b = await this.step(`start baseline server${threads === 0 ? '' : ` --threads ${threads}`}`, 1.5, () =>
      startServerProcess(join(LOADTEST_DIST, 'baseline-server.js'), ['--body-bytes', String(bodyBytes), '--threads', String(threads)], 'baseline listening'),
    );
    if (!b) return;
    try {
      await fn(b);
    } finally {
      await stopServerProcess(b);
    }
  }

  /** Adds `count` areas to `v`, sized from `seed`. */
  async fill(v: ServerProcess, count: number, seed: number): Promise<PrefillResult> {
    const client = makeVmapClient(v.grpc);
    try {
      await client.ready(10000);
      return await prefill(client, count, seed);
    } finally {
      client.close();
    }
  }
}
