/**
 * report.md from results.json: one table per phase, every figure followed by
 * its ratio to the baseline it is measured against, then the targets with
 * pass/miss and sentences read off this run's own figures (so the
 * explanation never disagrees with the tables).
 */
import { NOISE_CORES, otherCores } from './cpu.js';
import { explain } from './report-explain.js';
import { NOT_RUN, areas, cpuCell, cpuPerRequestUs, errorsOf, floodIssues, ms, rate, ratio, threadsText, us, withRatio } from './report-format.js';
import { pagesSection } from './report-pages.js';
import { threadsSection, writerBusySection } from './report-threads.js';
import { PHASE_NAMES, phaseRan, type CompareResults, type Mode, type PhaseName } from './results.js';
import type { TargetResult } from './targets.js';

/** Every measurement's "other" cores, for the noise note. */
function othersOf(r: CompareResults): number[] {
  const b = r.baselines;
  const all = [
    otherCores(b.httpCpu, b.http?.clientCores),
    otherCores(b.grpcCpu, b.grpc?.clientCores),
    ...r.underLoad.map((u) => otherCores(u.cpu, u.meminfo.clientCores + u.writers.clientCores)),
    ...r.scaling.map((x) => otherCores(x.cpu, x.meminfo.clientCores)),
    ...r.isolation.flatMap((x) => [otherCores(x.cpuAlone, x.alone.clientCores), otherCores(x.cpuWithFlood, x.withFlood.clientCores + x.flood.clientCores)]),
    ...(r.bareUnderLoad === undefined ? [] : [otherCores(r.bareUnderLoad.cpu, r.bareUnderLoad.meminfo.clientCores + r.bareUnderLoad.writers.clientCores)]),
    ...(r.writerBusy ?? []).map((x) => otherCores(x.cpu, x.meminfo.clientCores + x.batches.clientCores)),
    ...(r.threads ?? []).map((x) => otherCores(x.cpu, x.meminfo.clientCores + (x.writers?.clientCores ?? 0))),
    ...[r.pages?.noPages, r.pages?.withPages].flatMap((x, i) =>
      x === undefined ? [] : [otherCores(x.cpu, x.meminfo.clientCores + x.writers.clientCores + (i === 1 ? (r.pages?.clients?.clientCores ?? 0) : 0))],
    ),
  ];
  return all.filter((n): n is number => n !== undefined);
}

/** How vmapd ran: its arguments, HTTP reader threads included. */
function vmapdSetup(r: CompareResults): string {
  const s = r.settings;
  const args = [...s.vmapdArgs, ...(typeof s.httpThreads === 'number' ? ['--http-threads', String(s.httpThreads)] : [])];
  const how = args.length > 0 ? `with \`${args.join(' ')}\`` : 'with its defaults';
  const threads =
    s.httpThreads === undefined
      ? ' (a run from before reader threads: HTTP on the writer\'s event loop)'
      : s.httpThreads === null
        ? ' (this build has no --http-threads: HTTP on the writer\'s event loop)'
        : s.threadCounts !== undefined && s.threadCounts.length > 0 && phaseRan(s, 'threads')
          ? ` (phase 6: --http-threads ${s.threadCounts.join(', ')})`
          : '';
  return `vmapd ${how}${threads}, in a process of its own`;
}

/** One row of the targets table. */
function targetRow(t: TargetResult): string {
  const unit = t.unit ?? 'ratio';
  const goal = t.goal ?? 'at-least';
  const value = t.measured === null ? '–' : unit === 'ms' ? `${ms(t.measured)} ms` : t.measured.toFixed(2);
  const measured = t.detail === undefined ? value : `${value} (${t.detail})`;
  const suffix = unit === 'ms' ? ' ms' : '';
  const wanted = goal === 'none' || t.threshold === null ? '–' : `${goal === 'below' ? '<' : '≥'} ${t.threshold}${suffix}`;
  const verdict = t.measured === null ? 'not measured' : goal === 'none' ? 'reported (no goal)' : t.pass ? '**pass**' : '**miss**';
  const note = t.disturbed.length === 0 ? '' : ` ⚠ other work took the CPU during: ${t.disturbed.join('; ')}`;
  return `| ${t.issue ?? 5} | ${t.description} | ${measured} | ${wanted} | ${verdict}${note} |`;
}

