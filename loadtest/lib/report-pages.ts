/**
 * The report's section for phase 7: /meminfo flooded with no page of the
 * live map open and with simulated pages open, and what the pages read.
 * Results from before the phase existed get one "not measured" line.
 */
import { NOT_RUN, areas, cpuCell, cpuPerRequestUs, errorsOf, floodIssues, ms, rate, ratio, us, withRatio } from './report-format.js';
import { phaseRan, type CompareResults, type PagesMeasurement } from './results.js';

/** Section 7's lines. */
export function pagesSection(r: CompareResults): string[] {
  const s = r.settings;
  const p = r.pages;
  const pages = p?.pages ?? s.pages ?? 10;
  const out: string[] = [];
  out.push(`## 7. /meminfo with pages of the live map open (snapshot, ${areas(p?.areas ?? s.areasUnderLoad)} live areas, writers offering ${rate(s.writeRate)} ops/s)`);
  out.push('');
  if (p === undefined || (p.noPages === undefined && p.withPages === undefined)) {
    out.push(!phaseRan(s, 'pages') ? NOT_RUN : s.pages === undefined && p === undefined ? 'Not measured: a run from before this phase existed.' : 'Not measured in this run (see the steps that failed).');
    out.push('');
    return out;
  }
  const none = p.noPages;
  const c = p.clients;
  out.push(
    '| pages open | /meminfo req/s (× no page open) | p50 (× none) | p99 (× none) | p99.9 | max | writer ops/s, p99 | cores: vmapd / load generators / other | vmapd CPU per /meminfo request, µs, everything included (× none) |',
  );
  out.push('|---|---|---|---|---|---|---|---|---|');
  const row = (label: string, m: PagesMeasurement | undefined, pageCores: number): string => {
    if (m === undefined) return `| ${label} | – | – | – | – | – | – | – | – |`;
    const l = m.meminfo.latency;
    const perReq = cpuPerRequestUs(m.cpu, m.meminfo.reqPerSec);
    const nonePerReq = cpuPerRequestUs(none?.cpu, none?.meminfo.reqPerSec);
    return (
      `| ${label} | ${withRatio(rate(m.meminfo.reqPerSec), m.meminfo.reqPerSec, none?.meminfo.reqPerSec)}${floodIssues(m.meminfo)} | ` +
      `${withRatio(ms(l.p50), l.p50, none?.meminfo.latency.p50)} | ${withRatio(ms(l.p99), l.p99, none?.meminfo.latency.p99)} | ${ms(l.p999)} | ${ms(l.max)} | ` +
      `${rate(m.writers.opsPerSec)}, ${ms(m.writers.latency.p99)}${errorsOf(m.writers)} | ${cpuCell(m.cpu, m.meminfo.clientCores + m.writers.clientCores + pageCores)} | ${withRatio(us(perReq), perReq, nonePerReq)} |`
    );
  };
  out.push(row('none', none, 0));
  out.push(row(String(pages), p.withPages, c?.clientCores ?? 0));
  out.push('');
  if (c !== undefined) {
    const l = c.mapLatency;
    out.push(
      `The ${c.pages} pages (${c.opened} of them opened their event stream at once) stayed open for ${c.durationSec.toFixed(1)} s, the warm-up and the measurement: ` +
        `${rate(c.meminfoEvents)} meminfo events (${c.eventsPerSecPerPage.toFixed(1)} a second a page), ${rate(c.maps)} maps of ${c.mapBuckets} buckets ` +
        `(${rate(c.mapBytes)} bytes each; latency p50 ${ms(l.p50)} ms, p99 ${ms(l.p99)} ms, max ${ms(l.max)} ms), ` +
        `${c.reconnects} reconnects, ${c.errors} errors${c.errorSamples.length > 0 ? ` (${c.errorSamples.join('; ')})` : ''}; their process used ${c.clientCores.toFixed(2)} cores (counted with the load generators).`,
    );
    out.push('');
  }
  out.push(
    `Each page is simulated (\`page-clients.ts\`, one process for all): it keeps one \`/v1/events\` stream open and reads every event, and fetches \`/v1/map\` ` +
      `when it opens and again when a sample shows a new generation, at most once a second, as the page does. ` +
      `The same flood and writers run for the same seconds with no page open and then with ${pages} open; ` +
      `with pages open, /meminfo reached ${ratio(p.withPages?.meminfo.reqPerSec, none?.meminfo.reqPerSec)} of its req/s with none.`,
  );
  out.push('');
  return out;
}
