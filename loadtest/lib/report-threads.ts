/**
 * The report's sections for issue 11's phases: 5, /meminfo while AllocBatch
 * calls keep the writer busy, and 6, vmapd at different `--http-threads`
 * against a bare route on as many reusePort threads. Results from before
 * these phases existed get one "not measured" line each.
 */
import { NOT_RUN, areas, cpuCell, cpuPerRequestUs, errorsOf, floodIssues, ms, rate, ratio, threadsText, us, withRatio } from './report-format.js';
import { phaseRan, type CompareResults, type ThreadsResult } from './results.js';

/** Section 5's lines. */
export function writerBusySection(r: CompareResults): string[] {
  const s = r.settings;
  const http = r.baselines.http;
  const busy = r.writerBusy ?? [];
  const out: string[] = [];
  out.push(`## 5. /meminfo while AllocBatch calls of ${rate(s.batchAreas ?? 10000)} areas keep the writer busy (from ${areas(s.areasUnderLoad)} live areas)`);
  out.push('');
  if (busy.length === 0) {
    out.push(!phaseRan(s, 'load') ? NOT_RUN : r.writerBusy === undefined ? 'Not measured: a run from before this phase existed.' : 'Not measured in this run (see the steps that failed).');
    out.push('');
    return out;
  }
  out.push(
    '| mode | /meminfo req/s (× bare route) | p50 (× bare) | p99 (× bare) | p99.9 | max | AllocBatch/s (areas/s) | batch p50 / p99 | live areas, start → end | cores: vmapd / load generators / other | vmapd CPU per request, µs, writes included |',
  );
  out.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const mode of s.modes) {
    const x = busy.find((b) => b.mode === mode);
    if (!x) continue;
    const l = x.meminfo.latency;
    const bl = x.batches.latency;
    const perReq = cpuPerRequestUs(x.cpu, x.meminfo.reqPerSec);
    out.push(
      `| ${mode} | ${withRatio(rate(x.meminfo.reqPerSec), x.meminfo.reqPerSec, http?.reqPerSec)} | ${withRatio(ms(l.p50), l.p50, http?.latency.p50)} | ` +
        `${withRatio(ms(l.p99), l.p99, http?.latency.p99)} | ${ms(l.p999)} | ${ms(l.max)} | ` +
        `${x.batches.opsPerSec.toFixed(1)} (${rate(x.batches.opsPerSec * (x.batches.batch ?? 0))}) | ${ms(bl.p50)} / ${ms(bl.p99)}${errorsOf(x.batches)}${floodIssues(x.meminfo)} | ` +
        `${areas(x.areasBefore)} → ${areas(x.areasAfter)} | ${cpuCell(x.cpu, x.meminfo.clientCores + x.batches.clientCores)} | ${us(perReq)} |`,
    );
  }
  out.push('');
  out.push(
    'One client process calls AllocBatch back to back (the next call leaves as the last reply arrives), each call allocating that many one-page areas, ' +
      'kept: the space grows through the measurement. Each call holds the writer for the whole batch (apply, commit, publish) and sends every ' +
      "reader thread's replica the batch's changes in messages of 512, which that thread applies one per turn of its event loop, between reads. Batch latency is the client's, from call to reply.",
  );
  out.push('');
  return out;
}

/** Section 6's lines. */
export function threadsSection(r: CompareResults): string[] {
  const s = r.settings;
  const rows = r.threads ?? [];
  const out: string[] = [];
  out.push(`## 6. Reader threads: vmapd --http-threads against a bare route on as many reusePort threads (snapshot, ${areas(s.areasUnderLoad)} live areas)`);
  out.push('');
  if (rows.length === 0) {
    out.push(!phaseRan(s, 'threads') ? NOT_RUN : r.threads === undefined ? 'Not measured: a run from before this phase existed.' : 'Not measured in this run (see the steps that failed).');
    out.push('');
    return out;
  }
  const find = (server: ThreadsResult['server'], n: number, load: ThreadsResult['load']): ThreadsResult | undefined =>
    rows.find((x) => x.server === server && x.threads === n && x.load === load);
  const counts = [...new Set(rows.map((x) => x.threads))].sort((a, b) => a - b);
  out.push(
    `| server | no writers: /meminfo req/s (× bare route, same threads) | p99 (× bare) | cores: server / load generators / other | CPU per request, µs | ` +
      `writers at ${rate(s.writeRate)}/s: req/s (× bare route, same threads and writers) | p99 (× bare) | writer ops/s, p99 | cores |`,
  );
  out.push('|---|---|---|---|---|---|---|---|---|');
  for (const n of counts) {
    for (const server of ['vmapd', 'bare'] as const) {
      const q = find(server, n, 'none');
      const w = find(server, n, 'writers');
      if (!q && !w) continue;
      // vmapd's rows carry their ratio to the bare route of the same thread count; the bare route's rows are the bases.
      const vs = (text: string, value: number, base: (x: ThreadsResult) => number, other: ThreadsResult | undefined): string =>
        server === 'vmapd' ? withRatio(text, value, other === undefined ? undefined : base(other)) : text;
      const bq = find('bare', n, 'none');
      const bw = find('bare', n, 'writers');
      const name = server === 'vmapd' ? `vmapd --http-threads ${n}` : `bare route, ${threadsText(n)}`;
      const quiet = q
        ? `${vs(rate(q.meminfo.reqPerSec), q.meminfo.reqPerSec, (x) => x.meminfo.reqPerSec, bq)}${floodIssues(q.meminfo)} | ` +
          `${vs(ms(q.meminfo.latency.p99), q.meminfo.latency.p99, (x) => x.meminfo.latency.p99, bq)} | ${cpuCell(q.cpu, q.meminfo.clientCores)} | ${us(cpuPerRequestUs(q.cpu, q.meminfo.reqPerSec))}`
        : '– | – | – | –';
      const loaded = w
        ? `${vs(rate(w.meminfo.reqPerSec), w.meminfo.reqPerSec, (x) => x.meminfo.reqPerSec, bw)}${floodIssues(w.meminfo)} | ` +
          `${vs(ms(w.meminfo.latency.p99), w.meminfo.latency.p99, (x) => x.meminfo.latency.p99, bw)} | ` +
          `${w.writers ? `${rate(w.writers.opsPerSec)}, ${ms(w.writers.latency.p99)}${errorsOf(w.writers)}` : '–'} | ${cpuCell(w.cpu, w.meminfo.clientCores + (w.writers?.clientCores ?? 0))}`
        : '– | – | – | –';
      out.push(`| ${name} | ${quiet} | ${loaded} |`);
    }
  }
  out.push('');
  const lo = counts[0]!;
  const hi = counts[counts.length - 1]!;
  const vLo = find('vmapd', lo, 'none');
  const vHi = find('vmapd', hi, 'none');
  const bLo = find('bare', lo, 'none');
  const bHi = find('bare', hi, 'none');
  if (lo !== hi) {
    out.push(
      `From ${threadsText(lo)} to ${threadsText(hi)}, with no writers: vmapd ${ratio(vHi?.meminfo.reqPerSec, vLo?.meminfo.reqPerSec)}, ` +
        `the bare route ${ratio(bHi?.meminfo.reqPerSec, bLo?.meminfo.reqPerSec)}. On a ${r.machine.cpus}-core machine the flood (autocannon) and the server share the cores, ` +
        `so more threads than free cores cannot add throughput; the bare route shows what the machine allows.`,
    );
    out.push('');
  }
  return out;
}
