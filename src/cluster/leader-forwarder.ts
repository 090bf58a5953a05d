/**
 * A standby's writes, sent to the leader's gRPC edge (its `--advertise`
 * address, from the lease row) and answered as the leader answered them:
 * the area it made, or its error with the same code, field and message
 * (the leader sends its error code as `vmap-error` trailing metadata). A
 * forwarded call carries `vmap-forwarded`, so a node that is no leader
 * either (its lease knowledge stale) refuses it rather than forwarding again.
 */
import * as grpc from '@grpc/grpc-js';
import type { AllocInput } from '../service/alloc-input.js';
import { areaViewOfMessage, type AreaView, type FreeView, type PurgeView } from '../service/area-view.js';
import type { CallContext } from '../service/call-context.js';
import { NoLeader, Unavailable } from '../service/errors.js';
import type { WriteForwarder } from '../service/write-forwarder.js';
import { errorFromData, type ErrorData } from '../vmap/errors.js';
import { VmapClient } from '../grpc/proto.js';
import { FORWARDED_METADATA } from '../grpc/call-context.js';

type AreaMessage = Parameters<typeof areaViewOfMessage>[0];
type Callback = (err: grpc.ServiceError | null, res?: unknown) => void;
type UnaryMethod = (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback) => grpc.ClientUnaryCall;

/** How long a forwarded write may take when its caller set no deadline. */
const DEFAULT_FORWARD_MS = 15_000;

/** The code of a gRPC status the leader's vmapd did not explain (its edge unreachable, a proxy). */
const FALLBACK_CODES: Partial<Record<grpc.status, string>> = {
  [grpc.status.DEADLINE_EXCEEDED]: 'VMAP_ERR_DEADLINE_EXCEEDED',
  [grpc.status.UNAUTHENTICATED]: 'VMAP_ERR_UNAUTHENTICATED',
  [grpc.status.PERMISSION_DENIED]: 'VMAP_ERR_PERMISSION_DENIED',
  [grpc.status.INVALID_ARGUMENT]: 'VMAP_ERR_INVALID_ARGUMENT',
  [grpc.status.NOT_FOUND]: 'VMAP_ERR_NO_SUCH_AREA',
};

function allocMessage(input: AllocInput): object {
  return {
    size: input.size.toString(),
    align: input.align.toString(),
    vstart: input.vstart.toString(),
    vend: input.vend.toString(),
    no_guard: input.noGuard,
    caller: input.caller,
    request_id: input.requestId,
  };
}

/** Forwards writes to whichever node the lease names (setLeader). */
export class LeaderForwarder implements WriteForwarder {
  private leader: string | null = null;
  private client: grpc.Client | undefined;
  /** Resolves the nextLeader() promises. */
  private wakeWaiters: (() => void) | undefined;
  private next: Promise<void> | undefined;

  constructor(private readonly credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure()) {}

  /** The leader's gRPC address now (null: none known); a new one gets a new channel. */
  setLeader(advertise: string | null): void {
    if (advertise === this.leader) return;
    this.client?.close();
    this.client = undefined;
    this.leader = advertise === '' ? null : advertise;
    this.wake();
  }

  /** @inheritdoc */
  nextLeader(): Promise<void> {
    this.next ??= new Promise<void>((resolve) => (this.wakeWaiters = resolve));
    return this.next;
  }

  /** Tells the writes waiting for a leader to look again (the leader changed, or this node leads now). */
  wake(): void {
    const wake = this.wakeWaiters;
    this.next = undefined;
    this.wakeWaiters = undefined;
    wake?.();
  }

  /** Where writes go now. */
  get target(): string | null {
    return this.leader;
  }

  /** @inheritdoc */
  async alloc(input: AllocInput, ctx: CallContext): Promise<AreaView> {
    return areaViewOfMessage(await this.call<AreaMessage>('Alloc', allocMessage(input), ctx));
  }

  /** @inheritdoc */
  async allocBatch(inputs: readonly AllocInput[], ctx: CallContext): Promise<readonly AreaView[]> {
    const res = await this.call<{ areas: AreaMessage[] }>('AllocBatch', { requests: inputs.map(allocMessage) }, ctx);
    return res.areas.map(areaViewOfMessage);
  }

  /** @inheritdoc */
  async free(addr: bigint, ctx: CallContext): Promise<FreeView> {
    const res = await this.call<{ freed_bytes: string; purged: boolean }>('Free', { addr: addr.toString() }, ctx);
    return { freedBytes: Number(res.freed_bytes), purged: res.purged };
  }

  /** @inheritdoc */
  async purge(ctx: CallContext): Promise<PurgeView> {
    const res = await this.call<{ purged_areas: string; purged_bytes: string }>('Purge', {}, ctx);
    return { areas: Number(res.purged_areas), bytes: Number(res.purged_bytes) };
  }

  /** Ends the channel. */
  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  private call<T>(method: string, request: object, ctx: CallContext): Promise<T> {
    if (ctx.forwarded === true) return Promise.reject(new Unavailable('this node is not the leader (the write was forwarded here by a node that thought it was); retry'));
    const leader = this.leader;
    if (leader === null) return Promise.reject(new NoLeader('no leader now (a standby is taking over); retry'));
    this.client ??= new VmapClient(leader, this.credentials);
    const fn = (this.client as unknown as Record<string, UnaryMethod>)[method]!.bind(this.client);
    const md = new grpc.Metadata();
    md.set(FORWARDED_METADATA, '1');
    if (ctx.authorization !== undefined) md.set('authorization', ctx.authorization);
    const deadline = ctx.deadline ?? Date.now() + DEFAULT_FORWARD_MS;
    return new Promise<T>((resolve, reject) => {
      fn(request, md, { deadline }, (err, res) => (err ? reject(leaderError(err, leader)) : resolve(res as T)));
    });
  }
}

/** The leader's error as it would have thrown it; a failure to reach it as Unavailable. */
function leaderError(err: grpc.ServiceError, leader: string): Error {
  const first = (key: string): string | undefined => {
    const v = err.metadata?.get(key)[0];
    return typeof v === 'string' ? v : undefined;
  };
  const code = first('vmap-error') ?? FALLBACK_CODES[err.code];
  // grpc-js says so when the call never left this node: safe to send again, to the next leader.
  if (code === undefined && err.code === grpc.status.UNAVAILABLE && err.details.startsWith('No connection established')) {
    return new NoLeader(`the leader at ${leader} cannot be reached (${err.details}); retry`);
  }
  if (code === undefined) return new Unavailable(`the leader at ${leader} did not answer (${grpc.status[err.code]}: ${err.details}); retry`);
  const field = first('vmap-field');
  const quota = first('vmap-quota');
  const data: ErrorData = { code, message: err.details, ...(field === undefined ? {} : { field }), ...(quota === undefined ? {} : { quota }) };
  return errorFromData(data);
}
