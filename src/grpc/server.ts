/**
 * The gRPC edge: vmap.v1.Vmap (src/grpc/handlers.ts) beside the standard
 * health and reflection services, on one grpc-js server.
 */
import * as grpc from '@grpc/grpc-js';
import type { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/tokens.js';
import type { ListingSlots } from '../service/listings.js';
import type { VmapMetrics } from '../service/metrics.js';
import type { VmapService } from '../service/vmap-service.js';
import { fastAllocBatch } from './alloc-batch-codec.js';
import { GuardedServices, tolerantDecoding } from './decoding.js';
import { handlers } from './handlers.js';
import { VmapClient } from './proto.js';
import { addStandardServices, type StandardServices } from './standard-services.js';

/** Options of the gRPC edge. */
export interface GrpcOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly logger: Logger;
  /** Where write outcomes are counted (vmapd_writes_total), once per call. */
  readonly metrics?: VmapMetrics;
  readonly auth: Authenticator;
  /** Whether MemInfo needs a token too. */
  readonly protectReads: boolean;
  /** TLS material (PEM); absent: plaintext. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly clientCa?: Buffer };
  /** Listing slots shared with the HTTP edge (--max-listings). */
  readonly listings: ListingSlots;
  /** A ListAreas stream whose reader takes nothing for this long is ended (--stall-timeout-ms). */
  readonly stallTimeoutMs: number;
}

/** Largest request accepted: an AllocBatch of 10000 requests with long strings fits. */
export const MAX_RECEIVE_MESSAGE_BYTES = 8 * 1024 * 1024;

/** A running gRPC edge. */
export interface GrpcEdge {
  readonly server: grpc.Server;
  /** The health service; its statuses follow the service's readiness. */
  readonly health: HealthImplementation;
  /** The port actually bound. */
  readonly port: number;
  /** Health and reflection, to stop with the edge. */
  readonly standard: StandardServices;
}

/** Starts the gRPC edge: vmap.v1.Vmap, the standard health service and reflection. */
export async function startGrpc(service: VmapService, options: GrpcOptions): Promise<GrpcEdge> {
  const guarded = new GuardedServices();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_RECEIVE_MESSAGE_BYTES,
    'grpc.max_concurrent_streams': 1000,
    // Find dead peers and let idle ones go, so half-open connections hold nothing.
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.max_connection_idle_ms': 10 * 60_000,
    interceptors: [guarded.interceptor],
  });
  server.addService(tolerantDecoding(fastAllocBatch(VmapClient.service)), handlers(service, options));
  const standard = addStandardServices(guarded.on(server), service);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) => {
    const creds = options.tls
      ? grpc.ServerCredentials.createSsl(options.tls.clientCa ?? null, [{ private_key: options.tls.key, cert_chain: options.tls.cert }], options.tls.clientCa !== undefined)
      : grpc.ServerCredentials.createInsecure();
    server.bindAsync(`${host}:${options.port}`, creds, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return { server, health: standard.health, port, standard };
}

/** Stops the gRPC edge: health says NOT_SERVING, no new calls; in-flight ones finish, or are cut after `graceMs`. */
export async function stopGrpc(edge: GrpcEdge, graceMs: number): Promise<void> {
  edge.standard.stop();
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      edge.server.forceShutdown();
      resolve();
    }, graceMs);
    edge.server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
