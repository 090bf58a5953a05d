/**
 * `GET /v1/events`: the live numbers as server-sent events. A client gets
 * first the last minutes of samples (`event: history`), then one `meminfo`
 * event per published generation, coalesced to at most one per tick (10 a
 * second), and one a second at least, so that the rates move while nothing
 * is written. A client that stops reading is sent nothing more while its
 * socket is full (the next event it gets is the state of then: nothing
 * queues up), and is dropped once it has read nothing for the stall timeout.
 */
import type { Logger } from 'pino';
import { renderSample, type ActivitySample } from '../service/activity-view.js';

/** Time between ticks: at most this many ms between a publish and its event. */
const TICK_MS = 100;
/** A sample is sent at least this often, written or not. */
const HEARTBEAT_MS = 1000;
/** History kept for a client that connects: one sample a second. */
const HISTORY_SAMPLES = 300;

/** What an event stream needs. */
export interface EventStreamOptions {
  /** The live numbers now; never waits. */
  readonly sample: () => ActivitySample;
  /** A client whose socket stays full this long is dropped (--stall-timeout-ms). */
  readonly stallTimeoutMs: number;
  readonly logger: Logger;
}

/** Where a client's events go: the response's body stream (a ServerResponse whose head is sent). */
export interface EventSink {
  /** false: the stream is full; 'drain' follows when it has room again. */
  write(text: string): boolean;
  end(): void;
  destroy(): void;
  on(event: 'drain' | 'close', listener: () => void): unknown;
}

/** The head of an event stream's response. */
export const EVENT_STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  // Proxies that buffer (nginx) would hold the events back.
  'x-accel-buffering': 'no',
} as const;

interface Client {
  readonly res: EventSink;
  lastGeneration: number;
  lastSentAt: number;
  /** Since when its socket has been full (a write was refused), or null. */
  fullSince: number | null;
}

/** The streams of one HTTP server (one thread), and the history they start with. */
export class EventStreams {
  private readonly clients = new Set<Client>();
  private readonly history: string[] = [];
  private readonly recorder: NodeJS.Timeout;
  private ticker: NodeJS.Timeout | undefined;
  private droppedCount = 0;
  private closed = false;

  constructor(private readonly options: EventStreamOptions) {
    this.record();
    this.recorder = setInterval(() => this.record(), HEARTBEAT_MS).unref();
  }

  /** Streams open now. */
  get open(): number {
    return this.clients.size;
  }

  /** Streams dropped so far because their client stopped reading. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Whether the streams were closed (the server is closing): add() then ends the sink at once. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Streams to `res` (its head sent): the history, then live events. */
  add(res: EventSink): void {
    if (this.closed) {
      res.end();
      return;
    }
    const now = Date.now();
    const client: Client = { res, lastGeneration: this.options.sample().generation, lastSentAt: now, fullSince: null };
    this.clients.add(client);
    res.on('close', () => this.clients.delete(client));
    res.on('drain', () => (client.fullSince = null));
    // The history ends with the numbers of now.
    const history = [...this.history, renderSample(this.options.sample())].join(',');
    this.write(client, `retry: 2000\n\nevent: history\ndata: [${history}]\n\n`, now);
    this.ticker ??= setInterval(() => this.tick(), TICK_MS);
  }

  /** Ends every stream and stops: the server is closing. */
  close(): void {
    this.closed = true;
    clearInterval(this.recorder);
    this.stopTicking();
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }

  private record(): void {
    this.history.push(renderSample(this.options.sample()));
    if (this.history.length > HISTORY_SAMPLES) this.history.shift();
  }

  private tick(): void {
    if (this.clients.size === 0) {
      this.stopTicking();
      return;
    }
    const now = Date.now();
    const sample = this.options.sample();
    let event: string | undefined;
    for (const c of this.clients) {
      if (c.fullSince !== null) {
        if (now - c.fullSince >= this.options.stallTimeoutMs) this.drop(c);
        continue;
      }
      if (sample.generation === c.lastGeneration && now - c.lastSentAt < HEARTBEAT_MS) continue;
      event ??= `id: ${sample.generation}\nevent: meminfo\ndata: ${renderSample(sample)}\n\n`;
      c.lastGeneration = sample.generation;
      this.write(c, event, now);
    }
  }

  private write(c: Client, text: string, now: number): void {
    c.lastSentAt = now;
    if (!c.res.write(text)) c.fullSince = now;
  }

  private drop(c: Client): void {
    this.droppedCount++;
    this.clients.delete(c);
    this.options.logger.info({ stallTimeoutMs: this.options.stallTimeoutMs }, 'event stream dropped: its client read nothing for the stall timeout');
    c.res.destroy();
  }

  private stopTicking(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
  }
}
