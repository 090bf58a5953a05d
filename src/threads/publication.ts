/**
 * What the writer publishes for the reader threads through shared memory,
 * each in a seqlock of its own (src/sync/seqlock.ts): the /meminfo of the
 * last committed batch, bodies rendered, and the readiness /readyz reports.
 * The writer publishes before it answers the batch's callers, so a client
 * that wrote and then reads on any thread sees its write; a reader never
 * waits for the writer, nor the writer for a reader.
 */
import { createSeqlock, openSeqlock, type ReaderStats, type SeqlockReader, type SeqlockRecord, type SeqlockWriter } from '../sync/seqlock.js';
import type { MemInfo } from '../vmap/meminfo.js';
import type { MeminfoRead } from '../service/snapshot.js';

/** Room for either /meminfo body: both are a few hundred bytes. */
const MEMINFO_BODY_CAPACITY = 4096;
/** Room for a readiness reason; a longer one is cut. */
const REASON_CAPACITY = 1024;

/** The MemInfo fields, in the order of the seqlock's counters. */
const FIELDS = ['total', 'used', 'chunk', 'lazy', 'nrAreas', 'nrLazyAreas'] as const satisfies readonly (keyof MemInfo)[];

function meminfoInput(read: MeminfoRead, publishedAt: number) {
  return { generation: read.generation, publishedAt, counters: FIELDS.map((f) => read.meminfo[f]), text: read.text, json: read.json };
}

/** The writer's side of the published /meminfo. */
export class MeminfoPublisher {
  readonly buffer: SharedArrayBuffer;
  private readonly writer: SeqlockWriter;

  constructor(initial: MeminfoRead, publishedAt: number) {
    const lock = createSeqlock({ counterCount: FIELDS.length, textCapacity: MEMINFO_BODY_CAPACITY, jsonCapacity: MEMINFO_BODY_CAPACITY, initial: meminfoInput(initial, publishedAt) });
    this.buffer = lock.buffer;
    this.writer = lock.writer;
  }

  publish(read: MeminfoRead, publishedAt: number): void {
    this.writer.publish(meminfoInput(read, publishedAt));
  }
}

/** A reader thread's side of the published /meminfo: one Atomics.load per read while nothing changed. */
export class PublishedMeminfo {
  private readonly reader: SeqlockReader;
  private record: SeqlockRecord | undefined;
  private current: MeminfoRead | undefined;

  constructor(buffer: SharedArrayBuffer) {
    this.reader = openSeqlock(buffer);
  }

  /** The last published /meminfo, whole. */
  read(): MeminfoRead {
    const record = this.reader.read();
    if (record === this.record && this.current !== undefined) return this.current;
    // Bodies as strings, decoded once per generation: Node's HTTP server
    // sends a string body with the headers in one write (see snapshot.ts).
    const meminfo = Object.fromEntries(FIELDS.map((f, i) => [f, record.counters[i] ?? 0])) as unknown as MemInfo;
    this.current = { generation: record.generation, meminfo, text: record.text.toString('utf8'), json: record.json.toString('utf8') };
    this.record = record;
    return this.current;
  }

  /** What this thread's seqlock reader did (copies, retries, stale reads), for metrics. */
  get stats(): Readonly<ReaderStats> {
    return this.reader.stats;
  }

  /** The generation of the last published /meminfo. */
  get generation(): number {
    return this.read().generation;
  }
}

/** The text: why not ready, or, when ready, what the node is (its role line; '' alone). */
function readinessInput(reason: string | null, role: string | null = null) {
  const text = Buffer.from(reason ?? role ?? '').subarray(0, REASON_CAPACITY).toString();
  return { generation: 0, publishedAt: 0, counters: [reason === null ? 1 : 0], text, json: '' };
}

/** The writer's side of the readiness: why writes would fail now, or null. */
export class ReadinessPublisher {
  readonly buffer: SharedArrayBuffer;
  private readonly writer: SeqlockWriter;

  constructor(reason: string | null, role: string | null = null) {
    const lock = createSeqlock({ counterCount: 1, textCapacity: REASON_CAPACITY, jsonCapacity: 0, initial: readinessInput(reason, role) });
    this.buffer = lock.buffer;
    this.writer = lock.writer;
  }

  /** Publishes why writes would fail now (null: ready) and, when ready, this node's role line. */
  publish(reason: string | null, role: string | null = null): void {
    this.writer.publish(readinessInput(reason, role));
  }
}

/** A reader thread's side of the readiness. */
export class PublishedReadiness {
  private readonly reader: SeqlockReader;

  constructor(buffer: SharedArrayBuffer) {
    this.reader = openSeqlock(buffer);
  }

  /** Why writes would fail now, or null when vmapd is ready. */
  reason(): string | null {
    const record = this.reader.read();
    return record.counters[0] === 1 ? null : record.text.toString('utf8');
  }

  /** While ready: the node's role line (null for a vmapd on its own, or while not ready). */
  role(): string | null {
    const record = this.reader.read();
    if (record.counters[0] !== 1) return null;
    const text = record.text.toString('utf8');
    return text === '' ? null : text;
  }
}
