import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MutexObserver } from '../sync/writer-mutex.js';

/** Kinds of write, as labelled in metrics and logs. */
export type WriteKind = 'alloc' | 'free' | 'purge';

const LATENCY_BUCKETS = [0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

/**
 * vmapd's Prometheus metrics, on a registry of their own (so several servers
 * can live in one process, as in the tests). Read paths touch only
 * pre-labelled counters: one increment per request.
 */
export class VmapMetrics implements MutexObserver {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  private readonly writes: Counter<'kind' | 'result'>;
  private readonly mutexWait: Histogram;
  private readonly mutexHold: Histogram;
  private readonly batchSize: Histogram;
  private readonly reads: Counter<'mode' | 'endpoint'>;

  /** @param snapshotInfo the current snapshot's generation and publication time (ms since the epoch) */
  constructor(snapshotInfo: () => { generation: number; publishedAt: number }) {
    const registers = [this.registry];
    this.writes = new Counter({ name: 'vmapd_writes_total', help: 'Writes answered, by kind and result', labelNames: ['kind', 'result'], registers });
    this.mutexWait = new Histogram({ name: 'vmapd_writer_mutex_wait_seconds', help: 'Time spent waiting for the writer mutex', buckets: LATENCY_BUCKETS, registers });
    this.mutexHold = new Histogram({ name: 'vmapd_writer_mutex_hold_seconds', help: 'Time the writer mutex was held', buckets: LATENCY_BUCKETS, registers });
    this.batchSize = new Histogram({ name: 'vmapd_write_batch_size', help: 'Writes applied per group commit', buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096], registers });
    this.reads = new Counter({ name: 'vmapd_reads_total', help: 'Meminfo reads served, by read mode and endpoint', labelNames: ['mode', 'endpoint'], registers });
    new Gauge({
      name: 'vmapd_snapshot_generation',
      help: 'Generation of the published snapshot',
      registers,
      collect() {
        this.set(snapshotInfo().generation);
      },
    });
    new Gauge({
      name: 'vmapd_snapshot_age_seconds',
      help: 'Seconds since the current snapshot was published',
      registers,
      collect() {
        this.set((Date.now() - snapshotInfo().publishedAt) / 1000);
      },
    });
  }

  /** Counts one answered write. */
  write(kind: WriteKind, result: string): void {
    this.writes.inc({ kind, result });
  }

  /** Records the size of one committed batch. */
  batch(size: number): void {
    this.batchSize.observe(size);
  }

  /** A counter to bump once per read served in `mode` through `endpoint`. */
  readCounter(mode: string, endpoint: string): { inc(): void } {
    return this.reads.labels({ mode, endpoint });
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
