#!/usr/bin/env node
/**
 * page-clients: open pages of vmapd's live map, simulated. Each page keeps
 * one `GET /v1/events` stream open and reads every event, as the page's
 * EventSource does; it fetches `GET /v1/map` (the whole space) when it opens,
 * and again whenever a `meminfo` event shows a generation the last map did
 * not have, at most once a second and one request at a time, reading each
 * reply whole. What a browser page asks of vmapd, without a browser's CPU.
 *
 * Bounded: every page stops at --duration (its stream aborted), reads at
 * most a count of events and maps, reconnects a bounded number of times, and
 * each map request has a timeout. Loopback only.
 *
 * Run alone it prints its figures; compare's phase 7 runs it as a child
 * process (lib/page-clients-process.ts), so the pages' JavaScript does not
 * share an event loop with autocannon's. One page is lib/simulated-page.ts.
 */
import { Command, Option } from 'commander';
import { intIn, isMain, secondsUpTo } from './lib/cli.js';
import { selfCores } from './lib/cpu.js';
import { newHistogram, summarize, type LatencySummary } from './lib/histogram.js';
import type { ChildMessage } from './lib/page-clients-process.js';
import { Page, type Tally } from './lib/simulated-page.js';
import { isLoopback } from './lib/target.js';
import { messageOf } from '../src/vmap/errors.js';

export { runPageClientsProcess, stopAllPageClients, type PageClientsProcess } from './lib/page-clients-process.js';

/** Buckets a simulated page asks /v1/map for: a strip about a screen wide. */
export const DEFAULT_MAP_BUCKETS = 1024;
/** What the pages do. */
export interface PageClientsOptions {
  /** vmapd's HTTP base URL, e.g. http://127.0.0.1:8080 (loopback only). */
  readonly url: string;
  readonly pages: number;
  /** Seconds every page stays open; each stops by itself then. */
  readonly durationSec: number;
  /** Buckets of each /v1/map request (default DEFAULT_MAP_BUCKETS). */
  readonly mapBuckets?: number;
  /** Called once every page has its history (or has failed to open). */
  readonly onReady?: (opened: number) => void;
  /** Aborting it stops every page before durationSec. */
  readonly signal?: AbortSignal;
}

/** What the pages measured. */
export interface PageClientsResult {
  readonly pages: number;
  readonly mapBuckets: number;
  /** Seconds from the first page opening to the last one stopping. */
  readonly durationSec: number;
  /** Pages whose first stream sent its history. */
  readonly opened: number;
  /** Events read, every kind. */
  readonly events: number;
  /** `history` events (one per stream opened). */
  readonly historyEvents: number;
  /** `meminfo` events. */
  readonly meminfoEvents: number;
  /** meminfo events per second per page. */
  readonly eventsPerSecPerPage: number;
  /** /v1/map replies read whole (2xx, JSON). */
  readonly maps: number;
  /** Bytes of the last map reply's body. */
  readonly mapBytes: number;
  /** From sending a map request to having its whole body, ms. */
  readonly mapLatency: LatencySummary;
  /** Streams opened again after ending early. */
  readonly reconnects: number;
  /** Failed map requests, failed or ended streams, unparseable events. */
  readonly errors: number;
  /** The first few error messages. */
  readonly errorSamples: readonly string[];
  /** Cores this process used (the pages' JavaScript). */
  readonly clientCores: number;
}

