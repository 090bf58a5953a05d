/**
 * compare's phases, in the order they run (numbered as the report numbers
 * them): per read mode, /meminfo under write load, writer isolation and
 * /meminfo while AllocBatch keeps the writer busy (phases 2, 4 and 5) on one
 * server, with the bare route under the same write load beside snapshot;
 * then /meminfo scaling with the number of live areas (phase 3) on another;
 * then the reader threads (phase 6, threads.ts); then /meminfo with pages
 * of the live map open (phase 7, pages.ts); then the ceilings (phase 1),
 * a bare fastify route and a bare grpc-js echo, with a body the size of the
 * /meminfo just measured.
 */
import { formatFlood, runFlood } from '../meminfo-flood.js';
import { formatWriters, runWriters } from '../writers.js';
import { phaseRan, type CompareSettings, type Mode, type PhaseName } from '../lib/results.js';
import type { ServerProcess } from '../lib/server-process.js';
import { DEFAULT_BODY_BYTES, FRESH_WARMUP_SEC, PREFILL_RATE, batchOptions, floodOptions, metered, together, writersOptions } from './loads.js';
import { measureWeight, type CompareRun } from './run.js';
import { pagesSeconds } from './pages.js';
import { threadsSeconds } from './threads.js';

/** Seconds the phases should take with settings `s`, for the progress bar. */
export function expectedSeconds(s: CompareSettings): number {
  const m = measureWeight(s);
  const bareUnderLoad = s.modes.includes('snapshot') ? 1.5 + m + FRESH_WARMUP_SEC : 0;
  const ran = (p: PhaseName, seconds: number): number => (phaseRan(s, p) ? seconds : 0);
  return (
    ran('load', s.modes.length * (2 + s.areasUnderLoad / PREFILL_RATE + 4 * m) + bareUnderLoad) +
    ran('scaling', s.modes.length * (2 + (s.sizes[s.sizes.length - 1] ?? 0) / PREFILL_RATE + s.sizes.length * m)) +
    ran('threads', threadsSeconds(s)) +
    ran('pages', pagesSeconds(s)) +
    ran('baselines', 2 + 3 * m) +
    5
  );
}

/**
 * Phase 2, beside snapshot: the bare route, on as many threads as vmapd's
 * HTTP, flooded while the same writers at the same offered rate write to
 * `v`, so the machine is as busy as it was for /meminfo.
 */
async function bareUnderSameLoad(run: CompareRun, v: ServerProcess): Promise<void> {
  const { s, results } = run;
  const threads = s.httpThreads ?? 0;
  const bodyBytes = results.baselines.bodyBytes || DEFAULT_BODY_BYTES;
  const flood = (url: string, sec: number) => floodOptions(s, url, sec);
  const writers = (sec: number) => writersOptions(s, v.grpc, sec, s.writeRate);
  await run.withBaseline(bodyBytes, threads, async (b) => {
    const r = await run.step(`bare route flood + writers at ${s.writeRate}/s against vmapd`, run.measureWeight + FRESH_WARMUP_SEC, async () => {
      await together(writers(s.warmupSec + FRESH_WARMUP_SEC), flood(b.httpUrl, s.warmupSec + FRESH_WARMUP_SEC), 'flood');
      run.sampleLoad('bare route under write load');
      return metered(b.pid, () => together(writers(s.durationSec), flood(b.httpUrl, s.durationSec), 'flood'), v.pid);
    });
    if (r) {
      results.bareUnderLoad = { threads, areas: s.areasUnderLoad, meminfo: r.flood, writers: r.writers, cpu: r.cpu };
      run.log(`bare route under the same write load: ${formatFlood(r.flood)}\n  writers: ${formatWriters(r.writers)}`);
    }
  });
}

/**
 * Phase 5, on `v` after phase 4: /meminfo flooded while AllocBatch calls,
 * back to back, keep the writer busy. The space grows by a batch per call.
 */
