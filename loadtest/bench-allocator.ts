/**
 * Allocator benchmark for the vmap model (src/vmap/space.ts).
 *
 * What it measures, for each live-area count N (default 1k, 10k, 100k, 1M) on
 * the default space (basePage 0xffffc90000000, 2^33 - 1 pages (32 TiB but the last, as VMALLOC_END leaves it), lazyMaxPages 16384):
 *
 * - prefill: N allocs of random sizes (1-64 pages, plus the guard page);
 * - steady state: each iteration frees a random live area (`space.free`) and
 *   allocs a new one (`space.alloc({ size })`), keeping exactly N areas live.
 *   Each alloc and each free counts as one operation. After a warm-up, the loop
 *   runs a fixed number of fixed-length time windows; it prints the overall
 *   ops/s (all operations over all windows, GC pauses included: the figure the
 *   targets use) and the median window with the min-max spread, plus the GC
 *   time spent inside the windows;
 * - `meminfo()` time per call (O(1) counters) and `walkMeminfo()` time per
 *   call (the O(n) walk) on the N-area space;
 * - heap bytes per live area: `global.gc()`, `heapUsed` before and after
 *   building the space, delta / N (also with typed-array backing stores,
 *   which `heapUsed` does not count), both after prefill and after the
 *   steady-state run;
 * - the same steady-state workload at 10k live areas on a naive sorted-array
 *   model (loadtest/lib/reference-space.ts, the one the property tests check
 *   VmapSpace against), for contrast;
 * - a cross-check that VmapSpace and the reference place every area at the same
 *   page under the same random workload (correctness of the comparison).
 *
 * Targets, printed with pass/MISS markers (a miss never fails the run):
 * >= 1,500,000 ops/s at 100k live areas; ops/s at 1M / ops/s at 1k >= 0.5;
 * meminfo() flat across sizes (slowest <= 2x fastest); <= 150 heap bytes per
 * live area at 1M; the space map (GET /v1/map's work, loadtest/bench/map-figures.ts) of
 * the whole space in 1,000 buckets at 1M areas < 50 ms. Then the service
 * part (loadtest/bench/service-figures.ts; --skip-service leaves it out):
 * AllocBatch of 10,000 end to end >= 300,000 allocs/s on the memory store and
 * >= 200,000 on SQLite, and recovery of 1M areas from SQLite < 1 s from spawn
 * to listening. Nothing is asserted on time; the exit status is non-zero
 * only if the cross-check finds a placement mismatch.
 *
 * The PRNG is seeded (loadtest/lib/random.ts), so the workload is
 * reproducible run to run. The timing is not: it is single-threaded
 * wall-clock time, so other processes on the machine skew it (the load
 * average is printed at the start and the end). At 1M live areas the run is
 * too short for fragmentation to settle (the free block count is still
 * growing at the end), so that figure is if anything optimistic.
 *
 * Run:
 *   npm run bench                                   # build, then the full run (~30 s)
 *   npm run bench -- --quick                        # short windows
 *   npm run bench -- --sizes 1000,10000 --json out.json
 *   node --expose-gc --import tsx loadtest/bench-allocator.ts   # without building
 * Options: --sizes N,N,...  --quick  --json FILE  --seed N
 *
 * `--kernel-tests [--mask N] [--loops N] [--nr-pages N] [--threads N]
 * [--repeat N] [--sequential] [--nr-cpus N]` runs the cases of the kernel's
 * lib/test_vmalloc.c on the model instead (loadtest/bench/kernel-tests.ts,
 * loadtest/kernel/), printing the kernel's Summary lines and ops/s per case.
 * Without --expose-gc the heap figures are skipped.
 *
 * The pieces are under loadtest/bench/: options, workloads, windows (the
 * steady-state measurement), runs (one size), cross-check, targets, tables
 * and lines (what is printed), json-report.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { crossCheck } from './bench/cross-check.js';
import { jsonReport } from './bench/json-report.js';
import { crossCheckLine, headerLines, meminfoLine, referenceLine } from './bench/lines.js';
import { benchMap } from './bench/map-figures.js';
import { runKernelBench } from './bench/kernel-tests.js';
import { GcMeter, collect } from './bench/memory.js';
import { USAGE, parseBenchOptions } from './bench/options.js';
import { REF_LIVE, benchReference, benchSize, type SizeResult } from './bench/runs.js';
import { consumed } from './bench/sink.js';
import { stopAllServers } from './lib/server-process.js';
import { benchService, serviceLines, serviceTargets, type ServiceFigures } from './bench/service-figures.js';
import { SIZE_LEGEND, fmtLive, sizeTable, targetTable } from './bench/tables.js';
import { summarize, targetsOf } from './bench/targets.js';

async function main(): Promise<void> {
  const opts = parseBenchOptions();
  if (opts.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (opts.kernel !== null) {
    process.exitCode = await runKernelBench(opts.kernel);
    return;
  }
  const gc = new GcMeter();
  const started = performance.now();
  for (const line of headerLines(opts)) console.log(line);

  const cc = crossCheck(opts.seed, opts.timing.crossCheckIters);
  console.log(crossCheckLine(cc));
  if (cc.mismatch !== null) process.exitCode = 1;
  console.log('');

  const results: SizeResult[] = [];
  for (const n of opts.sizes) {
    process.stderr.write(`  running ${fmtLive(n)} live areas...\n`);
    results.push(await benchSize(n, opts.seed + n, opts.timing, gc));
    collect();
  }
  console.log(sizeTable(results));
  console.log(SIZE_LEGEND);

  process.stderr.write(`  running the reference model at ${fmtLive(REF_LIVE)} live areas...\n`);
  const ref = await benchReference(REF_LIVE, opts.seed + REF_LIVE, opts.timing, gc);
  const summary = summarize(results, ref);
  console.log(referenceLine(ref, summary));
  console.log(meminfoLine(results, summary));

  // GET /v1/map's work on a replica of the largest size run.
  const mapLive = Math.max(...opts.sizes);
  process.stderr.write(`  timing the space map at ${fmtLive(mapLive)} areas...\n`);
  const map = benchMap(mapLive, opts.seed + 7);
  collect();
  console.log(
    `space map at ${fmtLive(map.live)} areas: whole space in 1,000 buckets ${map.wholeMedianMs.toFixed(2)} ms median (worst ${map.wholeMaxMs.toFixed(2)}) a generation after each write batch; ` +
      `first map after the replica filled ${map.coldMs.toFixed(0)} ms; the filled part in ${map.denseBuckets} buckets ${map.denseMedianMs.toFixed(2)} ms`,
  );

  let service: ServiceFigures | null = null;
  if (opts.service) {
    process.stderr.write('  timing AllocBatch end to end and recovery (vmapd on 127.0.0.1)...\n');
    try {
      service = await benchService(opts.quick);
    } finally {
      await stopAllServers();
    }
    for (const line of serviceLines(service)) console.log(line);
  }

  const targets = [...targetsOf(results, summary, map), ...(service === null ? [] : serviceTargets(service))];
  console.log('\ntargets:');
  console.log(targetTable(targets));
  const elapsedSeconds = (performance.now() - started) / 1000;
  console.log(`\ntotal ${elapsedSeconds.toFixed(1)} s; load average at end ${loadavg()[0]!.toFixed(2)}`);

  if (opts.json !== undefined) {
    writeFileSync(opts.json, jsonReport({ opts, crossCheck: cc, sizes: results, reference: ref, summary, map, service, targets, elapsedSeconds }));
    console.log(`figures written to ${opts.json}`);
  }
  gc.disconnect();
  // Read the sink once, so that nothing consumed can be optimized away.
  if (consumed() === -1) console.log('');
}

await main();
