import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MutexObserver } from '../sync/writer-mutex.js';
import { vmallocTotalBytes } from './meminfo-view.js';

/** Kinds of write, as labelled in metrics and logs. */
export type WriteKind = 'alloc' | 'free' | 'purge';

/**
 * What the gauges read from the published snapshot at scrape time (the
 * service's Snapshot has all of it): the space itself, never a copy kept here.
 */
export interface SnapshotGauges {
  readonly generation: number;
  /** ms since the epoch. */
  readonly publishedAt: number;
  /** Bytes and counts, as /meminfo prints them. */
  readonly meminfo: {
    readonly total: number;
    readonly used: number;
    readonly lazy: number;
    readonly chunk: number;
    readonly nrAreas: number;
    readonly nrLazyAreas: number;
  };
  /** Blocks of free space. */
  readonly freeBlocks: number;
}

const LATENCY_BUCKETS = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/**
 * What every thread that serves requests counts: writes by kind and result
 * (counted by each edge, once per request) and meminfo reads, on a registry
 * of their own. A reader thread has only these; the writer's VmapMetrics
 * adds the rest, and `/metrics` sums every thread's registry (see
 * src/threads/metrics-aggregation.ts). Read paths touch only pre-labelled
 * counters: one increment per request.
 */
export class EdgeCounters {
  /** The registry of this thread's metrics. */
  readonly registry = new Registry();
  private readonly writes: Counter<'kind' | 'result'>;
  private readonly reads: Counter<'mode' | 'endpoint'>;

  constructor() {
    const registers = [this.registry];
    this.writes = new Counter({ name: 'vmapd_writes_total', help: 'Writes answered, by kind and result', labelNames: ['kind', 'result'], registers });
    this.reads = new Counter({ name: 'vmapd_reads_total', help: 'Meminfo reads served, by read mode and endpoint', labelNames: ['mode', 'endpoint'], registers });
  }

  /**
   * Counts one answered write: `result` is 'ok' or the failure's name, as the
   * edge's error carries it (InvalidArgument, NoSuchArea, TooManyRequests, …).
   */
  write(kind: WriteKind, result: string): void {
    this.writes.inc({ kind, result });
  }

  /** Also told of every read counted: the shared tally behind the live charts' reads/s. */
  private readTally: (() => void) | undefined;

  /** A counter to bump once per read served in `mode` through `endpoint`. */
  readCounter(mode: string, endpoint: string): { inc(): void } {
    const counter = this.reads.labels({ mode, endpoint });
    return {
      inc: () => {
        counter.inc();
        this.readTally?.();
      },
    };
  }

  /** Tells `tally` of every read counted from now on, by any counter of readCounter. */
  tallyReads(tally: () => void): void {
    this.readTally = tally;
  }

  /** Counts, at each scrape, the /v1/events streams open now (`open`) and those dropped for not reading (`dropped`, a running total). */
  eventStreams(open: () => number, dropped: () => number): void {
    const registers = [this.registry];
    new Gauge({
      name: 'vmapd_event_streams',
      help: 'Open /v1/events streams',
      registers,
      collect() {
        this.set(open());
      },
    });
    let seen = 0;
    new Counter({
      name: 'vmapd_event_stream_drops_total',
      help: '/v1/events streams ended because their client stopped reading',
      registers,
      collect() {
        const now = dropped();
        this.inc(now - seen);
        seen = now;
      },
    });
  }

  /**
   * Counts, at each scrape, what this thread's reads of the published
   * /meminfo met (`stats`, running totals): retries when a publish raced a
   * copy, and stale answers when the writer stayed mid-publish too long.
   */
  seqlockReads(stats: () => { readonly retries: number; readonly stale: number }): void {
    const registers = [this.registry];
    let seen = { retries: 0, stale: 0 };
    const follow = (counter: Counter, key: 'retries' | 'stale'): void => {
      const now = stats()[key];
      counter.inc(now - seen[key]);
      seen = { ...seen, [key]: now };
    };
    new Counter({
      name: 'vmapd_seqlock_retries_total',
      help: 'Reads of the published /meminfo that found a publish in progress and tried again',
      registers,
      collect() {
        follow(this, 'retries');
      },
    });
    new Counter({
      name: 'vmapd_seqlock_stale_reads_total',
      help: 'Reads of the published /meminfo answered with the previous state because the writer stayed mid-publish',
      registers,
      collect() {
        follow(this, 'stale');
      },
    });
  }
}

/**
 * vmapd's Prometheus metrics on the writer thread (a registry of their own,
 * so several servers can live in one process, as in the tests): the edge
 * counters, the space as the current snapshot has it, the writer mutex, the
 * HTTP threads, and prom-client's process and Node metrics (process-wide
 * figures, so collected here only, never summed over threads).
 */