/** The report, in Markdown; `chartFile` is the PNG beside it. */
export function renderReport(r: CompareResults, chartFile: string): string {
  const s = r.settings;
  const b = r.baselines;
  const http = b.http;
  const echo = b.grpc;
  const echoRated = b.grpcRated;
  const bareUs = cpuPerRequestUs(b.httpCpu, http?.reqPerSec);
  const modes: readonly Mode[] = s.modes;
  const out: string[] = [];
  const loads = r.machine.loadavg.map((l) => l.load1);
  const maxLoad = loads.length > 0 ? Math.max(...loads) : 0;
  const ratedProcs = r.underLoad[0]?.writers.procs ?? r.pages?.noPages?.writers.procs ?? r.pages?.withPages?.writers.procs ?? echoRated?.procs;

  out.push(`# vmapd load test: ${r.startedAt}`);
  out.push('');
  out.push(
    `${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memGiB} GiB, Node ${r.machine.node}, commit ${r.machine.gitCommit}. ` +
      `Each measurement ${s.durationSec} s after ${s.warmupSec} s of warm-up (longer after a large prefill); /meminfo flooded by autocannon with ${s.connections} connections, pipelining ${s.pipelining}; ` +
      `closed-loop writers: ${s.procs} processes, ${s.clients} concurrent calls, ${s.channelsPerProc} gRPC connection(s) per process; writers at an offered rate: ${ratedProcs ?? '–'} process(es). ` +
      `${vmapdSetup(r)}; all traffic on 127.0.0.1. ` +
      `Latencies in ms; in parentheses, the ratio to the baseline named in the column header.` +
      (s.quick ? ' **Quick run: short measurements, for a smoke test only.**' : '') +
      (s.phases === undefined || s.phases.length === PHASE_NAMES.length ? '' : ` **Phases run: ${s.phases.join(', ')}** (\`--phases\`); the others are empty.`),
  );
  out.push('');
  const others = othersOf(r);
  const busy = others.filter((n) => n > NOISE_CORES);
  out.push(
    `Other work on the machine (cores used by neither vmapd nor the load generators): ` +
      (others.length === 0
        ? 'not measured.'
        : busy.length === 0
          ? `at most ${Math.max(...others).toFixed(2)} cores in every measurement: a quiet machine.`
          : `up to ${Math.max(...busy).toFixed(2)} cores, above ${NOISE_CORES} in ${busy.length} of ${others.length} measurements — **the machine was shared: ` +
            `throughput figures are low and noisy there; CPU per request is the steadier figure.**`) +
      ` 1-minute load average (which counts this test's own processes): ${loads.length > 0 ? `${Math.min(...loads).toFixed(2)}–${maxLoad.toFixed(2)}` : '–'}.`,
  );
  out.push('');
  out.push(`![chart](${chartFile})`);
  out.push('');

  /** A section's title, then its lines, or one line saying that --phases left it out. */
  const section = (phase: PhaseName, title: string, body: () => void): void => {
    out.push(title);
    out.push('');
    if (phaseRan(s, phase)) body();
    else out.push(NOT_RUN, '');
  };

  out.push('## Targets');
  out.push('');
  out.push('| issue | target | measured | wanted | result |');
  out.push('|---|---|---|---|---|');
  for (const t of r.targets) out.push(targetRow(t));
  out.push('');

  section('baselines', '## 1. Baselines (the ceilings)', () => {
    out.push('| what | throughput | p50 | p99 | p99.9 | cores: server / load generators / other | server CPU per call, µs |');
    out.push('|---|---|---|---|---|---|---|');
    if (http) {
      out.push(
        `| bare fastify route, ${b.bodyBytes}-byte body | ${rate(http.reqPerSec)} req/s | ${ms(http.latency.p50)} | ${ms(http.latency.p99)} | ${ms(http.latency.p999)} | ${cpuCell(b.httpCpu, http.clientCores)} | ${us(bareUs)} |`,
      );
    }
    if (echo) {
      out.push(
        `| bare grpc-js unary Echo, closed loop | ${rate(echo.opsPerSec)} calls/s | ${ms(echo.latency.p50)} | ${ms(echo.latency.p99)} | ${ms(echo.latency.p999)} | ${cpuCell(b.grpcCpu, echo.clientCores)} | ${us(cpuPerRequestUs(b.grpcCpu, echo.opsPerSec))} |`,
      );
    }
    if (echoRated) {
      out.push(`| bare grpc-js unary Echo, offered ${rate(echoRated.rate)}/s | ${rate(echoRated.opsPerSec)} calls/s | ${ms(echoRated.latency.p50)} | ${ms(echoRated.latency.p99)} | ${ms(echoRated.latency.p999)} | – | – |`);
    }
    out.push('');
  });

  section('load', `## 2. Read modes under write load (${areas(s.areasUnderLoad)} live areas, writers offering ${rate(s.writeRate)} ops/s)`, () => {
    out.push(
      '| mode | /meminfo req/s (× bare route) | p50 (× bare) | p99 (× bare) | p99.9 (× bare) | writer ops/s (× echo at same rate) | writer p99 (× echo) | cores: vmapd / load generators / other | vmapd CPU per request, µs, writes included (× bare) |',
    );
    out.push('|---|---|---|---|---|---|---|---|---|');
    for (const mode of modes) {
      const u = r.underLoad.find((x) => x.mode === mode);
      if (!u) continue;
      const l = u.meminfo.latency;
      const perReq = cpuPerRequestUs(u.cpu, u.meminfo.reqPerSec);
      out.push(
        `| ${mode} | ${withRatio(rate(u.meminfo.reqPerSec), u.meminfo.reqPerSec, http?.reqPerSec)} | ${withRatio(ms(l.p50), l.p50, http?.latency.p50)} | ` +
          `${withRatio(ms(l.p99), l.p99, http?.latency.p99)} | ${withRatio(ms(l.p999), l.p999, http?.latency.p999)} | ` +
          `${withRatio(rate(u.writers.opsPerSec), u.writers.opsPerSec, echoRated?.opsPerSec)} | ${withRatio(ms(u.writers.latency.p99), u.writers.latency.p99, echoRated?.latency.p99)}` +
          `${errorsOf(u.writers)}${floodIssues(u.meminfo)} | ${cpuCell(u.cpu, u.meminfo.clientCores + u.writers.clientCores)} | ${withRatio(us(perReq), perReq, bareUs)} |`,
      );
    }
    const bl = r.bareUnderLoad;
    if (bl) {
      const l = bl.meminfo.latency;
      out.push(
        `| bare route on ${threadsText(bl.threads)}, same writers against vmapd (snapshot) | ${withRatio(rate(bl.meminfo.reqPerSec), bl.meminfo.reqPerSec, http?.reqPerSec)} | ` +
          `${withRatio(ms(l.p50), l.p50, http?.latency.p50)} | ${withRatio(ms(l.p99), l.p99, http?.latency.p99)} | ${withRatio(ms(l.p999), l.p999, http?.latency.p999)} | ` +
          `${withRatio(rate(bl.writers.opsPerSec), bl.writers.opsPerSec, echoRated?.opsPerSec)} | ${withRatio(ms(bl.writers.latency.p99), bl.writers.latency.p99, echoRated?.latency.p99)}` +
          `${errorsOf(bl.writers)}${floodIssues(bl.meminfo)} | ${cpuCell(bl.cpu, bl.meminfo.clientCores + bl.writers.clientCores)} | – |`,
      );
    }
    out.push('');
    const snapUnder = r.underLoad.find((x) => x.mode === 'snapshot');
    out.push(
      bl === undefined
        ? 'The bare route under the same write load: not measured in this run.'
        : `Under the same write load (the same writers at the same offered rate against vmapd, the bare route flooded instead of /meminfo), ` +
            `snapshot /meminfo reached ${ratio(snapUnder?.meminfo.reqPerSec, bl.meminfo.reqPerSec)} of the bare route's req/s and ${ratio(snapUnder?.meminfo.latency.p99, bl.meminfo.latency.p99)} of its p99. ` +
            `The bare route's cores cell counts the bare route's process as the server and names vmapd's cores after it.`,
    );
    out.push('');
    out.push(
      'Writer latency counts from when each operation was due at the offered rate, so a writer held up by readers shows as latency, not as missing samples. ' +
        `Cores: CPU time over wall time during the measurement, of the vmapd process, of the load generators (autocannon and the writer processes), and of everything else on the ${r.machine.cpus}-core machine. ` +
        'CPU per request: vmapd cores ÷ /meminfo req/s.',
    );
    out.push('');
  });

  section('scaling', '## 3. Scaling with the number of live areas (no writers)', () => {
    const sizes = s.sizes;
    const scalingRows = (cell: (x: CompareResults['scaling'][number]) => string): string[] =>
      modes.flatMap((mode) => {
        const row = sizes.map((n) => r.scaling.find((x) => x.mode === mode && x.areas === n));
        return row.every((x) => x === undefined) ? [] : [`| ${mode} | ${row.map((x) => (x ? cell(x) : '–')).join(' | ')} |`];
      });
    out.push(`| mode | ${sizes.map((n) => `${areas(n)} areas: req/s (× bare route)`).join(' | ')} | largest ÷ smallest |`);
    out.push(`|---|${sizes.map(() => '---').join('|')}|---|`);
    for (const mode of modes) {
      const row = sizes.map((n) => r.scaling.find((x) => x.mode === mode && x.areas === n));
      if (row.every((x) => x === undefined)) continue;
      const first = row[0]?.meminfo.reqPerSec;
      const last = row[row.length - 1]?.meminfo.reqPerSec;
      out.push(
        `| ${mode} | ${row.map((x) => (x ? withRatio(rate(x.meminfo.reqPerSec), x.meminfo.reqPerSec, http?.reqPerSec) + floodIssues(x.meminfo) : '–')).join(' | ')} | ${ratio(last, first)} |`,
      );
    }
    out.push('');
    out.push('p99 latency, ms (× bare route):');
    out.push('');
    out.push(`| mode | ${sizes.map((n) => areas(n)).join(' | ')} |`);
    out.push(`|---|${sizes.map(() => '---').join('|')}|`);
    out.push(...scalingRows((x) => withRatio(ms(x.meminfo.latency.p99), x.meminfo.latency.p99, http?.latency.p99)));
    out.push('');
    out.push('vmapd CPU per request, µs (× bare route), and cores: vmapd / load generator / other:');
    out.push('');
    out.push(`| mode | ${sizes.map((n) => areas(n)).join(' | ')} |`);
    out.push(`|---|${sizes.map(() => '---').join('|')}|`);
    out.push(
      ...scalingRows((x) => {
        const perReq = cpuPerRequestUs(x.cpu, x.meminfo.reqPerSec);
        return `${withRatio(us(perReq), perReq, bareUs)}, ${cpuCell(x.cpu, x.meminfo.clientCores)}`;
      }),
    );
    out.push('');
  });

  section('load', `## 4. Isolation: closed-loop writers with and without the /meminfo flood (${areas(s.areasUnderLoad)} live areas)`, () => {
    out.push(
      '| mode | writer ops/s alone (× echo) | with flood (× echo) | with ÷ alone | writer p99 alone (× echo) | with flood (× echo) | /meminfo req/s meanwhile (× bare route) | cores: vmapd / load generators / other, alone → with flood |',
    );
    out.push('|---|---|---|---|---|---|---|---|');
    for (const mode of modes) {
      const x = r.isolation.find((i) => i.mode === mode);
      if (!x) continue;
      out.push(
        `| ${mode} | ${withRatio(rate(x.alone.opsPerSec), x.alone.opsPerSec, echo?.opsPerSec)} | ${withRatio(rate(x.withFlood.opsPerSec), x.withFlood.opsPerSec, echo?.opsPerSec)} | ` +
          `${ratio(x.withFlood.opsPerSec, x.alone.opsPerSec)} | ${withRatio(ms(x.alone.latency.p99), x.alone.latency.p99, echo?.latency.p99)} | ` +
          `${withRatio(ms(x.withFlood.latency.p99), x.withFlood.latency.p99, echo?.latency.p99)} | ${withRatio(rate(x.flood.reqPerSec), x.flood.reqPerSec, http?.reqPerSec)}` +
          `${errorsOf(x.withFlood)}${floodIssues(x.flood)} | ${cpuCell(x.cpuAlone, x.alone.clientCores)} → ${cpuCell(x.cpuWithFlood, x.withFlood.clientCores + x.flood.clientCores)} |`,
      );
    }
    out.push('');
  });

  out.push(...writerBusySection(r));
  out.push(...threadsSection(r));
  out.push(...pagesSection(r));

  out.push('## What the figures say');
  out.push('');
  out.push(...explain(r));
  out.push('');
  if (r.failures.length > 0) {
    out.push('## Steps that failed');
    out.push('');
    for (const f of r.failures) out.push(`- ${f.step}: ${f.error}`);
    out.push('');
  }
  return out.join('\n');
}
