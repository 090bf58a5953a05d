#!/usr/bin/env node
/**
 * compare: what `npm run loadtest` runs. In one run on this machine it
 * measures the ceilings (a bare fastify route, a bare grpc-js echo), then
 * vmapd in each read mode: /meminfo under write load, /meminfo scaling with
 * the number of live areas, and writers with and without the /meminfo flood.
 * Writes results.json, report.md and chart.{svg,png} to
 * loadtest/results/<timestamp>/. Every server it starts is a child process
 * on 127.0.0.1, stopped by its pid; every step is bounded in time.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import { Command, Option } from 'commander';
import { formatFlood, runFlood, type FloodOptions, type FloodResult } from './meminfo-flood.js';
import { formatWriters, runWriters, stopAllWriters, type WritersOptions, type WritersResult } from './writers.js';
import { renderChart } from './lib/chart.js';
import { cpuMeter, type CpuUse } from './lib/cpu.js';
import { intIn, secondsUpTo } from './lib/cli.js';
import { makeClient, waitReady } from './lib/grpc.js';
import { PROJECT_ROOT, LOADTEST_DIST } from './lib/paths.js';
import { prefill } from './lib/prefill.js';
import { Progress } from './lib/progress.js';
import { renderReport } from './lib/report.js';
import { evaluateTargets, type CompareResults, type CompareSettings, type Mode } from './lib/results.js';
import { startServerProcess, startVmapd, stopAllServers, stopServerProcess, vmapdHelp, type ServerProcess } from './lib/server-process.js';
import { messageOf } from '../src/vmap/errors.js';

const ALL_MODES: readonly Mode[] = ['locked-walk', 'rcu-walk', 'snapshot'];
/** Assumed prefill speed for the progress estimate, areas/s. */
const PREFILL_RATE = 30000;
/** Ops/s one writer process offers at a fixed rate without being the bottleneck (it closes a loop at several thousand). */
const RATED_OPS_PER_PROC = 2000;
/** Extra warm-up for the first measurement on a fresh server: its first seconds run a few percent slow. */
const FRESH_WARMUP_SEC = 3;
/** Heap for vmapd: a million areas and their snapshots need more than a small default. */
const VMAPD_HEAP_MB = 8192;

function parseList<T>(parse: (s: string) => T): (value: string) => T[] {
  return (value) => value.split(',').map((s) => parse(s.trim()));
}

function parseMode(s: string): Mode {
  if (!(ALL_MODES as readonly string[]).includes(s)) throw new Error(`unknown read mode ${s}`);
  return s as Mode;
}

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
  seed: number;
  out?: string;
}

