/**
 * The writer thread's HTTP reader threads: it starts them on one port
 * (SO_REUSEPORT when there are several), feeds each the committed change
 * stream, publishes /meminfo and readiness into shared memory for all of
 * them, answers their calls (writes, the locked walk, rate-limit counts,
 * metrics), writes their log lines, and restarts one that dies.
 */
import { once } from 'node:events';
import type { MessagePort, Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ListingSlots } from '../service/listings.js';
import { writesIn } from '../store/store.js';
import { GRPC_READS_SLOT, WRITES_SLOT } from '../sync/activity-tally.js';
import type { VmapMetrics } from '../service/metrics.js';
import type { ReadMode } from '../service/read-modes.js';
import type { VmapService } from '../service/vmap-service.js';
import type { SpaceGeometry } from '../vmap/geometry.js';
import type { ReaderData, ReaderMessage, WriterMessage } from './protocol.js';
import { ChangeMessages } from './change-messages.js';
import { readerData } from './reader-data.js';
import { relayLog } from './log-relay.js';
import { MetricsAggregation } from './metrics-aggregation.js';
import { probePort } from './port-probe.js';
import type { MeminfoPublisher, ReadinessPublisher } from './publication.js';
import { ReaderMemory } from './reader-memory.js';
import { RateLimitTable } from './rate-limit-store.js';
import { WriterEndpoint } from './writer-endpoint.js';
import { startReaderThread, type ReaderWarmup } from './reader-warmup.js';

/** A thread that dies sooner than this after its start is restarted only after this long (no crash loop at full speed). */
const RESTART_BACKOFF_MS = 1000;

/** What the pool is started with. */
export interface ReaderPoolOptions {
  readonly threads: number;
  readonly host: string;
  /** 0: any free port (the first thread picks it, the others join it). */
  readonly port: number;
  readonly readMode: ReadMode;
  readonly geometry: SpaceGeometry;
  readonly logLevel: string;
  readonly tokens: ReaderData['tokens'];
  readonly protectReads: boolean;
  readonly rateLimit: number;
  readonly maxEventLoopDelayMs: number;
  readonly stallTimeoutMs: number;
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Shared with the gRPC edge; reader thread i is holder i + 1. */
  readonly listings: ListingSlots;
  readonly service: VmapService;
  readonly metrics: VmapMetrics;
  readonly logger: Logger;
  /** Honour the test-only messages (hold). */
  readonly testControls?: boolean;
  /** Threads started ahead, taken before any new one is started. */
  readonly warmup?: ReaderWarmup;
  /** The pool's shared memory, when made ahead (the warm threads were given their settings on it); default: made here. */
  readonly memory?: ReaderMemory;
}

/** One reader thread slot: its worker of the moment and the writer's end of its change stream. */
interface Slot {
  readonly index: number;
  worker: Worker;
  changes: MessagePort;
  startedAt: number;
  /** Whether it listens (a thread still starting takes changes, but is not asked for metrics). */
  listening: boolean;
  /** Whether its worker has exited (a dead thread waiting for its restart). */
  exited: boolean;
}

/** What the pool needs the thread to say on start. */
type Started = { readonly port: number };

export class ReaderPool {
  private readonly slots: Slot[] = [];
  private readonly memory: ReaderMemory;
  private readonly meminfo: MeminfoPublisher;
  private readonly readiness: ReadinessPublisher;
  private readonly endpoint: WriterEndpoint;
  private readonly unsubscribe: (() => void)[] = [];
  private closing = false;
  private restartCount = 0;
  private readonly metricsAggregation: MetricsAggregation;
  /** The port every thread listens on (known once the first one listens). */
  private boundPort = 0;
  /** The change stream's messages, each encoded once for every thread. */
  private readonly feed = new ChangeMessages();

