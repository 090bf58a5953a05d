/**
 * Phase 6, the reader threads: for each count of `--thread-counts`, vmapd in
 * snapshot mode with that many `--http-threads` (and `areasUnderLoad` live
 * areas) beside a bare fastify route on as many reusePort threads, each
 * flooded with no writers, then while writers at the offered rate write to
 * vmapd (the bare route's measurement too: the machine carries the same
 * writes either way). Skipped, with a line, for a vmapd build without
 * reader threads.
 */
import { formatFlood, runFlood } from '../meminfo-flood.js';
import { formatWriters } from '../writers.js';
import { threadsText } from '../lib/report-format.js';
import type { CompareSettings, ThreadsResult } from '../lib/results.js';
import type { ServerProcess } from '../lib/server-process.js';
import { DEFAULT_BODY_BYTES, FRESH_WARMUP_SEC, PREFILL_RATE, floodOptions, metered, together, writersOptions } from './loads.js';
import { measureWeight, type CompareRun } from './run.js';

/** Seconds phase 6 should take with settings `s`, for the progress bar. */
export function threadsSeconds(s: CompareSettings): number {
  if (s.httpThreads === null) return 0;
  const counts = s.threadCounts ?? [];
  return counts.length * (3 + s.areasUnderLoad / PREFILL_RATE + 4 * measureWeight(s) + 2 * FRESH_WARMUP_SEC);
}

/** Phase 6. */
export async function readerThreads(run: CompareRun): Promise<void> {
  const { s, results } = run;
  if (run.interrupted) return;
  if (s.httpThreads === null) {
    run.log('phase 6 skipped: this vmapd build has no --http-threads');
    return;
  }
  const D = s.durationSec;
  const W = s.warmupSec;
  const bodyBytes = results.baselines.bodyBytes || DEFAULT_BODY_BYTES;
  const record = (t: ThreadsResult): void => {
    results.threads?.push(t);
    run.log(`${t.server} on ${threadsText(t.threads)}, ${t.load === 'none' ? 'no writers' : 'writers'}: ${formatFlood(t.meminfo)}${t.writers ? `\n  writers: ${formatWriters(t.writers)}` : ''}`);
  };
  for (const n of s.threadCounts ?? []) {
    if (run.interrupted) break;
    await run.withVmapd(
      'snapshot',
      false,
      async (v) => {
        const pf = await run.step(`threads ${n}: prefill ${s.areasUnderLoad} areas`, 1 + s.areasUnderLoad / PREFILL_RATE, () => run.fill(v, s.areasUnderLoad, s.seed));
        if (!pf) return;
        await run.withBaseline(bodyBytes, n, async (b) => {
          // Each server flooded alone, then each flooded while the writers write to vmapd.
          for (const [server, target] of [['vmapd', v], ['bare', b]] as const) {
            if (run.interrupted) return;
            const quiet = await run.step(`threads ${n}: ${server} flood, no writers`, run.measureWeight + FRESH_WARMUP_SEC, async () => {
              await runFlood(floodOptions(s, target.httpUrl, W + FRESH_WARMUP_SEC));
              run.sampleLoad(`threads ${n} ${server}`);
              return metered(target.pid, async () => ({ meminfo: await runFlood(floodOptions(s, target.httpUrl, D)) }));
            });
            if (quiet) record({ server, threads: n, areas: s.areasUnderLoad, load: 'none', meminfo: quiet.meminfo, cpu: quiet.cpu });
          }
          for (const [server, target] of [['vmapd', v], ['bare', b]] as const) {
            if (run.interrupted) return;
            const loaded = await run.step(`threads ${n}: ${server} flood + writers at ${s.writeRate}/s`, run.measureWeight, () => underWrites(run, v, target));
            if (loaded) record({ server, threads: n, areas: s.areasUnderLoad, load: 'writers', meminfo: loaded.flood, writers: loaded.writers, cpu: loaded.cpu });
          }
        });
      },
      n,
    );
  }
}

/** `target` flooded while writers at the run's offered rate write to vmapd `v` (metered as the peer when it is not the target). */
async function underWrites(run: CompareRun, v: ServerProcess, target: ServerProcess) {
  const { s } = run;
  const writers = (sec: number) => writersOptions(s, v.grpc, sec, s.writeRate);
  const flood = (sec: number) => floodOptions(s, target.httpUrl, sec);
  await together(writers(s.warmupSec), flood(s.warmupSec), 'flood');
  run.sampleLoad(`threads ${target === v ? 'vmapd' : 'bare'} under writes`);
  return metered(target.pid, () => together(writers(s.durationSec), flood(s.durationSec), 'flood'), target === v ? undefined : v.pid);
}
