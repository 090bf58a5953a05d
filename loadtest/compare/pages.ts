/**
 * Phase 7, open pages of the live map: vmapd in snapshot mode (the run's
 * --http-threads) with `areasUnderLoad` live areas, writers at the run's
 * offered rate in every warm-up and measurement, and /meminfo flooded twice
 * for the same seconds: with no page open, then with `--pages` simulated
 * pages open (page-clients.ts, in a child process: each reads /v1/events
 * and fetches /v1/map on a new generation, at most once a second). Both are
 * served by the reader threads that answer /meminfo; the ratio of the two
 * req/s is the target.
 */
import { formatFlood } from '../meminfo-flood.js';
import { DEFAULT_MAP_BUCKETS, formatPages, runPageClientsProcess } from '../page-clients.js';
import { formatWriters } from '../writers.js';
import { ratio } from '../lib/report-format.js';
import type { CompareSettings, PagesResult } from '../lib/results.js';
import { FRESH_WARMUP_SEC, PREFILL_RATE, floodOptions, metered, together, writersOptions } from './loads.js';
import { measureWeight, type CompareRun } from './run.js';

/** Simulated pages when --pages is not given (and in results without the setting). */
export const DEFAULT_PAGES = 10;
/** Seconds allowed for the pages to open, on the progress bar. */
const OPEN_SEC = 1;
/** The pages stop by themselves this long after the warm-up and measurement they are open for, if nothing stopped them before. */
const PAGES_MARGIN_SEC = 30;

/** Seconds phase 7 should take with settings `s`, for the progress bar. */
export function pagesSeconds(s: CompareSettings): number {
  // Prefill, two measurements (the first on a fresh server), the pages opening, and the writers' extra second in each.
  return 1.5 + 1 + s.areasUnderLoad / PREFILL_RATE + 2 * measureWeight(s) + FRESH_WARMUP_SEC + OPEN_SEC + 2;
}

/** Phase 7. */
export async function pagesOpen(run: CompareRun): Promise<void> {
  if (run.interrupted) return;
  const { s, results } = run;
  const D = s.durationSec;
  const W = s.warmupSec;
  const pages = s.pages ?? DEFAULT_PAGES;
  const mapBuckets = DEFAULT_MAP_BUCKETS;
  await run.withVmapd('snapshot', false, async (v) => {
    const pf = await run.step(`pages: prefill ${s.areasUnderLoad} areas`, 1 + s.areasUnderLoad / PREFILL_RATE, () => run.fill(v, s.areasUnderLoad, s.seed));
    if (!pf) return;
    run.log(`pages: prefilled ${pf.areas} areas in ${pf.ms} ms with ${pf.method}`);
    const flood = (sec: number) => floodOptions(s, v.httpUrl, sec);
    const writers = (sec: number) => writersOptions(s, v.grpc, sec, s.writeRate);
    let result: PagesResult = { areas: s.areasUnderLoad, pages, mapBuckets };
    results.pages = result;

    // (a) No page open. The first measurement on a fresh server: a longer warm-up.
    const none = await run.step(`pages: /meminfo flood + writers at ${s.writeRate}/s, no page open`, run.measureWeight + FRESH_WARMUP_SEC + 1, async () => {
      await together(writers(W + FRESH_WARMUP_SEC), flood(W + FRESH_WARMUP_SEC), 'flood');
      run.sampleLoad('pages: none open');
      return metered(v.pid, () => together(writers(D), flood(D), 'flood'));
    });
    if (none) {
      result = { ...result, noPages: { meminfo: none.flood, writers: none.writers, cpu: none.cpu } };
      results.pages = result;
      run.log(`no page open: ${formatFlood(none.flood)}\n  writers: ${formatWriters(none.writers)}`);
    }
    if (run.interrupted) return;

    // (b) The pages open over the warm-up and the measurement, then stopped.
    const open = await run.step(`pages: /meminfo flood + writers at ${s.writeRate}/s, ${pages} pages open`, run.measureWeight + OPEN_SEC + 1, async () => {
      const clients = runPageClientsProcess({ url: v.httpUrl, pages, durationSec: W + D + PAGES_MARGIN_SEC, mapBuckets });
      try {
        const opened = await clients.ready;
        if (opened < pages) run.log(`pages: only ${opened} of ${pages} event streams opened at first`);
        await together(writers(W), flood(W), 'flood');
        run.sampleLoad(`pages: ${pages} open`);
        const m = await metered(v.pid, () => together(writers(D), flood(D), 'flood'));
        clients.stop();
        return { ...m, clients: await clients.done };
      } finally {
        clients.stop();
      }
    });
    if (open) {
      result = { ...result, withPages: { meminfo: open.flood, writers: open.writers, cpu: open.cpu }, clients: open.clients };
      results.pages = result;
      run.log(`${pages} pages open: ${formatFlood(open.flood)}\n  writers: ${formatWriters(open.writers)}\n  pages: ${formatPages(open.clients)}`);
    }
    if (result.noPages && result.withPages) {
      const a = result.withPages.meminfo.reqPerSec;
      const b = result.noPages.meminfo.reqPerSec;
      run.log(`/meminfo req/s with ${pages} pages open ÷ with none: ${ratio(a, b)} (${Math.round(a)} ÷ ${Math.round(b)}; target ≥ 0.95)`);
    }
  });
}