async function writerBusy(run: CompareRun, v: ServerProcess, mode: Mode): Promise<void> {
  const { s, results } = run;
  const flood = (sec: number) => floodOptions(s, v.httpUrl, sec);
  const batches = (sec: number) => batchOptions(s, v.grpc, sec);
  const r = await run.step(`${mode}: /meminfo flood + AllocBatch of ${s.batchAreas ?? 10000} back to back`, run.measureWeight, async () => {
    const warm = await together(batches(s.warmupSec), flood(s.warmupSec), 'flood');
    run.sampleLoad(`${mode} writer busy`);
    const m = await metered(v.pid, () => together(batches(s.durationSec), flood(s.durationSec), 'flood'));
    return { ...m, before: s.areasUnderLoad + warm.writers.allocs };
  });
  if (r) {
    results.writerBusy?.push({ mode, areasBefore: r.before, areasAfter: r.before + r.writers.allocs, meminfo: r.flood, batches: r.writers, cpu: r.cpu });
    run.log(`${mode} with AllocBatch back to back: ${formatFlood(r.flood)}\n  batches: ${formatWriters(r.writers)}`);
  }
}

/**
 * Phases 2, 4 and 5: per mode, one server with `areasUnderLoad` live areas;
 * /meminfo under writers (and, beside snapshot, the bare route under the
 * same writers), then writers alone and flooded, then /meminfo while
 * AllocBatch keeps the writer busy.
 */
export async function underLoadAndIsolation(run: CompareRun): Promise<void> {
  const { s, results } = run;
  const D = s.durationSec;
  const W = s.warmupSec;
  const flood = (url: string, sec: number) => floodOptions(s, url, sec);
  const writers = (target: string, sec: number, rate: number) => writersOptions(s, target, sec, rate);
  for (const mode of s.modes) {
    if (run.interrupted) break;
    await run.withVmapd(mode, false, async (v) => {
      const pf = await run.step(`${mode}: prefill ${s.areasUnderLoad} areas`, 1 + s.areasUnderLoad / PREFILL_RATE, () => run.fill(v, s.areasUnderLoad, s.seed));
      if (!pf) return;
      run.log(`${mode}: prefilled ${pf.areas} areas in ${pf.ms} ms with ${pf.method}`);
      if (results.baselines.bodyBytes === 0) {
        const body = await (await fetch(`${v.httpUrl}/meminfo`)).text();
        results.baselines = { ...results.baselines, bodyBytes: Buffer.byteLength(body) };
      }
      const under = await run.step(`${mode}: /meminfo flood + writers at ${s.writeRate}/s`, run.measureWeight, async () => {
        await together(writers(v.grpc, W + FRESH_WARMUP_SEC, s.writeRate), flood(v.httpUrl, W + FRESH_WARMUP_SEC), 'flood');
        run.sampleLoad(`${mode} under load`);
        return metered(v.pid, () => together(writers(v.grpc, D, s.writeRate), flood(v.httpUrl, D), 'flood'));
      });
      if (under) {
        results.underLoad.push({ mode, areas: s.areasUnderLoad, prefill: pf, meminfo: under.flood, writers: under.writers, cpu: under.cpu });
        run.log(`${mode} under write load: ${formatFlood(under.flood)}\n  writers: ${formatWriters(under.writers)}`);
      }
      if (mode === 'snapshot' && !run.interrupted) await bareUnderSameLoad(run, v);
      const alone = await run.step(`${mode}: writers alone, closed loop`, run.measureWeight, async () => {
        await runWriters(writers(v.grpc, W, 0));
        run.sampleLoad(`${mode} writers alone`);
        return metered(v.pid, async () => ({ writers: await runWriters(writers(v.grpc, D, 0)) }));
      });
      if (alone) run.log(`${mode} writers alone: ${formatWriters(alone.writers)}`);
      const flooded = await run.step(`${mode}: writers closed loop + /meminfo flood`, run.measureWeight, () => {
        run.sampleLoad(`${mode} writers with flood`);
        return metered(v.pid, () => together(writers(v.grpc, D, 0), flood(v.httpUrl, D), 'writers'));
      });
      if (flooded) run.log(`${mode} writers with flood: ${formatWriters(flooded.writers)}`);
      if (alone && flooded) {
        results.isolation.push({ mode, areas: s.areasUnderLoad, alone: alone.writers, withFlood: flooded.writers, flood: flooded.flood, cpuAlone: alone.cpu, cpuWithFlood: flooded.cpu });
      }
      // Last on this server: it grows the space by a batch per call.
      if (!run.interrupted) await writerBusy(run, v, mode);
    });
  }
}

