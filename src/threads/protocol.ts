/**
 * The messages between the writer thread and its HTTP reader threads: plain
 * data only (structured clone), every kind named here once. Reads never
 * cross: a reader thread answers /meminfo from the seqlock and listings from
 * its replica. What crosses is what the writer alone can do (writes, the
 * locked walk, the rate-limit count, the process-wide metrics), the change
 * stream, logs, and the thread's life cycle.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Identity } from '../auth/tokens.js';
import type { AllocInput } from '../service/alloc-input.js';
import type { AreaView, FreeView, PurgeView } from '../service/area-view.js';
import type { ReadMode } from '../service/read-modes.js';
import type { MeminfoRead } from '../service/snapshot.js';
import type { ErrorData } from '../vmap/errors.js';
import type { EncodedAreaList } from '../store/area-list-codec.js';
import type { EncodedChanges } from '../store/change-codec.js';

/** What a reader thread asks the writer to do, and what each answers. */
export interface WriterCalls {
  // `authorization` as the client sent it: a standby forwards the write to the leader, which identifies the caller itself.
  alloc: { args: { input: AllocInput; identity: Identity; authorization?: string }; result: AreaView };
  free: { args: { addr: bigint; identity: Identity; authorization?: string }; result: FreeView };
  purge: { args: { identity: Identity; authorization?: string }; result: PurgeView };
  /** `locked-walk`: the writer takes its mutex and walks the live list. */
  lockedMeminfo: { args: Record<string, never>; result: MeminfoRead };
  /** One HTTP write counted against `key` in the writer's one rate-limit table. */
  rateLimit: { args: { key: string; timeWindow: number; max: number }; result: { current: number; ttl: number } };
  /** Every thread's metrics summed, rendered in Prometheus text. */
  metrics: { args: Record<string, never>; result: { contentType: string; body: string } };
}

export type CallName = keyof WriterCalls;

/** A request of a reader thread, numbered for its reply. */
export type CallMessage = { [K in CallName]: { readonly type: 'call'; readonly id: number; readonly name: K; readonly args: WriterCalls[K]['args'] } }[CallName];

/** The writer's answer to call `id`: a result, or a VmapError as its plain data. */
export type ReplyMessage =
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly error: ErrorData };

/** A reader thread's serialized prom-client metrics (registry.getMetricsAsJSON()). */
export type MetricsJson = readonly object[];

/** Reader thread → writer, on the worker's parent port. */
export type ReaderMessage =
  | CallMessage
  /** One JSON log line of the reader's pino, for the writer's logger. */
  | { readonly type: 'log'; readonly line: string }
  /** The HTTP server listens on `port`. */
  | { readonly type: 'listening'; readonly port: number }
  /** It could not listen: the start fails with this. */
  | { readonly type: 'failed'; readonly error: string; readonly code?: string }
  /** The answer to collectMetrics `id`. */
  | { readonly type: 'metricsOf'; readonly id: number; readonly metrics: MetricsJson }
  /** Every connection is closed: the thread may be let go. */
  | { readonly type: 'closed' };

/** Writer → reader thread, on the worker's parent port. */
export type WriterMessage =
  | ReplyMessage
  | { readonly type: 'collectMetrics'; readonly id: number }
  /** Stop listening, finish the requests in flight, then say closed. */
  | { readonly type: 'close' }
  /** New change messages are queued on the change port: take them, a slice per turn. */
  | { readonly type: 'changesQueued' }
  /** Test-only (honoured when the thread was started with testControls): keep the event loop busy for `ms`. */
  | { readonly type: 'hold'; readonly ms: number };

/** Writer → reader thread, on the change port: the committed change stream. */
export type ChangeMessage =
  /** The whole list at `generation`: the start of a stream (encodeAreaList). */
  | { readonly type: 'reset'; readonly generation: number; readonly areas: EncodedAreaList }
  /**
   * Changes of the batch that made `generation`, as the store committed
   * them; a big batch comes in parts of CHANGES_PER_MESSAGE, `last` on the last.
   */
  | { readonly type: 'changes'; readonly generation: number; readonly changes: EncodedChanges; readonly last: boolean };

/**
 * Most changes in one message: a reader thread applies one message per turn
 * of its event loop, so an AllocBatch of 10,000 areas is taken in slices
 * between requests, never in one long stretch that reads would wait behind.
 */
export const CHANGES_PER_MESSAGE = 512;

/**
 * What a reader thread builds its server from: all it is started with but
 * where to listen and its change stream. A warm thread (reader-warmup.ts)
 * may be given these ahead, while the store is still read.
 */
export interface ReaderSettings {
  /** 0-based, stable across restarts of the same slot. */
  readonly index: number;
  readonly host: string;
  readonly readMode: ReadMode;
  readonly spaceBase: bigint;
  readonly spaceSize: bigint;
  readonly logLevel: string;
  /** The tokens file's text as the writer read it at start (null: vmapd runs open), and its path for messages. */
  readonly tokens: { readonly text: string; readonly source: string } | null;
  readonly protectReads: boolean;
  readonly rateLimit: number;
  readonly maxEventLoopDelayMs: number;
  readonly stallTimeoutMs: number;
  readonly maxListings: number;
  readonly tls?: { readonly cert: Uint8Array; readonly key: Uint8Array };
  /** The published /meminfo (src/threads/publication.ts). */
  readonly meminfoBuffer: SharedArrayBuffer;
  /** The published readiness. */
  readonly readinessBuffer: SharedArrayBuffer;
  /** One Int32 per reader thread: its calls waiting for the writer (src/threads/writer-link.ts). */
  readonly callsBuffer: SharedArrayBuffer;
  /** The listing slots every thread shares (src/service/listings.ts). */
  readonly listingsBuffer: SharedArrayBuffer;
  /** The running counts of writes and reads (src/sync/activity-tally.ts). */
  readonly activityBuffer: SharedArrayBuffer;
  /** One Int32 per reader thread: whether the writer has nudged it since it last found its stream empty (src/threads/reader-memory.ts). */
  readonly nudgeBuffer: SharedArrayBuffer;
  /** Whether the test-only messages are honoured. */
  readonly testControls: boolean;
}

/** Where a reader thread listens, and its change stream: what it needs once its server is built. */
export interface ReaderListen {
  /** Port to listen on; 0 only for the first thread of a pool started on port 0. */
  readonly port: number;
  /** Whether to listen with SO_REUSEPORT (more than one thread on the port). */
  readonly reusePort: boolean;
  /** The change stream's receiving end (transferred); absent when the thread was given its stream ahead, while warm (reader-warmup.ts). */
  readonly changes?: MessagePort;
}

/** Everything a reader thread is started with (its workerData). */
export type ReaderData = ReaderSettings & ReaderListen;
