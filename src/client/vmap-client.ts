/**
 * VmapClient: vmapd's gRPC service as a library. Addresses and sizes as
 * bigint (sizes also as `'8k'`), safe retries with backoff under a total
 * deadline, tokens, TLS and mutual TLS, failover over several targets.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { AllocRequest } from '../grpc/generated/vmap/v1/AllocRequest.js';
import type { Area__Output } from '../grpc/generated/vmap/v1/Area.js';
import type { FreeResponse__Output } from '../grpc/generated/vmap/v1/FreeResponse.js';
import type { MemInfo__Output } from '../grpc/generated/vmap/v1/MemInfo.js';
import type { PurgeResponse__Output } from '../grpc/generated/vmap/v1/PurgeResponse.js';
import { encodeAllocBatch, type WireAllocRequest } from './alloc-batch-codec.js';
import { areaOf, type Area } from './area.js';
import { streamAttempt, unaryAttempt } from './attempt.js';
import { callMetadata, channelCredentials } from './credentials.js';
import { VmapClientError } from './errors.js';
import { checkMs, resolveOptions, type CallOptions, type ResolvedOptions, type VmapClientOptions } from './options.js';
import { freeResultOf, memInfoOf, purgeResultOf, type FreeResult, type MemInfo, type PurgeResult } from './results.js';
import type { Idempotence } from './retry.js';
import { runCall, type CallPlan } from './retrying-call.js';
import { addressValue, sizeValue, wireAddress, wireSize, type Address, type Size } from './sizes.js';
import { Targets } from './targets.js';

/** How to place one allocation, beyond its size. */
export interface AllocOptions {
  /** Alignment of the start address: 0 (a page) or a power of two. */
  readonly align?: Size;
  /** Lowest acceptable start address (default: the start of the space). */
  readonly vstart?: Address;
  /** End of the acceptable range (default: the end of the space). */
  readonly vend?: Address;
  /** Reserve no guard page after the area. */
  readonly noGuard?: boolean;
  /** Label shown in vmallocinfo. */
  readonly caller?: string;
  /**
   * Idempotency key: a retry with the same key returns the same area while
   * it is busy. Default: one generated for the call when it may be retried.
   */
  readonly requestId?: string;
}

/** One request of an allocBatch. */
export interface AllocSpec extends AllocOptions {
  readonly size: Size;
}

/** Which areas a listing walks. */
export interface ListOptions {
  /** First address (default: the start of the space). */
  readonly from?: Address;
  /** At most this many areas (default 0: all). */
  readonly limit?: number;
  /** Include lazily freed areas. */
  readonly includeLazy?: boolean;
}

/** Most requests one allocBatch takes (vmapd's limit). */
export const MAX_BATCH = 10000;

/** A client of vmapd's `vmap.v1.Vmap` service; `close()` it when done. */
export class VmapClient {
  private readonly options: ResolvedOptions;
  private readonly targets: Targets;

  /**
   * Checks `options` and makes a channel per target; nothing touches the
   * network until the first call.
   *
   * @throws VmapClientError INVALID_ARGUMENT naming the option at fault
   */
  constructor(options: VmapClientOptions) {
    this.options = resolveOptions(options);
    this.targets = new Targets(this.options.targets, channelCredentials(options.tls), options.channelOptions ?? {});
  }

  /**
   * Reserves the lowest range that fits `size` bytes (rounded up to pages,
   * plus a guard page unless `noGuard`). Retried as an idempotent call with
   * its request id.
   */
  async alloc(size: Size, options: AllocOptions = {}, call: CallOptions = {}): Promise<Area> {
    const retry = this.mayRetry(call);
    const req = allocRequest({ ...options, size }, '', retry);
    const idempotence: Idempotence = req.request_id === '' ? 'unsent-only' : 'idempotent';
    return areaOf(await this.unary<Area__Output>('Alloc', req, call, idempotence));
  }

  /**
   * Several allocations in one write, all or none, in order; at most
   * MAX_BATCH. Each request gets a request id (unless it has one or the call
   * is made once), so a retried batch returns the areas a first attempt made.
   */
  async allocBatch(requests: readonly AllocSpec[], call: CallOptions = {}): Promise<Area[]> {
    const retry = this.mayRetry(call);
    const reqs = requests.map((r, i) => wireAllocRequest(r, `requests[${i}].`, retry));
    const idempotence: Idempotence = reqs.every((r) => r.requestId !== '') ? 'idempotent' : 'unsent-only';
    // Encoded once, whatever the attempts; the reply arrives decoded (alloc-batch-codec.ts).
    return this.unary<Area[]>('AllocBatch', encodeAllocBatch(reqs), call, idempotence);
  }

  /** Lazily frees the area starting at `addr`. Retried only when no attempt reached a server (retry.ts). */
  async free(addr: Address, call: CallOptions = {}): Promise<FreeResult> {
    return freeResultOf(await this.unary<FreeResponse__Output>('Free', { addr: wireAddress(addr, 'addr') }, call, 'unsent-only'));
  }

  /** The busy area containing `addr` (NOT_FOUND if none). */
  async find(addr: Address, call: CallOptions = {}): Promise<Area> {
    return areaOf(await this.unary<Area__Output>('Find', { addr: wireAddress(addr, 'addr') }, call, 'idempotent'));
  }

