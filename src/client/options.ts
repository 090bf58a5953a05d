/**
 * How a VmapClient reaches vmapd and how patient it is: every option, its
 * default, and the one check that turns bad options into an error before
 * any channel exists.
 */
import type { ChannelOptions } from '@grpc/grpc-js';
import type { TlsOptions } from './credentials.js';
import { VmapClientError } from './errors.js';
import type { RetryPolicy } from './retry.js';

/** The options of `new VmapClient(options)`. */
export interface VmapClientOptions {
  /**
   * `host:port` of vmapd, or several (the nodes of one group, used as one):
   * calls stay on a target while it works and move to the next on
   * UNAVAILABLE, going round the list.
   */
  readonly targets: string | readonly string[];
  /** Sent as `authorization: Bearer <token>` on every call (printable ASCII); none when absent. */
  readonly token?: string;
  /**
   * TLS: `true` checks vmapd's certificate against the system's roots;
   * `{ ca }` against that CA; `{ ca, cert, key }` also presents a client
   * certificate (mutual TLS). Each PEM is a Buffer, PEM text, or a file path.
   * Plaintext when absent or false.
   */
  readonly tls?: boolean | TlsOptions;
  /** Deadline of each attempt, in ms (default 5000). */
  readonly callTimeoutMs?: number;
  /**
   * Deadline of each call, retries and backoff included, in ms (default
   * 30000). A listing must end within it too.
   */
  readonly deadlineMs?: number;
  /**
   * Retries of failed attempts (default: 5 attempts, 50 ms base delay,
   * 2000 ms cap, full jitter); `false`: one attempt per call, nothing
   * hidden (load generators measure what they send). See retry.ts for which
   * failures of which methods are retried.
   */
  readonly retry?: Partial<RetryPolicy> | false;
  /** Passed to every grpc-js channel as is (e.g. `grpc.max_receive_message_length`). */
  readonly channelOptions?: ChannelOptions;
}

/** What one call may change of the client's options. */
export interface CallOptions {
  /** This call's total deadline in ms, instead of the client's `deadlineMs`. */
  readonly deadlineMs?: number;
  /** `false`: make this call once (an alloc then carries no generated request id). */
  readonly retry?: boolean;
  /** Aborts the call: the attempt in flight is cancelled, a pending retry dropped (CANCELLED). */
  readonly signal?: AbortSignal;
}

/** The defaults of the optional options. */
export const DEFAULTS = { callTimeoutMs: 5000, deadlineMs: 30_000, retry: { attempts: 5, baseDelayMs: 50, maxDelayMs: 2000 } } as const;

/** Options with every default filled in and every value checked. */
export interface ResolvedOptions {
  readonly targets: readonly string[];
  readonly token: string | undefined;
  readonly callTimeoutMs: number;
  readonly deadlineMs: number;
  readonly retry: RetryPolicy | false;
}

/** Largest timer Node keeps (about 24.8 days). */
const MAX_MS = 2 ** 31 - 1;

/**
 * Checks a millisecond count option.
 *
 * @throws VmapClientError INVALID_ARGUMENT naming `field`
 */
export function checkMs(value: number, field: string, min = 1): number {
  if (!Number.isInteger(value) || value < min || value > MAX_MS) throw VmapClientError.invalidArgument(field, `must be an integer from ${min} to ${MAX_MS}`);
  return value;
}

/**
 * `o` with defaults filled in.
 *
 * @throws VmapClientError INVALID_ARGUMENT naming the option at fault
 */
export function resolveOptions(o: VmapClientOptions): ResolvedOptions {
  const targets = typeof o.targets === 'string' ? [o.targets] : [...o.targets];
  if (targets.length === 0) throw VmapClientError.invalidArgument('targets', 'must name at least one host:port');
  for (const t of targets) if (typeof t !== 'string' || t.trim() === '') throw VmapClientError.invalidArgument('targets', 'must be host:port');
  if (o.token !== undefined && !/^[\x21-\x7e]+$/.test(o.token)) throw VmapClientError.invalidArgument('token', 'must be printable ASCII without spaces');
  let retry: RetryPolicy | false = false;
  if (o.retry !== false) {
    const r = { ...DEFAULTS.retry, ...o.retry };
    retry = { attempts: checkMs(r.attempts, 'retry.attempts'), baseDelayMs: checkMs(r.baseDelayMs, 'retry.baseDelayMs', 0), maxDelayMs: checkMs(r.maxDelayMs, 'retry.maxDelayMs', 0) };
  }
  return {
    targets,
    token: o.token,
    callTimeoutMs: checkMs(o.callTimeoutMs ?? DEFAULTS.callTimeoutMs, 'callTimeoutMs'),
    deadlineMs: checkMs(o.deadlineMs ?? DEFAULTS.deadlineMs, 'deadlineMs'),
    retry,
  };
}