function parseOptions(): CompareSettings & { out: string } {
  const o = new Command()
    .name('compare')
    .description('Baselines, then vmapd in each read mode: /meminfo under write load, scaling with live areas, writer isolation. Writes loadtest/results/<timestamp>/.')
    .addOption(new Option('-d, --duration <s>', 'seconds per measurement (default 8; 2 with --quick)').argParser(secondsUpTo(600)))
    .addOption(new Option('--warmup <s>', 'unrecorded seconds before each measurement (default 2; 0.5 with --quick); longer after a big prefill').argParser(secondsUpTo(60)))
    .addOption(new Option('--quick', 'a smoke run of about two minutes: short measurements, scaling up to 100k areas'))
    .addOption(new Option('--modes <list>', 'read modes to compare').default([...ALL_MODES]).argParser(parseList(parseMode)))
    .addOption(new Option('--areas <n>', 'live areas for the under-write-load and isolation phases').default(100000).argParser(intIn(0, 2_000_000)))
    .addOption(new Option('--sizes <list>', 'live-area counts of the scaling phase (default 1000,10000,100000,1000000)').argParser(parseList(intIn(1, 2_000_000))))
    .addOption(new Option('-c, --connections <n>', 'autocannon connections').default(10).argParser(intIn(1, 1000)))
    .addOption(new Option('-p, --pipelining <n>', 'autocannon pipelining').default(1).argParser(intIn(1, 100)))
    .addOption(new Option('--procs <n>', 'writer processes').default(2).argParser(intIn(1, 64)))
    .addOption(new Option('--clients <n>', 'concurrent writer calls in all').default(16).argParser(intIn(1, 4096)))
    .addOption(new Option('--channels <n>', 'gRPC connections per writer process').default(1).argParser(intIn(1, 1024)))
    .addOption(new Option('--write-rate <n>', 'ops/s the writers offer while /meminfo is flooded in phase 2').default(500).argParser(intIn(1, 1_000_000)))
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
    out: o.out ?? join(PROJECT_ROOT, 'loadtest', 'results', stamp),
  };
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const settings = parseOptions();
  const { out, ...rest } = settings;
  const help = await vmapdHelp();
  // The durable store is not what is compared here: keep it out where the build allows.
  const vmapdArgs = help.includes('--store') ? ['--store', 'memory'] : [];
  const s: CompareSettings = { ...rest, vmapdArgs };
  const results: CompareResults = {
    startedAt: new Date().toISOString(),
    finishedAt: '',
    settings: s,
    machine: {
      node: process.versions.node,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
      memGiB: Math.round(totalmem() / 2 ** 30),
      loadavg: [],
      gitCommit: gitCommit(),
    },
    baselines: { bodyBytes: 0 },
    underLoad: [],
    scaling: [],
    isolation: [],
    targets: [],
    failures: [],
  };

  const D = s.durationSec;
  const W = s.warmupSec;
  const measureWeight = D + W + 1.5;
  const totalSeconds =
    s.modes.length * (2 + s.areasUnderLoad / PREFILL_RATE + 3 * measureWeight) +
    s.modes.length * (2 + (s.sizes[s.sizes.length - 1] ?? 0) / PREFILL_RATE + s.sizes.length * measureWeight) +
    2 + 3 * measureWeight + 5;
  const progress = new Progress(totalSeconds);

  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    progress.stop();
    process.stderr.write(`\ncompare: ${signal}: stopping every child process\n`);
    stopAllWriters();
    void stopAllServers().then(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const sampleLoad = (at: string): void => {
    results.machine.loadavg.push({ at, load1: Math.round(loadavg()[0]! * 100) / 100 });
  };
  /** Runs one step; a failure is recorded and the run goes on. */
  const step = async <T>(label: string, seconds: number, fn: () => Promise<T>): Promise<T | undefined> => {
    progress.step(label, seconds);
    try {
      return await fn();
    } catch (err) {
      const error = messageOf(err);
      results.failures.push({ step: label, error });
      progress.log(`FAILED ${label}: ${error}`);
      return undefined;
    }
  };

  const floodOpts = (url: string, durationSec: number): FloodOptions => ({
    url,
    connections: s.connections,
    pipelining: s.pipelining,
    durationSec,
    // A count bound on top of time: far above what one autocannon process can reach in that time.
    maxRequests: Math.ceil(durationSec * 200_000),
  });
  const writersOpts = (target: string, durationSec: number, rate: number, kind: 'vmap' | 'echo' = 'vmap'): WritersOptions => ({
    target,
    kind,
    // An offered rate needs one process per RATED_OPS_PER_PROC: more would only take CPU
    // from the server on a small machine. Closed loops use them all.
    procs: rate > 0 ? Math.min(s.procs, Math.ceil(rate / RATED_OPS_PER_PROC)) : s.procs,
    clients: s.clients,
    channelsPerProc: s.channelsPerProc,
    durationSec,
    maxOps: Math.ceil(durationSec * 200_000),
    rate,
    seed: s.seed,
  });
  /**
   * Writers and a flood over the same seconds: the flood starts once every
   * writer process is connected. The side being measured (`measured`) runs
   * for its duration; the other runs one second longer, so the measured
   * window never has a tail without the other load (autocannon stops on a
   * one-second tick).
   */
  const together = async (w: WritersOptions, f: FloodOptions, measured: 'writers' | 'flood'): Promise<{ writers: WritersResult; flood: FloodResult }> => {
    let flood: Promise<FloodResult> | undefined;
    const wo = measured === 'flood' ? { ...w, durationSec: w.durationSec + 1 } : w;
    const fo = measured === 'writers' ? { ...f, durationSec: f.durationSec + 1 } : f;
    const writers = await runWriters({ ...wo, onReady: () => (flood = runFlood(fo)) });
    if (flood === undefined) throw new Error('the writers never started');
    return { writers, flood: await flood };
  };
  /** Runs `fn` while metering the CPU of the server `pid` and of the machine. */
  const metered = async <T>(pid: number, fn: () => Promise<T>): Promise<T & { cpu: CpuUse }> => {
    const stop = cpuMeter(pid);
    const value = await fn();
    return { ...value, cpu: stop() };
  };
  const withVmapd = async (mode: Mode, heap: boolean, fn: (v: ServerProcess) => Promise<void>): Promise<void> => {
    const v = await step(`start vmapd --read-mode ${mode}`, 1.5, () => startVmapd({ readMode: mode, extraArgs: vmapdArgs, maxOldSpaceMb: heap ? VMAPD_HEAP_MB : undefined }));
    if (!v) return;
    try {
      await fn(v);
    } finally {
      await stopServerProcess(v);
    }
  };
  const fill = async (v: ServerProcess, count: number, seed: number) => {
    const client = makeClient('vmap', v.grpc);
    try {
      await waitReady(client, 10000);
      return await prefill(client, count, seed);
    } finally {
      client.close();
    }
  };

  // Phases 2 and 4: per mode, one server with `areas` live areas.
  for (const mode of s.modes) {
    if (interrupted) break;
    await withVmapd(mode, false, async (v) => {
      const pf = await step(`${mode}: prefill ${s.areasUnderLoad} areas`, 1 + s.areasUnderLoad / PREFILL_RATE, () => fill(v, s.areasUnderLoad, s.seed));
      if (!pf) return;
      progress.log(`${mode}: prefilled ${pf.areas} areas in ${pf.ms} ms with ${pf.method}`);
      if (results.baselines.bodyBytes === 0) {
        const body = await (await fetch(`${v.httpUrl}/meminfo`)).text();
        results.baselines = { ...results.baselines, bodyBytes: Buffer.byteLength(body) };
      }
      const under = await step(`${mode}: /meminfo flood + writers at ${s.writeRate}/s`, measureWeight, async () => {
        await together(writersOpts(v.grpc, W + FRESH_WARMUP_SEC, s.writeRate), floodOpts(v.httpUrl, W + FRESH_WARMUP_SEC), 'flood');
        sampleLoad(`${mode} under load`);
        return metered(v.pid, () => together(writersOpts(v.grpc, D, s.writeRate), floodOpts(v.httpUrl, D), 'flood'));
      });
      if (under) {
        results.underLoad.push({ mode, areas: s.areasUnderLoad, prefill: pf, meminfo: under.flood, writers: under.writers, cpu: under.cpu });
        progress.log(`${mode} under write load: ${formatFlood(under.flood)}\n  writers: ${formatWriters(under.writers)}`);
      }
      const alone = await step(`${mode}: writers alone, closed loop`, measureWeight, async () => {
        await runWriters(writersOpts(v.grpc, W, 0));
        sampleLoad(`${mode} writers alone`);
        return metered(v.pid, async () => ({ writers: await runWriters(writersOpts(v.grpc, D, 0)) }));
      });
      if (alone) progress.log(`${mode} writers alone: ${formatWriters(alone.writers)}`);
      const flooded = await step(`${mode}: writers closed loop + /meminfo flood`, measureWeight, () => {
        sampleLoad(`${mode} writers with flood`);
        return metered(v.pid, () => together(writersOpts(v.grpc, D, 0), floodOpts(v.httpUrl, D), 'writers'));
      });
      if (flooded) progress.log(`${mode} writers with flood: ${formatWriters(flooded.writers)}`);
      if (alone && flooded) {
        results.isolation.push({ mode, areas: s.areasUnderLoad, alone: alone.writers, withFlood: flooded.writers, flood: flooded.flood, cpuAlone: alone.cpu, cpuWithFlood: flooded.cpu });
      }
    });
  }

  // Phase 3: per mode, one server grown through the sizes; no writers.
  for (const mode of s.modes) {
    if (interrupted) break;
    await withVmapd(mode, true, async (v) => {
      let have = 0;
      for (const n of s.sizes) {
        if (interrupted) break;
        const added = await step(`${mode}: grow to ${n} areas`, 0.5 + (n - have) / PREFILL_RATE, () => fill(v, n - have, s.seed + n));
        if (!added) break;
        // A big prefill leaves garbage and cold code behind (the first seconds after a
        // 1M-area fill run well below steady state): warm up longer after one.
        // And a fresh server needs a few more seconds before JIT and heap sizing settle.
        const warm = W + Math.min(5, (n - have) / 250_000) + (have === 0 ? FRESH_WARMUP_SEC : 0);
        have = n;
        const r = await step(`${mode}: /meminfo flood at ${n} areas`, measureWeight + warm - W, async () => {
          await runFlood(floodOpts(v.httpUrl, warm));
          sampleLoad(`${mode} scaling ${n}`);
          return metered(v.pid, async () => ({ meminfo: await runFlood(floodOpts(v.httpUrl, D)) }));
        });
        if (r) {
          results.scaling.push({ mode, areas: n, meminfo: r.meminfo, cpu: r.cpu });
          progress.log(`${mode} at ${n} areas: ${formatFlood(r.meminfo)}`);
        }
      }
    });
  }

  // Phase 1: the ceilings, with a body the size of the /meminfo just measured.
  if (!interrupted) {
    const bodyBytes = results.baselines.bodyBytes || 169;
    const b = await step('start baseline server', 1.5, () =>
      startServerProcess(join(LOADTEST_DIST, 'baseline-server.js'), ['--body-bytes', String(bodyBytes)], 'baseline listening'),
    );
    if (b) {
      try {
        const http = await step('baseline: bare fastify route', measureWeight, async () => {
          await runFlood(floodOpts(b.httpUrl, W + FRESH_WARMUP_SEC));
          sampleLoad('baseline http');
          return metered(b.pid, async () => ({ flood: await runFlood(floodOpts(b.httpUrl, D)) }));
        });
        if (http) progress.log(`bare route: ${formatFlood(http.flood)}`);
        const grpc = await step('baseline: grpc-js echo, closed loop', measureWeight, async () => {
          await runWriters(writersOpts(b.grpc, W, 0, 'echo'));
          sampleLoad('baseline grpc');
          return metered(b.pid, async () => ({ writers: await runWriters(writersOpts(b.grpc, D, 0, 'echo')) }));
        });
        if (grpc) progress.log(`echo closed loop: ${formatWriters(grpc.writers)}`);
        const grpcRated = await step(`baseline: grpc-js echo at ${s.writeRate}/s`, measureWeight, () => runWriters(writersOpts(b.grpc, D, s.writeRate, 'echo')));
        if (grpcRated) progress.log(`echo at ${s.writeRate}/s: ${formatWriters(grpcRated)}`);
        results.baselines = { bodyBytes, http: http?.flood, grpc: grpc?.writers, grpcRated, httpCpu: http?.cpu, grpcCpu: grpc?.cpu };
      } finally {
        await stopServerProcess(b);
      }
    }
  }
  progress.stop();
  if (interrupted) return;

  results.finishedAt = new Date().toISOString();
  results.targets = evaluateTargets(results);
  await writeOutputs(results, out);
}

