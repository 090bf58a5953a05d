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
 * process (runPageClientsProcess), so the pages' JavaScript does not share
 * an event loop with autocannon's.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { intIn, isMain, secondsUpTo } from './lib/cli.js';
import { selfCores } from './lib/cpu.js';
import { newHistogram, recordMs, summarize, type LatencySummary } from './lib/histogram.js';
import { LOADTEST_DIST } from './lib/paths.js';
import { isLoopback } from './lib/target.js';
import { messageOf } from '../src/vmap/errors.js';

/** Buckets a simulated page asks /v1/map for: a strip about a screen wide. */
export const DEFAULT_MAP_BUCKETS = 1024;
/** A page fetches the map again at most this often. */
const MAP_MIN_INTERVAL_MS = 1000;
/** A map request that takes longer than this counts as an error. */
const MAP_TIMEOUT_MS = 10_000;
/** An event stream that ends early is opened again after this (the stream's `retry:`), at most MAX_RECONNECTS times per page. */
const RECONNECT_DELAY_MS = 2000;
const MAX_RECONNECTS = 10;
/** vmapd sends at most 10 events a second per stream; this bounds a page's read loop well above that. */
const MAX_EVENTS_PER_SEC = 50;
/** compare waits at most this long for every page to open. */
const READY_TIMEOUT_MS = 20_000;
/** Error messages kept as samples. */
const MAX_ERROR_SAMPLES = 5;

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

interface Tally {
  events: number;
  historyEvents: number;
  meminfoEvents: number;
  maps: number;
  mapBytes: number;
  reconnects: number;
  errors: number;
  readonly errorSamples: string[];
  readonly mapLatency: ReturnType<typeof newHistogram>;
}

function fail(t: Tally, what: string, err: unknown): void {
  t.errors++;
  if (t.errorSamples.length < MAX_ERROR_SAMPLES) t.errorSamples.push(`${what}: ${messageOf(err)}`);
}