  private constructor(private readonly options: ReaderPoolOptions) {
    const { service } = options;
    const memory = options.memory ?? new ReaderMemory(options.threads);
    if (memory.threads !== options.threads) throw new RangeError(`reader memory for ${memory.threads} threads, not ${options.threads}`);
    this.memory = memory;
    // Writes counted here as they are published, gRPC reads by the writer's counters, HTTP reads by each thread.
    options.metrics.tallyReads(memory.activity.counter(GRPC_READS_SLOT));
    options.metrics.callsWaiting(() => this.callsWaiting);
    const s = service.snapshot();

    // Before any thread listens: the memory may have been made before the service.
    this.meminfo = memory.meminfo;
    this.meminfo.publish(s, s.publishedAt);
    this.readiness = memory.readiness;
    this.readiness.publish(service.notReadyReason, service.readiness.roleLine);
    this.metricsAggregation = new MetricsAggregation(options.metrics.registry);
    // This thread's metrics and every listening reader thread's, summed (the reads of all threads).
    const listening = () => this.slots.filter((s) => s.listening).map((slot) => ({ post: (m: WriterMessage) => slot.worker.postMessage(m) }));
    this.endpoint = new WriterEndpoint({ service, rateLimits: new RateLimitTable(), metrics: () => this.metricsAggregation.collect(listening()), logger: options.logger });
    // Changes first, then the seqlock: a reader that sees a generation finds its changes queued.
    this.unsubscribe.push(
      service.onPublish((snapshot, changes) => {
        for (const message of this.feed.changes(snapshot.generation, changes)) for (const slot of this.slots) slot.changes.postMessage(message);
        this.memory.activity.add(WRITES_SLOT, writesIn(changes));
        this.meminfo.publish(snapshot, snapshot.publishedAt);
        // The role line carries the log position: it moves with every batch.
        if (service.readiness.roleLine !== null) this.readiness.publish(service.notReadyReason, service.readiness.roleLine);
        // Only a thread not nudged since it last found its stream empty (reader-memory.ts).
        for (const slot of this.slots) if (Atomics.exchange(this.memory.nudges, slot.index, 1) === 0) slot.worker.postMessage({ type: 'changesQueued' } satisfies WriterMessage);
      }),
      service.readiness.onChange((reason) => this.readiness.publish(reason, service.readiness.roleLine)),
    );
  }

  /**
   * Starts `options.threads` reader threads and resolves once all listen.
   * With several on a fixed port, first checks that no other process holds
   * the port: SO_REUSEPORT would otherwise let two vmapds share it silently.
   *
   * @throws the first thread's listen error (EADDRINUSE, EACCES, …)
   */
  static async start(options: ReaderPoolOptions): Promise<ReaderPool> {
    if (!Number.isInteger(options.threads) || options.threads < 1) throw new RangeError(`http threads must be at least 1, got ${options.threads}`);
    const pool = new ReaderPool(options);
    try {
      if (options.threads > 1 && options.port !== 0) await probePort(options.host, options.port);
      pool.boundPort = (await pool.spawn(0, options.port)).port;
      await Promise.all(Array.from({ length: options.threads - 1 }, (_, i) => pool.spawn(i + 1, pool.boundPort)));
    } catch (err) {
      await pool.close(0);
      throw err;
    } finally {
      pool.feed.forget();
    }
    return pool;
  }

  /** The port the threads listen on. */
  get port(): number {
    return this.boundPort;
  }

  /** Reader threads that died and were restarted. */
  get restarts(): number {
    return this.restartCount;
  }

  /** Calls of the reader threads waiting for the writer now (writes, locked walks, counts). */
  get callsWaiting(): number {
    let n = 0;
    const { calls } = this.memory;
    for (let i = 0; i < calls.length; i++) n += Atomics.load(calls, i);
    return n;
  }

  /** The shared words behind callsWaiting (one per thread), for a test that watches them while this thread is stuck. */
  get callsBuffer(): SharedArrayBuffer {
    return this.memory.calls.buffer as SharedArrayBuffer;
  }

  /** Reader threads listening now. */
  get listening(): number {
    return this.slots.filter((s) => s.listening).length;
  }

  /** The threads' workers as they are now (a restart replaces one). For tests and diagnostics. */
  workers(): readonly Worker[] {
    return this.slots.map((s) => s.worker);
  }

  /** Test-only: keeps every reader thread's event loop busy for `ms` (with testControls). */
  hold(ms: number): void {
    for (const slot of this.slots) slot.worker.postMessage({ type: 'hold', ms } satisfies WriterMessage);
  }

