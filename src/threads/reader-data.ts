/**
 * What a reader thread starts with (ReaderData), made from the pool's
 * options and the shared memory every thread of the pool reads: one place,
 * so a first start and a restart give a thread exactly the same settings.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ReaderPoolOptions } from './reader-pool.js';
import type { ReaderData } from './protocol.js';

/** The pool's shared memory, as every reader thread maps it. */
export interface PoolBuffers {
  readonly meminfo: SharedArrayBuffer;
  readonly readiness: SharedArrayBuffer;
  readonly calls: SharedArrayBuffer;
  readonly activity: SharedArrayBuffer;
}

/** The ReaderData of thread `index`, listening on `port`, fed through `changes` (transferred to it; undefined: it has its stream already). */
export function readerData(o: ReaderPoolOptions, buffers: PoolBuffers, index: number, port: number, changes: MessagePort | undefined): ReaderData {
  return {
    index,
    host: o.host,
    port,
    reusePort: o.threads > 1,
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
    ...(changes === undefined ? {} : { changes }),
    testControls: o.testControls === true,
  };
}
