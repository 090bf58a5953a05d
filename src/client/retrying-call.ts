/**
 * One call of a VmapClient: attempts on the current target, failover on
 * UNAVAILABLE, backoff with full jitter between retries, and a total
 * deadline that no attempt or wait runs past.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { VmapClientError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { backoffMs, retryable, type Idempotence } from './retry.js';
import type { Target, Targets } from './targets.js';

/** What one call is: how safe a retry is, its deadline, whether it may retry, its signal. */
export interface CallPlan {
  readonly idempotence: Idempotence;
  /** Epoch ms by which the call ends, retries included. */
  readonly deadline: number;
  /** False: one attempt only. */
  readonly retry: boolean;
  readonly signal?: AbortSignal | undefined;
}

/** The error of a call the caller aborted. */
function cancelled(attempts: number): VmapClientError {
  return new VmapClientError({ status: status.CANCELLED, details: 'cancelled by the caller', attempts });
}

/**
 * Runs `attempt` on the current target until it succeeds or a failure may
 * not be retried (retry.ts), the attempts run out, or the deadline would be
 * passed. Each attempt's own deadline is `callTimeoutMs`, cut to what is
 * left of the call's. A retry that moved to a target this call has not
 * tried yet goes at once; one on a target already tried waits its backoff.
 */
export async function runCall<T>(targets: Targets, options: ResolvedOptions, plan: CallPlan, attempt: (t: Target, deadline: number) => Promise<T>): Promise<T> {
  const policy = plan.retry ? options.retry : false;
  const maxAttempts = policy === false ? 1 : policy.attempts;
  const tried = new Set<number>();
  let retries = 0;
  for (let n = 1; ; n++) {
    if (plan.signal?.aborted) throw cancelled(n - 1);
    const t = targets.pick();
    tried.add(t.index);
    const now = Date.now();
    let err: VmapClientError;
    try {
      return await attempt(t, Math.min(now + options.callTimeoutMs, plan.deadline));
    } catch (e) {
      err = VmapClientError.fromAttempt(e, t.name, n);
    }
    if (err.status === status.UNAVAILABLE) targets.unavailable(t);
    if (plan.signal?.aborted) throw cancelled(n);
    if (n >= maxAttempts || policy === false || !retryable(err, plan.idempotence)) throw err;
    const next = targets.pick();
    const delay = tried.has(next.index) ? backoffMs(policy, retries++) : 0;
    // Waiting past the deadline only to fail there would hide the real error.
    if (Date.now() + delay >= plan.deadline) throw err;
    if (delay > 0) {
      try {
        await sleep(delay, undefined, plan.signal === undefined ? {} : { signal: plan.signal });
      } catch {
        throw cancelled(n);
      }
    }
  }
}
