/**
 * One simulated page of vmapd's live map (page-clients.ts runs many): it
 * keeps one `GET /v1/events` stream open and reads every event, as the
 * page's EventSource does, and fetches `GET /v1/map` when it opens and
 * whenever an event shows a generation its last map did not have, at most
 * once a second and one request at a time. Every loop is bounded: a count
 * of maps and events, a bounded number of reconnects, a timeout per map.
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { recordMs, type LatencyHistogram } from './histogram.js';
import { messageOf } from '../../src/vmap/errors.js';

/** A page fetches the map again at most this often. */
const MAP_MIN_INTERVAL_MS = 1000;
/** A map request that takes longer than this counts as an error. */
const MAP_TIMEOUT_MS = 10_000;
/** An event stream that ends early is opened again after this (the stream's `retry:`), at most MAX_RECONNECTS times per page. */
const RECONNECT_DELAY_MS = 2000;
const MAX_RECONNECTS = 10;
/** vmapd sends at most 10 events a second per stream; this bounds a page's read loop well above that. */
const MAX_EVENTS_PER_SEC = 50;
/** Error messages kept as samples. */
const MAX_ERROR_SAMPLES = 5;

/** What every page of a run counts, together. */
export interface Tally {
  events: number;
  historyEvents: number;
  meminfoEvents: number;
  maps: number;
  mapBytes: number;
  reconnects: number;
  errors: number;
  readonly errorSamples: string[];
  readonly mapLatency: LatencyHistogram;
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
export class Page {
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