/** The generation of a sample's JSON, or undefined. */
function generationOf(data: string): number | undefined {
  const v = (JSON.parse(data) as { generation?: unknown }).generation;
  return typeof v === 'number' ? v : undefined;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** One open page, until `signal` aborts. */
class Page {
  /** Generation of the last map read, or null before the first. */
  private mapGeneration: number | null = null;
  private lastMapAt = -Infinity;
  private inFlight: Promise<void> | null = null;
  private mapsLeft: number;

  constructor(
    private readonly base: URL,
    private readonly buckets: number,
    private readonly t: Tally,
    private readonly signal: AbortSignal,
    private readonly deadline: number,
  ) {
    this.mapsLeft = Math.ceil((deadline - performance.now()) / MAP_MIN_INTERVAL_MS) + 2;
  }

  /** Runs the page: the first map, then the stream (opened again if it ends early). */
  async run(onOpened: (ok: boolean) => void): Promise<void> {
    this.fetchMap();
    let reported = false;
    const opening = (ok: boolean): void => {
      if (!reported) onOpened(ok);
      reported = true;
    };
    for (let attempt = 0; attempt <= MAX_RECONNECTS && !this.signal.aborted; attempt++) {
      if (attempt > 0) {
        this.t.reconnects++;
        await sleep(RECONNECT_DELAY_MS, this.signal);
        if (this.signal.aborted) break;
      }
      try {
        await this.stream(() => opening(true));
      } catch (err) {
        if (!this.signal.aborted) fail(this.t, 'events', err);
      }
      // A page whose first stream failed counts as ready (not opened), or the caller would wait for it.
      opening(false);
      if (!this.signal.aborted && attempt === MAX_RECONNECTS) fail(this.t, 'events', new Error('gave up reconnecting'));
    }
    opening(false);
    await this.inFlight;
  }

  /** Reads one event stream until it ends or the signal aborts. */
  private async stream(onHistory: () => void): Promise<void> {
    const res = await fetch(new URL('/v1/events', this.base), { headers: { accept: 'text/event-stream' }, signal: this.signal });
    if (!res.ok || res.body === null) {
      await res.body?.cancel();
      throw new Error(`GET /v1/events: HTTP ${res.status}`);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
    const maxEvents = Math.ceil(((this.deadline - performance.now()) / 1000) * MAX_EVENTS_PER_SEC) + 10;
    try {
      for (let n = 0; n < maxEvents; n++) {
        const { done, value } = await reader.read();
        if (done) {
          if (!this.signal.aborted) throw new Error('GET /v1/events: the stream ended');
          return;
        }
        this.t.events++;
        try {
          if (value.event === 'history') {
            this.t.historyEvents++;
            const samples = JSON.parse(value.data) as { generation?: unknown }[];
            const last = samples[samples.length - 1]?.generation;
            onHistory();
            if (typeof last === 'number') this.sawGeneration(last);
          } else if (value.event === 'meminfo') {
            this.t.meminfoEvents++;
            const g = generationOf(value.data);
            if (g !== undefined) this.sawGeneration(g);
          }
        } catch (err) {
          fail(this.t, `event ${value.event ?? 'message'}`, err);
        }
      }
      throw new Error(`GET /v1/events: more than ${maxEvents} events`);
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  /** A sample of generation `g` arrived: the map again if it is older, at most once a second, one request at a time. */
  private sawGeneration(g: number): void {
    if (this.inFlight !== null || this.mapGeneration === g) return;
    if (performance.now() - this.lastMapAt < MAP_MIN_INTERVAL_MS) return;
    this.fetchMap();
  }

  private fetchMap(): void {
    if (this.signal.aborted || this.mapsLeft <= 0) return;
    this.mapsLeft--;
    const t0 = performance.now();
    this.lastMapAt = t0;
    const signal = AbortSignal.any([this.signal, AbortSignal.timeout(MAP_TIMEOUT_MS)]);
    this.inFlight = (async () => {
      try {
        const res = await fetch(new URL(`/v1/map?buckets=${this.buckets}`, this.base), { signal });
        const body = await res.text();
        if (!res.ok) throw new Error(`GET /v1/map: HTTP ${res.status}: ${body.slice(0, 200)}`);
        const map = JSON.parse(body) as { generation?: unknown };
        recordMs(this.t.mapLatency, performance.now() - t0);
        this.t.maps++;
        this.t.mapBytes = Buffer.byteLength(body);
        if (typeof map.generation === 'number') this.mapGeneration = map.generation;
      } catch (err) {
        // A request cut off by the end of the run is no error.
        if (!this.signal.aborted) fail(this.t, 'map', err);
      } finally {
        this.inFlight = null;
      }
    })();
  }
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

/** Messages between compare and a page-clients child process. */
type ChildMessage = { type: 'ready'; opened: number } | { type: 'done'; result: PageClientsResult } | { type: 'failed'; error: string };

/** Every page-clients process running, so an interrupted run can stop them by pid. */
const running = new Set<ChildProcess>();

/** Kills every page-clients process still running (SIGKILL by pid): for an interrupted run. */
export function stopAllPageClients(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }
  running.clear();
}

/** Pages running in a child process. */
export interface PageClientsProcess {
  /** Resolves once every page has its history (with how many do). */
  readonly ready: Promise<number>;
  /** Resolves with the figures once the pages stop. */
  readonly done: Promise<PageClientsResult>;
  /** Stops the pages now (they stop by themselves at durationSec). */
  stop(): void;
}

/**
 * Runs the pages in a child process of their own (this script, compiled),
 * killed by its pid if it has not reported within its duration and a margin.
 */
export function runPageClientsProcess(options: Omit<PageClientsOptions, 'onReady' | 'signal'>): PageClientsProcess {
  const args = ['--url', options.url, '--pages', String(options.pages), '--duration', String(options.durationSec), '--buckets', String(options.mapBuckets ?? DEFAULT_MAP_BUCKETS), '--ipc'];
  const child = fork(join(LOADTEST_DIST, 'page-clients.js'), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  running.add(child);
  const exited = once(child, 'exit');
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  const limitMs = options.durationSec * 1000 + 30_000;
  let onReady: (n: number) => void = () => undefined;
  let onFail: (err: Error) => void = () => undefined;
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`page clients: not every page open within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    onReady = (n) => {
      clearTimeout(timer);
      resolve(n);
    };
    onFail = (err) => {
      clearTimeout(timer);
      reject(err);
    };
  });
  // Handled here too: a failure after the caller stopped waiting for it is the done promise's to report.
  ready.catch(() => undefined);
  const done = new Promise<PageClientsResult>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`page-clients process ${child.pid} sent no result within ${limitMs} ms`)), limitMs);
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') onReady(m.opened);
      else if (m.type === 'done') resolve(m.result);
      else reject(new Error(`page clients: ${m.error}`));
    });
    void exited.then(([code, signal]) => reject(new Error(`page-clients process ${child.pid} exited (${signal ?? code}) without a result`)));
    // Whatever happened, the child is gone afterwards.
    void exited.finally(() => clearTimeout(timer));
  }).finally(async () => {
    kill();
    await exited;
    running.delete(child);
  });
  done.catch((err: Error) => onFail(err));
  return { ready, done, stop: () => child.connected && child.send({ type: 'stop' }) };
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