export class VmapMetrics extends EdgeCounters implements MutexObserver {
  private readonly mutexWait: Histogram;
  private readonly mutexHold: Histogram;
  private readonly batchSize: Histogram;
  private readonly threadRestarts: Counter;

  /** @param snapshot the current snapshot, read at each scrape */
  constructor(snapshot: () => SnapshotGauges) {
    super();
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters (promtool check metrics refuses them); the
    // same counts stay, by type, in nodejs_active_handles and friends.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
    this.mutexWait = new Histogram({ name: 'vmapd_writer_mutex_wait_seconds', help: 'Time spent waiting for the writer mutex', buckets: LATENCY_BUCKETS, registers });
    this.mutexHold = new Histogram({ name: 'vmapd_writer_mutex_hold_seconds', help: 'Time the writer mutex was held', buckets: LATENCY_BUCKETS, registers });
    this.batchSize = new Histogram({ name: 'vmapd_write_batch_size', help: 'Writes applied per group commit', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096], registers });
    this.threadRestarts = new Counter({ name: 'vmapd_http_thread_restarts_total', help: 'HTTP reader threads that died and were restarted', registers });
    new Gauge({
      name: 'vmapd_snapshot_generation',
      help: 'Generation of the published snapshot',
      registers,
      collect() {
        this.set(snapshot().generation);
      },
    });
    const space: [string, string, (s: SnapshotGauges) => number][] = [
      ['vmapd_space_bytes', 'Size of the address space as the kernel counts it (VMALLOC_END - VMALLOC_START: one byte short of --space-size)', (s) => vmallocTotalBytes(s.meminfo)],
      ['vmapd_used_bytes', 'Bytes reserved by busy areas, guard pages included', (s) => s.meminfo.used],
      ['vmapd_lazy_bytes', 'Bytes reserved by lazily freed areas awaiting purge', (s) => s.meminfo.lazy],
      ['vmapd_largest_free_chunk_bytes', 'Largest free block (VmallocChunk)', (s) => s.meminfo.chunk],
      ['vmapd_areas', 'Busy areas', (s) => s.meminfo.nrAreas],
      ['vmapd_lazy_areas', 'Lazily freed areas awaiting purge', (s) => s.meminfo.nrLazyAreas],
      ['vmapd_free_blocks', 'Blocks of free space (fragmentation)', (s) => s.freeBlocks],
    ];
    for (const [name, help, read] of space) {
      new Gauge({
        name,
        help: `${help}, in the published snapshot`,
        registers,
        collect() {
          this.set(read(snapshot()));
        },
      });
    }
    new Gauge({
      name: 'vmapd_snapshot_age_seconds',
      help: 'Seconds since the current snapshot was published',
      registers,
      collect() {
        this.set((Date.now() - snapshot().publishedAt) / 1000);
      },
    });
  }

  /** Records the size of one committed batch. */
  batch(size: number): void {
    this.batchSize.observe(size);
  }

  /** Reports, at each scrape, how many HTTP thread calls wait for the writer (`count`). */
  callsWaiting(count: () => number): void {
    new Gauge({
      name: 'vmapd_http_calls_waiting',
      help: 'Calls of the HTTP threads (writes, locked walks) waiting for the writer thread',
      registers: [this.registry],
      collect() {
        this.set(count());
      },
    });
  }

  /**
   * The gauges of a node in a group on one database: whether it leads, its
   * lease epoch, the log position it applied and how far it is behind,
   * read when scraped.
   */
  nodeStatus(read: () => { readonly leader: boolean; readonly epoch: number; readonly position: number; readonly lagBatches: number }): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, value: (s: ReturnType<typeof read>) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value(read()));
        },
      });
    };
    gauge('vmapd_node_leader', '1 while this node holds the lease and commits writes, 0 on a standby', (s) => (s.leader ? 1 : 0));
    gauge('vmapd_node_epoch', 'The lease epoch this node leads at, or the last one it saw', (s) => s.epoch);
    gauge('vmapd_log_position', 'The change-log position applied here (the published generation)', (s) => s.position);
    gauge('vmapd_log_lag_batches', 'Committed batches not yet applied here', (s) => s.lagBatches);
  }

  /** Counts one HTTP reader thread restarted after it died. */
  threadRestarted(): void {
    this.threadRestarts.inc();
  }

  /** @inheritdoc */
  waited(seconds: number): void {
    this.mutexWait.observe(seconds);
  }

  /** @inheritdoc */
  held(seconds: number): void {
    this.mutexHold.observe(seconds);
  }
}