  /** Returns every lazily freed area to free space; the answer counts what the answering attempt purged. */
  async purge(call: CallOptions = {}): Promise<PurgeResult> {
    return purgeResultOf(await this.unary<PurgeResponse__Output>('Purge', {}, call, 'idempotent'));
  }

  /** How full the space is. */
  async memInfo(call: CallOptions = {}): Promise<MemInfo> {
    return memInfoOf(await this.unary<MemInfo__Output>('MemInfo', {}, call, 'idempotent'));
  }

  /**
   * The areas in ascending address order, read as the loop asks for them
   * (vmapd sends no faster than they are read). Leaving the loop early
   * (`break`, a throw) cancels the stream. Opening it is retried like any
   * read until the first area arrives; a failure after that is thrown.
   * The whole listing must end within the call's deadline.
   */
  async *listAreas(options: ListOptions = {}, call: CallOptions = {}): AsyncGenerator<Area, void, undefined> {
    const limit = options.limit ?? 0;
    if (!Number.isInteger(limit) || limit < 0 || limit > 2 ** 32 - 1) throw VmapClientError.invalidArgument('limit', 'must be an integer from 0 to 4294967295');
    const req = { from_addr: wireAddress(options.from ?? 0n, 'from'), limit, include_lazy: options.includeLazy === true };
    const plan = this.plan(call, 'idempotent');
    let attempts = 0;
    // The attempt resolves with the open stream and its first area, so a
    // failure before any area is a failed attempt, retried like a unary call.
    const opened = await runCall(this.targets, { ...this.options, callTimeoutMs: this.deadlineOf(call) }, plan, (t, deadline) => {
      attempts++;
      const stream = streamAttempt(t.client, 'ListAreas', req, callMetadata(this.options.token), deadline);
      // The iterator takes the stream's errors; this keeps the CANCELLED of our own cancel from being unhandled.
      stream.on('error', () => undefined);
      const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Area__Output>;
      const cancel = (): void => stream.cancel();
      plan.signal?.addEventListener('abort', cancel, { once: true });
      return iterator.next().then(
        (first) => ({ stream, iterator, first, target: t.name, cancel }),
        (err: unknown) => {
          plan.signal?.removeEventListener('abort', cancel);
          stream.cancel();
          throw err;
        },
      );
    });
    try {
      for (let r = opened.first; r.done !== true; r = await opened.iterator.next()) yield areaOf(r.value);
    } catch (err) {
      throw VmapClientError.fromAttempt(err, opened.target, attempts);
    } finally {
      plan.signal?.removeEventListener('abort', opened.cancel);
      opened.stream.cancel();
    }
  }

  /** Waits until the current target's channel is connected, at most `timeoutMs` (load generators start the clock after it). */
  ready(timeoutMs: number): Promise<void> {
    const t = this.targets.pick();
    return new Promise((resolve, reject) => {
      t.client.waitForReady(Date.now() + checkMs(timeoutMs, 'timeoutMs'), (err) =>
        err ? reject(new VmapClientError({ status: grpc.status.UNAVAILABLE, details: err.message, target: t.name })) : resolve(),
      );
    });
  }

  /** Closes every channel, so none keeps the process alive. */
  close(): void {
    this.targets.close();
  }

  private mayRetry(call: CallOptions): boolean {
    return this.options.retry !== false && call.retry !== false;
  }

  private deadlineOf(call: CallOptions): number {
    return call.deadlineMs === undefined ? this.options.deadlineMs : checkMs(call.deadlineMs, 'deadlineMs');
  }

  private plan(call: CallOptions, idempotence: Idempotence): CallPlan {
    return { idempotence, deadline: Date.now() + this.deadlineOf(call), retry: this.mayRetry(call), signal: call.signal };
  }

  private unary<T>(name: string, request: object, call: CallOptions, idempotence: Idempotence): Promise<T> {
    const plan = this.plan(call, idempotence);
    return runCall(this.targets, this.options, plan, (t, deadline) => unaryAttempt<T>(t.client, name, request, callMetadata(this.options.token), deadline, plan.signal));
  }
}

/** allocRequest's fields as numbers or bigints, for encodeAllocBatch: checked alike, named alike. */
function wireAllocRequest(spec: AllocSpec, prefix: string, retry: boolean): WireAllocRequest {
  return {
    size: sizeValue(spec.size, `${prefix}size`),
    align: sizeValue(spec.align ?? 0, `${prefix}align`),
    vstart: addressValue(spec.vstart ?? 0, `${prefix}vstart`),
    vend: addressValue(spec.vend ?? 0, `${prefix}vend`),
    noGuard: spec.noGuard === true,
    caller: spec.caller ?? '',
    requestId: spec.requestId ?? (retry ? randomUUID() : ''),
  };
}

/**
 * The wire AllocRequest of `spec`, fields named with `prefix` when refused;
 * a request id generated when none is given and the call may be retried.
 */
function allocRequest(spec: AllocSpec, prefix: string, retry: boolean): AllocRequest {
  return {
    size: wireSize(spec.size, `${prefix}size`),
    align: wireSize(spec.align ?? 0n, `${prefix}align`),
    vstart: wireAddress(spec.vstart ?? 0n, `${prefix}vstart`),
    vend: wireAddress(spec.vend ?? 0n, `${prefix}vend`),
    no_guard: spec.noGuard === true,
    caller: spec.caller ?? '',
    request_id: spec.requestId ?? (retry ? randomUUID() : ''),
  };
}
