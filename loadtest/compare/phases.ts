/**
 * compare's phases, in the order they run (numbered as the report numbers
 * them): per read mode, /meminfo under write load and writer isolation
 * (phases 2 and 4) on one server, then /meminfo scaling with the number of
 * live areas (phase 3) on another; then the ceilings (phase 1), a bare
 * fastify route and a bare grpc-js echo, with a body the size of the
 * /meminfo just measured.
 */
import { join } from 'node:path';
import { formatFlood, runFlood } from '../meminfo-flood.js';
import { formatWriters, runWriters } from '../writers.js';
import { LOADTEST_DIST } from '../lib/paths.js';
import type { CompareSettings } from '../lib/results.js';
import { startServerProcess, stopServerProcess } from '../lib/server-process.js';
import { floodOptions, metered, together, writersOptions } from './loads.js';
import { measureWeight, type CompareRun } from './run.js';

/** Assumed prefill speed for the progress estimate, areas/s. */
const PREFILL_RATE = 30000;
/** Extra warm-up for the first measurement on a fresh server: its first seconds run a few percent slow. */
const FRESH_WARMUP_SEC = 3;
/** The baseline body when no /meminfo was measured (no vmapd step got that far): what /meminfo measured in the sample run. */
const DEFAULT_BODY_BYTES = 169;

/** Seconds the phases should take with settings `s`, for the progress bar. */
export function expectedSeconds(s: CompareSettings): number {
  const m = measureWeight(s);
  return (
    s.modes.length * (2 + s.areasUnderLoad / PREFILL_RATE + 3 * m) +
    s.modes.length * (2 + (s.sizes[s.sizes.length - 1] ?? 0) / PREFILL_RATE + s.sizes.length * m) +
    2 + 3 * m + 5
  );
}

/** Phases 2 and 4: per mode, one server with `areasUnderLoad` live areas; /meminfo under writers, then writers alone and flooded. */
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
  const b = await run.step('start baseline server', 1.5, () =>
    startServerProcess(join(LOADTEST_DIST, 'baseline-server.js'), ['--body-bytes', String(bodyBytes)], 'baseline listening'),
  );
  if (!b) return;
  try {
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
  } finally {
    await stopServerProcess(b);
  }
}
