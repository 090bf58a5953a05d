/**
 * vmapctl's view of the vmap.v1.Vmap service: a thin promise wrapper that
 * gives every call the same deadline and the same bearer token (the messages
 * are in src/grpc/messages.ts).
 */
import * as grpc from '@grpc/grpc-js';
import { VmapClient } from '../grpc/proto.js';

type Callback = (err: grpc.ServiceError | null, res?: unknown) => void;
type UnaryMethod = (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback) => grpc.ClientUnaryCall;
type StreamMethod = (req: object, md: grpc.Metadata, opts: grpc.CallOptions) => grpc.ClientReadableStream<unknown>;

/** True when `err` is a gRPC status error (as opposed to a local bug). */
export function isServiceError(err: unknown): err is grpc.ServiceError {
  return err instanceof Error && typeof (err as Partial<grpc.ServiceError>).code === 'number' && 'details' in err;
}

/** How a VmapctlClient reaches vmapd, beyond the target and deadline. */
export interface ClientOptions {
  /** TLS credentials; plaintext when absent. */
  readonly credentials?: grpc.ChannelCredentials;
  /** Sent as `authorization: Bearer <token>` on every call; none when absent. */
  readonly token?: string;
}

/**
 * One connection to vmapd for the life of one command. Every call carries a
 * deadline of `timeoutMs` from when it starts, so an unreachable or stuck
 * server turns into UNAVAILABLE or DEADLINE_EXCEEDED instead of a hang.
 */
export class VmapctlClient {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;
  private readonly token: string | undefined;

  /** Connects lazily: nothing touches the network until the first call. */
  constructor(target: string, timeoutMs: number, options: ClientOptions = {}) {
    this.client = new VmapClient(target, options.credentials ?? grpc.credentials.createInsecure());
    this.timeoutMs = timeoutMs;
    this.token = options.token;
  }

  private method<F>(name: string): F {
    const fn = (this.client as unknown as Record<string, unknown>)[name];
    if (typeof fn !== 'function') throw new Error(`vmap.v1.Vmap has no method ${name}`);
    return (fn as (...args: unknown[]) => unknown).bind(this.client) as F;
  }

  private options(): grpc.CallOptions {
    return { deadline: Date.now() + this.timeoutMs };
  }

  /**
   * The token goes in per-call metadata rather than in call credentials:
   * grpc-js refuses to compose call credentials with a plaintext channel, and
   * vmapd accepts tokens over plaintext too.
   */
  private metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.token !== undefined) md.set('authorization', `Bearer ${this.token}`);
    return md;
  }

  /** Calls unary RPC `name`; rejects with the grpc.ServiceError on a non-OK status. */
  unary<T>(name: string, request: object): Promise<T> {
    const fn = this.method<UnaryMethod>(name);
    return new Promise<T>((resolve, reject) => {
      fn(request, this.metadata(), this.options(), (err, res) => (err ? reject(err) : resolve(res as T)));
    });
  }

  /** Every message of server-streaming RPC `name`; throws the grpc.ServiceError if the stream fails. */
  async *stream<T>(name: string, request: object): AsyncGenerator<T> {
    const call = this.method<StreamMethod>(name)(request, this.metadata(), this.options());
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
