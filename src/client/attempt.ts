/**
 * One attempt of one RPC on one channel: a promise for a unary call, a
 * readable stream for a listing, each with its deadline and metadata, and
 * cancelled when the caller's signal aborts.
 */
import type * as grpc from '@grpc/grpc-js';

type Callback = (err: grpc.ServiceError | null, res?: unknown) => void;
type UnaryMethod = (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: Callback) => grpc.ClientUnaryCall;
type StreamMethod = (req: object, md: grpc.Metadata, opts: grpc.CallOptions) => grpc.ClientReadableStream<unknown>;

/** RPC `name` of `client`, bound to it. */
function method<F>(client: grpc.Client, name: string): F {
  const fn = (client as unknown as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new Error(`vmap.v1.Vmap has no method ${name}`);
  return (fn as (...args: unknown[]) => unknown).bind(client) as F;
}

/** Calls unary RPC `name` once, by `deadline` (epoch ms); rejects with the grpc-js ServiceError. */
export function unaryAttempt<T>(client: grpc.Client, name: string, request: object, md: grpc.Metadata, deadline: number, signal?: AbortSignal): Promise<T> {
  const fn = method<UnaryMethod>(client, name);
  return new Promise<T>((resolve, reject) => {
    const call = fn(request, md, { deadline }, (err, res) => {
      signal?.removeEventListener('abort', cancel);
      if (err) reject(err);
      else resolve(res as T);
    });
    // Cancelling makes grpc-js end the call with CANCELLED, through the callback.
    const cancel = (): void => call.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
  });
}

/** Opens server-streaming RPC `name` once, by `deadline` (epoch ms); the caller reads it and cancels it. */
export function streamAttempt(client: grpc.Client, name: string, request: object, md: grpc.Metadata, deadline: number): grpc.ClientReadableStream<unknown> {
  return method<StreamMethod>(client, name)(request, md, { deadline });
}
