/**
 * vmapctl's view of the vmap.v1.Vmap service: the wire messages as the
 * client receives them (keepCase, uint64 as decimal strings) and a thin
 * promise wrapper that gives every call the same deadline.
 */
import * as grpc from '@grpc/grpc-js';
import { VmapClient } from '../grpc/proto.js';

/** The Area message as received: uint64 fields are decimal strings. */
export interface AreaMessage {
  readonly addr: string;
  readonly size: string;
  readonly area_size: string;
  readonly caller: string;
  readonly owner: string;
  readonly lazy: boolean;
  readonly request_id: string;
}

/** The FreeResponse message as received. */
export interface FreeResponseMessage {
  readonly freed_bytes: string;
  readonly purged: boolean;
}

/** The PurgeResponse message as received. */
export interface PurgeResponseMessage {
  readonly purged_areas: string;
  readonly purged_bytes: string;
}

/** The MemInfo message as received. */
export interface MemInfoMessage {
  readonly vmalloc_total_kb: string;
  readonly vmalloc_used_kb: string;
  readonly vmalloc_chunk_kb: string;
  readonly vmalloc_lazy_kb: string;
  readonly nr_areas: string;
  readonly nr_lazy_areas: string;
  readonly generation: string;
}

/**
 * The AllocRequest message as sent. uint64 fields go out as decimal strings
 * because proto-loader accepts them losslessly, where a JS number would not.
 */
export interface AllocRequestMessage {
  size: string;
  align: string;
  vstart: string;
  vend: string;
  no_guard: boolean;
  caller: string;
  request_id: string;
}

/** The ListAreasRequest message as sent. */
export interface ListAreasRequestMessage {
  from_addr: string;
  limit: number;
  include_lazy: boolean;
}

type Callback = (err: grpc.ServiceError | null, res?: unknown) => void;
type UnaryMethod = (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback) => grpc.ClientUnaryCall;
type StreamMethod = (req: object, md: grpc.Metadata, opts: grpc.CallOptions) => grpc.ClientReadableStream<unknown>;

/** True when `err` is a gRPC status error (as opposed to a local bug). */
export function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number' && 'details' in err;
}

/**
 * One connection to vmapd for the life of one command. Every call carries a
 * deadline of `timeoutMs` from when it starts, so an unreachable or stuck
 * server turns into UNAVAILABLE or DEADLINE_EXCEEDED instead of a hang.
 */
export class VmapctlClient {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;

  /** Connects lazily: nothing touches the network until the first call. */
  constructor(target: string, timeoutMs: number) {
    this.client = new VmapClient(target, grpc.credentials.createInsecure());
    this.timeoutMs = timeoutMs;
  }

  private method<F>(name: string): F {
    const fn = (this.client as unknown as Record<string, unknown>)[name];
    if (typeof fn !== 'function') throw new Error(`vmap.v1.Vmap has no method ${name}`);
    return (fn as (...args: unknown[]) => unknown).bind(this.client) as F;
  }

  private options(): grpc.CallOptions {
    return { deadline: Date.now() + this.timeoutMs };
  }

  /** Calls unary RPC `name`; rejects with the grpc.ServiceError on a non-OK status. */
  unary<T>(name: string, request: object): Promise<T> {
    const fn = this.method<UnaryMethod>(name);
    return new Promise<T>((resolve, reject) => {
      fn(request, new grpc.Metadata(), this.options(), (err, res) => (err ? reject(err) : resolve(res as T)));
    });
  }

  /** Every message of server-streaming RPC `name`; throws the grpc.ServiceError if the stream fails. */
  async *stream<T>(name: string, request: object): AsyncGenerator<T> {
    const call = this.method<StreamMethod>(name)(request, new grpc.Metadata(), this.options());
    try {
      for await (const message of call) yield message as T;
    } finally {
      // A consumer that stops early must not leave the stream open.
      call.cancel();
    }
  }

  /** Closes the channel so no handle keeps the process alive. */
  close(): void {
    this.client.close();
  }
}