/** Opens `pages` pages against `url` for `durationSec` and resolves with what they measured. */
export async function runPages(options: PageClientsOptions): Promise<PageClientsResult> {
  const base = new URL(options.url);
  if (!isLoopback(base.hostname)) throw new Error(`refusing to open pages against ${base.hostname}: loopback only (127.0.0.1)`);
  const buckets = options.mapBuckets ?? DEFAULT_MAP_BUCKETS;
  const t: Tally = { events: 0, historyEvents: 0, meminfoEvents: 0, maps: 0, mapBytes: 0, reconnects: 0, errors: 0, errorSamples: [], mapLatency: newHistogram() };
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), options.durationSec * 1000);
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) stop.abort();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + options.durationSec * 1000;
  let pending = options.pages;
  let opened = 0;
  const onOpened = (ok: boolean): void => {
    if (ok) opened++;
    if (--pending === 0) options.onReady?.(opened);
  };
  try {
    await Promise.all(Array.from({ length: options.pages }, () => new Page(base, buckets, t, stop.signal, deadline).run(onOpened)));
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
  const durationSec = (performance.now() - t0) / 1000;
  return {
    pages: options.pages,
    mapBuckets: buckets,
    durationSec,
    opened,
    events: t.events,
    historyEvents: t.historyEvents,
    meminfoEvents: t.meminfoEvents,
    eventsPerSecPerPage: options.pages === 0 ? 0 : t.meminfoEvents / durationSec / options.pages,
    maps: t.maps,
    mapBytes: t.mapBytes,
    mapLatency: summarize(t.mapLatency),
    reconnects: t.reconnects,
    errors: t.errors,
    errorSamples: t.errorSamples,
    clientCores: selfCores(cpu0, durationSec),
  };
}

/** One line for a terminal. */
export function formatPages(r: PageClientsResult): string {
  const l = r.mapLatency;
  return (
    `${r.pages} pages (${r.opened} opened) over ${r.durationSec.toFixed(2)}s: ${r.events} events (${r.meminfoEvents} meminfo, ${r.eventsPerSecPerPage.toFixed(1)}/s a page), ` +
    `${r.maps} maps of ${r.mapBuckets} buckets (${r.mapBytes} bytes), map latency ms p50 ${l.p50} p99 ${l.p99} max ${l.max}; ` +
    `reconnects ${r.reconnects}, errors ${r.errors}${r.errorSamples.length > 0 ? ` (${r.errorSamples.join('; ')})` : ''}; ${r.clientCores.toFixed(2)} cores`
  );
}

async function main(): Promise<void> {
  const o = new Command()
    .name('page-clients')
    .description('Open pages of the live map, simulated: each reads GET /v1/events and fetches GET /v1/map on new generations, at most once a second; loopback only, bounded by --duration.')
    .addOption(new Option('--url <url>', "vmapd's HTTP base URL (loopback)").default('http://127.0.0.1:8080'))
    .addOption(new Option('--pages <n>', 'open pages').default(10).argParser(intIn(1, 1000)))
    .addOption(new Option('-d, --duration <s>', 'seconds every page stays open (at most 3600)').default(10).argParser(secondsUpTo(3600)))
    .addOption(new Option('--buckets <n>', 'buckets of each /v1/map request').default(DEFAULT_MAP_BUCKETS).argParser(intIn(1, 4096)))
    .addOption(new Option('--json', 'print the result as JSON'))
    .addOption(new Option('--ipc', 'report to the parent process (compare) instead of stdout').hideHelp())
    .parse()
    .opts<{ url: string; pages: number; duration: number; buckets: number; json?: boolean; ipc?: boolean }>();
  const stop = new AbortController();
  // Sent before the channel is closed: wait for each message to leave.
  const send = (m: ChildMessage): Promise<void> => new Promise((resolve) => (process.send === undefined ? resolve() : process.send(m, undefined, {}, () => resolve())));
  if (o.ipc === true) {
    process.on('message', (m: { type?: string }) => m.type === 'stop' && stop.abort());
    // The parent gone: stop.
    process.on('disconnect', () => stop.abort());
  }
  try {
    const result = await runPages({
      url: o.url,
      pages: o.pages,
      durationSec: o.duration,
      mapBuckets: o.buckets,
      signal: stop.signal,
      onReady: (opened) => void (o.ipc === true ? send({ type: 'ready', opened }) : undefined),
    });
    if (o.ipc === true) await send({ type: 'done', result });
    else process.stdout.write((o.json === true ? JSON.stringify(result, null, 2) : formatPages(result)) + '\n');
  } catch (err) {
    if (o.ipc === true) await send({ type: 'failed', error: messageOf(err) });
    throw err;
  }
  if (o.ipc === true) process.disconnect();
}

if (isMain(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`page-clients: ${messageOf(err)}\n`);
    process.exit(1);
  });
}