/** Phase 3: per mode, one server grown through the sizes; /meminfo flooded at each, no writers. */
export async function scaling(run: CompareRun): Promise<void> {
  const { s, results } = run;
  const W = s.warmupSec;
  for (const mode of s.modes) {
    if (run.interrupted) break;
    await run.withVmapd(mode, true, async (v) => {
      let have = 0;
      for (const n of s.sizes) {
        if (run.interrupted) break;
        const added = await run.step(`${mode}: grow to ${n} areas`, 0.5 + (n - have) / PREFILL_RATE, () => run.fill(v, n - have, s.seed + n));
        if (!added) break;
        // A big prefill leaves garbage and cold code behind (the first seconds after a
        // 1M-area fill run well below steady state): warm up longer after one.
        // And a fresh server needs a few more seconds before JIT and heap sizing settle.
        const warm = W + Math.min(5, (n - have) / 250_000) + (have === 0 ? FRESH_WARMUP_SEC : 0);
        have = n;
        const r = await run.step(`${mode}: /meminfo flood at ${n} areas`, run.measureWeight + warm - W, async () => {
          await runFlood(floodOptions(s, v.httpUrl, warm));
          run.sampleLoad(`${mode} scaling ${n}`);
          return metered(v.pid, async () => ({ meminfo: await runFlood(floodOptions(s, v.httpUrl, s.durationSec)) }));
        });
        if (r) {
          results.scaling.push({ mode, areas: n, meminfo: r.meminfo, cpu: r.cpu });
          run.log(`${mode} at ${n} areas: ${formatFlood(r.meminfo)}`);
        }
      }
    });
  }
}

/** Phase 1: the ceilings, a bare fastify route and a bare grpc-js echo (closed loop and at the write rate). */
export async function baselines(run: CompareRun): Promise<void> {
  if (run.interrupted) return;
  const { s, results } = run;
  const D = s.durationSec;
  const W = s.warmupSec;
  const echo = (target: string, sec: number, rate: number) => writersOptions(s, target, sec, rate, 'echo');
  const bodyBytes = results.baselines.bodyBytes || DEFAULT_BODY_BYTES;
  // The route on the main thread, beside the echo, as in every run before reader threads.
  await run.withBaseline(bodyBytes, 0, async (b) => {
    const http = await run.step('baseline: bare fastify route', run.measureWeight, async () => {
      await runFlood(floodOptions(s, b.httpUrl, W + FRESH_WARMUP_SEC));
      run.sampleLoad('baseline http');
      return metered(b.pid, async () => ({ flood: await runFlood(floodOptions(s, b.httpUrl, D)) }));
    });
    if (http) run.log(`bare route: ${formatFlood(http.flood)}`);
    const grpc = await run.step('baseline: grpc-js echo, closed loop', run.measureWeight, async () => {
      await runWriters(echo(b.grpc, W, 0));
      run.sampleLoad('baseline grpc');
      return metered(b.pid, async () => ({ writers: await runWriters(echo(b.grpc, D, 0)) }));
    });
    if (grpc) run.log(`echo closed loop: ${formatWriters(grpc.writers)}`);
    const grpcRated = await run.step(`baseline: grpc-js echo at ${s.writeRate}/s`, run.measureWeight, () => runWriters(echo(b.grpc, D, s.writeRate)));
    if (grpcRated) run.log(`echo at ${s.writeRate}/s: ${formatWriters(grpcRated)}`);
    results.baselines = { bodyBytes, http: http?.flood, grpc: grpc?.writers, grpcRated, httpCpu: http?.cpu, grpcCpu: grpc?.cpu };
  });
}