/** Writes results.json, report.md and the chart to `out`, and the report's head to stdout. */
async function writeOutputs(results: CompareResults, out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  const chart = await renderChart(results);
  writeFileSync(join(out, 'chart.vl.json'), JSON.stringify(chart.spec, null, 2) + '\n');
  writeFileSync(join(out, 'chart.svg'), chart.svg);
  writeFileSync(join(out, 'chart.png'), chart.png);
  const report = renderReport(results, 'chart.png');
  writeFileSync(join(out, 'report.md'), report + '\n');
  const rel = relative(process.cwd(), out) || '.';
  process.stdout.write(`\n${report.split('## 1.')[0]}\nresults: ${rel}/report.md, results.json, chart.png, chart.svg\n`);
}

/** Re-renders report and chart from an existing results.json (after a change to the report code). */
async function rerender(dir: string): Promise<void> {
  const results = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as CompareResults;
  results.targets = evaluateTargets(results);
  await writeOutputs(results, dir);
}

const rerenderAt = process.argv.indexOf('--rerender');
const run = rerenderAt > 0 && process.argv[rerenderAt + 1] !== undefined ? rerender(process.argv[rerenderAt + 1]!) : main();
run.catch(async (err: unknown) => {
  process.stderr.write(`compare: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  stopAllWriters();
  await stopAllServers();
  process.exit(1);
});