  /** Publishes that vmapd no longer takes writes (before the service is told). */
  shuttingDown(): void {
    this.readiness.publish('shutting down');
  }

  /**
   * Stops every thread: each stops listening and finishes the requests it
   * has (its writes are still answered: the writer serves them meanwhile);
   * a thread not gone within `graceMs` is terminated.
   */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    for (const u of this.unsubscribe) u();
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.exited) return;
        const exited = once(slot.worker, 'exit');
        slot.worker.postMessage({ type: 'close' } satisfies WriterMessage);
        const timer = setTimeout(() => void slot.worker.terminate(), graceMs);
        await exited;
        clearTimeout(timer);
        slot.changes.close();
      }),
    );
    this.metricsAggregation.abandon();
  }

  /** Starts reader thread `index` on `port` (a new slot, or the slot's next worker). */
  private spawn(index: number, port: number): Promise<Started> {
    const o = this.options;
    const { buffers } = this.memory;
    // The stream starts with the whole list at the published generation;
    // every later batch follows on the same port, in order.
    const s = o.service.snapshot();
    const { worker, changes: port1 } = startReaderThread(o.warmup, index, s.generation, () => this.feed.reset(s), (changes) => readerData(o, buffers, index, port, changes));
    let slot = this.slots[index];
    if (slot === undefined) {
      slot = { index, worker, changes: port1, startedAt: Date.now(), listening: false, exited: false };
      this.slots[index] = slot;
    } else {
      slot.worker = worker;
      slot.changes.close();
      slot.changes = port1;
      slot.startedAt = Date.now();
      slot.listening = false;
      slot.exited = false;
    }
    const current = slot;
    return new Promise<Started>((resolve, reject) => {
      let started = false;
      worker.on('message', (m: ReaderMessage) => {
        switch (m.type) {
          case 'call':
            this.endpoint.serve(m, (reply) => worker.postMessage(reply satisfies WriterMessage));
            break;
          case 'log':
            relayLog(o.logger, m.line);
            break;
          case 'metricsOf':
            this.metricsAggregation.received(m.id, m.metrics);
            break;
          case 'listening':
            started = true;
            current.listening = true;
            resolve({ port: m.port });
            break;
          case 'failed':
            // The listen error as the thread met it: message and code (EADDRINUSE, EACCES, …).
            reject(Object.assign(new Error(m.error), m.code === undefined ? {} : { code: m.code }));
            break;
          case 'closed':
            current.listening = false;
            break;
        }
      });
      worker.on('error', (err) => {
        o.logger.error({ err, thread: index }, `HTTP thread ${index} failed`);
        if (!started) reject(err);
      });
      worker.on('exit', (code) => {
        if (current.worker !== worker) return;
        current.listening = false;
        current.exited = true;
        if (!started) reject(new Error(`HTTP thread ${index} exited with code ${code} before listening`));
        if (this.closing) return;
        this.restart(current, code);
      });
    });
  }

  /** Starts a new worker in the slot of one that died; keeps trying, with a pause, until one listens. */
  private restart(slot: Slot, code: number): void {
    const o = this.options;
    const reclaimed = o.listings.reclaim(slot.index + 1);
    // Its calls died with it (their clients' connections too); the next batch nudges the new thread.
    Atomics.store(this.memory.calls, slot.index, 0);
    Atomics.store(this.memory.nudges, slot.index, 0);
    this.restartCount++;
    o.metrics.threadRestarted();
    const lived = Date.now() - slot.startedAt;
    const delay = lived < RESTART_BACKOFF_MS ? RESTART_BACKOFF_MS : 0;
    o.logger.error({ thread: slot.index, code, livedMs: lived, listingSlotsReclaimed: reclaimed }, `HTTP thread ${slot.index} exited with code ${code}; restarting it`);
    setTimeout(() => {
      if (this.closing) return;
      const started = this.spawn(slot.index, this.boundPort);
      this.feed.forget();
      started.then(
        () => o.logger.info({ thread: slot.index }, `HTTP thread ${slot.index} restarted`),
        (err: unknown) => o.logger.error({ err, thread: slot.index }, `HTTP thread ${slot.index} did not restart`),
      );
    }, delay).unref();
  }

}
