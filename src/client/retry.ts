/**
 * Which failures a VmapClient tries again, and how long it waits first.
 *
 * The rule, by what a repeated request does on the server:
 *
 * - `idempotent`: Find, MemInfo, ListAreas (before its first area arrives),
 *   Purge (a second purge returns what is left: the answer counts what the
 *   answering attempt purged), and Alloc / AllocBatch with a request id on
 *   every request (vmapd answers a repeated id with the area it already
 *   made, also after a restart, while the area is busy). Retried on
 *   UNAVAILABLE, DEADLINE_EXCEEDED (the attempt's own timeout; the call's
 *   deadline is never exceeded) and RESOURCE_EXHAUSTED from a busy server
 *   (`VMAP_ERR_BUSY`, refused before anything happened).
 * - `unsent-only`: Free, and an Alloc made without a request id. Retried
 *   only when the request provably never left this process (no connection
 *   to send it on: see `neverSent`). A free whose attempt may have reached
 *   vmapd (a deadline, a connection lost mid-call) is not sent again: if
 *   the first one was applied, the range may already hold a new area of the
 *   same owner, which a second free would free. The caller gets the error
 *   and decides (e.g. `find` the address).
 */
import { status } from '@grpc/grpc-js';
import { neverSent, type VmapClientError } from './errors.js';

/** How many attempts a call makes at most, and the backoff between them. */
export interface RetryPolicy {
  /** Attempts per call, the first included (1 = no retry). */
  readonly attempts: number;
  /** The backoff cap of the first retry, in ms; it doubles with each retry. */
  readonly baseDelayMs: number;
  /** The backoff cap never grows past this, in ms. */
  readonly maxDelayMs: number;
}

/** How safe it is to send a call's request again (see the module comment). */
export type Idempotence = 'idempotent' | 'unsent-only';

/** Whether a call of kind `idempotence` that failed with `err` may be tried again. */
export function retryable(err: VmapClientError, idempotence: Idempotence): boolean {
  if (neverSent(err)) return true;
  if (idempotence === 'unsent-only') return false;
  if (err.status === status.UNAVAILABLE || err.status === status.DEADLINE_EXCEEDED) return true;
  return err.status === status.RESOURCE_EXHAUSTED && err.vmapCode === 'VMAP_ERR_BUSY';
}

/**
 * The wait before retry number `retry` (0 for the first): "full jitter",
 * uniform in [0, min(maxDelayMs, baseDelayMs · 2^retry)), so clients that
 * failed together do not come back together.
 */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * cap);
}
