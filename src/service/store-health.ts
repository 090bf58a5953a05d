import { Unavailable } from './errors.js';
import { StoreFailure } from '../store/errors.js';
import { messageOf } from '../vmap/errors.js';

/** First and longest wait before a full store is tried again. */
export const STORE_RETRY_MIN_MS = 100;
export const STORE_RETRY_MAX_MS = 5000;

/**
 * What the service knows of its store's health, from the commits it tried:
 * broken (a failed fsync: the files are not trusted until a restart), known
 * full (writes fail at once until the next try is due, with backoff), or
 * good. Drives readiness and the fail-fast path.
 */
export class StoreHealth {
  /** Set once the store failed in a way that makes its files untrustworthy. */
  private broken: string | null = null;
  /** Set while the last commit failed without harm (disk full): writes are tried again later. */
  private lastError: string | null = null;
  /** While the store is known to be full: writes fail at once until then (epoch ms). */
  private retryAt = 0;
  /** The current wait between tries of a full store; doubles per failure. */
  private backoffMs = 0;

  /** Why writes are not expected to succeed now, or null. */
  get problem(): string | null {
    return this.broken ?? this.lastError;
  }

  /**
   * Refuses a write at once when the store is broken, or known full and not
   * yet due for another try.
   *
   * @throws Unavailable saying why (and when a full store is tried again)
   */
  check(now = Date.now()): void {
    const error = this.refusal(now);
    if (error !== null) throw error;
  }

  /** The error a write gets without trying the store, or null when it should try. */
  refusal(now = Date.now()): Unavailable | null {
    if (this.broken !== null) return new Unavailable(`writes are off until restart: ${this.broken}`);
    if (this.lastError !== null && now < this.retryAt) {
      return new Unavailable(`write not applied: ${this.lastError}; the store is tried again in ${this.retryAt - now} ms`);
    }
    return null;
  }

  /** A commit succeeded: the store is good again. */
  committed(): void {
    this.lastError = null;
    this.backoffMs = 0;
    this.retryAt = 0;
  }

  /** A commit failed with `error`: records what it means and returns what each write of the batch is told. */
  failed(error: unknown, now = Date.now()): Unavailable {
    const reason = messageOf(error);
    if (error instanceof StoreFailure && error.fatal) {
      this.broken = reason;
      // The commit may have reached the disk before its fsync failed: after a
      // restart the write may be there. A retry with the same request_id is safe.
      return new Unavailable(`write outcome unknown: ${reason}`);
    }
    if (error instanceof StoreFailure) {
      // Known full: refuse writes at once for a while instead of trying the
      // disk with each (each try costs a transaction); then try again,
      // waiting twice as long after every further failure.
      this.lastError = reason;
      this.backoffMs = Math.min(Math.max(this.backoffMs * 2, STORE_RETRY_MIN_MS), STORE_RETRY_MAX_MS);
      this.retryAt = now + this.backoffMs;
    }
    return new Unavailable(`${error instanceof StoreFailure && error.outcomeUnknown ? 'write outcome unknown' : 'write not applied'}: ${reason}`);
  }
}
