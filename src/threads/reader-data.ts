/**
 * What a reader thread starts with (ReaderSettings and ReaderData), made
 * from the pool's options and the shared memory every thread of the pool
 * reads: one place, so a warm thread given its settings ahead, a first start
 * and a restart give a thread exactly the same settings.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ReaderPoolOptions } from './reader-pool.js';
import type { ReaderData, ReaderSettings } from './protocol.js';

/** The pool's shared memory, as every reader thread maps it. */
export interface PoolBuffers {
  readonly meminfo: SharedArrayBuffer;
  readonly readiness: SharedArrayBuffer;
  readonly calls: SharedArrayBuffer;
  readonly activity: SharedArrayBuffer;
  readonly nudges: SharedArrayBuffer;
}

/** The options a thread's settings come from: the pool's, but for what only the writer's side uses. */
export type SettingsSource = Pick<
  ReaderPoolOptions,
  'host' | 'readMode' | 'geometry' | 'logLevel' | 'tokens' | 'protectReads' | 'rateLimit' | 'maxEventLoopDelayMs' | 'stallTimeoutMs' | 'tls' | 'listings' | 'testControls'
>;

/** The settings of thread `index`. */
export function readerSettings(o: SettingsSource, buffers: PoolBuffers, index: number): ReaderSettings {
  return {
    index,
    host: o.host,
    readMode: o.readMode,
    spaceBase: o.geometry.base,
    spaceSize: o.geometry.size,
    logLevel: o.logLevel,
    tokens: o.tokens,
    protectReads: o.protectReads,
    rateLimit: o.rateLimit,
    maxEventLoopDelayMs: o.maxEventLoopDelayMs,
    stallTimeoutMs: o.stallTimeoutMs,
    maxListings: o.listings.max,
    ...(o.tls === undefined ? {} : { tls: { cert: o.tls.cert, key: o.tls.key } }),
    meminfoBuffer: buffers.meminfo,
    readinessBuffer: buffers.readiness,
    callsBuffer: buffers.calls,
    listingsBuffer: o.listings.buffer,
    activityBuffer: buffers.activity,
    nudgeBuffer: buffers.nudges,
    testControls: o.testControls === true,
  };
}

/** The ReaderData of thread `index` of a pool of `threads`, listening on `port`, fed through `changes` (transferred to it; undefined: it has its stream already). */
export function readerData(o: SettingsSource & { readonly threads: number }, buffers: PoolBuffers, index: number, port: number, changes: MessagePort | undefined): ReaderData {
  return { ...readerSettings(o, buffers, index), port, reusePort: o.threads > 1, ...(changes === undefined ? {} : { changes }) };
}
