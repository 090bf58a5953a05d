/**
 * gRPC clients for the load tests: vmapd's Vmap service through VmapClient
 * (the library's client, with no retries: every call is one attempt, so a
 * figure counts what was sent and nothing is hidden in a retry), and the
 * baseline Echo service as a bare grpc-js client, with a promise wrapper
 * that always sets a deadline so no call of a bounded run can hang forever.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { VmapClient, VmapClientError } from '../../src/client/index.js';
import { ECHO_PROTO, PROTO_DIR } from './paths.js';
import { messageOf } from '../../src/vmap/errors.js';

/** A generic client whose RPC methods are looked up by name (the baseline Echo). */
export type RpcClient = grpc.Client & Record<string, unknown>;

type UnaryFn = (req: object, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => grpc.ClientUnaryCall;

function echoConstructor(): grpc.ServiceClientConstructor {
  const def = protoLoader.loadSync(ECHO_PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [PROTO_DIR] });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { loadtest: { v1: { Echo: grpc.ServiceClientConstructor } } };
  return pkg.loadtest.v1.Echo;
}

let echoCtor: grpc.ServiceClientConstructor | undefined;

/** The Echo service definition, for the baseline server. */
export function echoService(): grpc.ServiceDefinition {
  echoCtor ??= echoConstructor();
  return echoCtor.service;
}

/** Which service a client talks to. */
export type ServiceKind = 'vmap' | 'echo';

/**
 * Each client gets its own channel (a local subchannel pool), so N clients
 * are N HTTP/2 connections, as N separate client programs would be.
 */
const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.use_local_subchannel_pool': 1,
  // 10000 Areas in one AllocBatch reply are ~1 MB; leave room.
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
};

/**
 * A VmapClient of `target` (host:port) on a channel of its own, making each
 * call once, within `deadlineMs` (a call may ask for less).
 */
export function makeVmapClient(target: string, deadlineMs = 300_000): VmapClient {
  return new VmapClient({ targets: target, retry: false, callTimeoutMs: deadlineMs, deadlineMs, channelOptions: CHANNEL_OPTIONS });
}

/** A bare grpc-js client of the baseline Echo service at `target`, on a channel of its own. */
export function makeEchoClient(target: string): RpcClient {
  echoCtor ??= echoConstructor();
  return new echoCtor(target, grpc.credentials.createInsecure(), CHANNEL_OPTIONS) as unknown as RpcClient;
}

/** Waits until `client`'s channel is connected, at most `timeoutMs`. */
export function waitReady(client: grpc.Client, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve()));
  });
}

/** Calls unary `method` of a bare client (the baseline Echo) with a deadline of `deadlineMs` from now. */
export function unary<T>(client: RpcClient, method: string, request: object, deadlineMs: number): Promise<T> {
  const fn = client[method] as UnaryFn | undefined;
  if (typeof fn !== 'function') return Promise.reject(new Error(`no RPC ${method}`));
  return new Promise<T>((resolve, reject) => {
    fn.call(client, request, { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}

/** The gRPC status name of `err` (UNAVAILABLE, …), or its message for non-gRPC errors. */
export function statusName(err: unknown): string {
  if (err instanceof VmapClientError) return err.code;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') return grpc.status[code] ?? String(code);
  return messageOf(err);
}
