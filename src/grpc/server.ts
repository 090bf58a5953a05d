import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { memInfoFields } from '../service/meminfo-view.js';
import type { ListingSlots } from '../service/listings.js';
import type { VmapMetrics } from '../service/metrics.js';
import { parseAllocInput } from '../service/alloc-input.js';
import type { CallContext } from '../service/call-context.js';
import type { VmapService } from '../service/vmap-service.js';
import type { Authenticator, Identity } from '../auth/tokens.js';
import { InvalidArgument, NoSuchArea, messageOf } from '../vmap/errors.js';
import { hex, parseU64 } from '../vmap/geometry.js';
import { PAGE_SIZE } from '../vmap/page.js';
import type { VmapArea } from '../vmap/vmap-area.js';
import type { AreaMessage } from './messages.js';
import { packageDefinition, VMAP_SERVICE_NAME, VmapClient } from './proto.js';
import { toServiceError } from './status.js';


/** Options of the gRPC edge. */
export interface GrpcOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly logger: Logger;
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
  readonly health: HealthImplementation;
  /** The port actually bound. */
  readonly port: number;
}

type Unary<Req, Res> = grpc.handleUnaryCall<Req, Res>;
type Fields = Record<string, unknown>;

function toAreaMessage(service: VmapService, va: VmapArea): AreaMessage {
  const d = service.describe(va);
  return {
    addr: d.addr.toString(),
    size: String(d.size),
    area_size: String(d.areaSize),
    caller: va.caller,
    owner: va.owner,
    lazy: va.lazy,
    request_id: va.requestId,
  };
}

/** A request whose bytes are no valid message of its type. */
class Undecodable {
  constructor(readonly reason: string) {}
}

/**
 * `definition` with request decoding that never throws. grpc-js answers a
 * message that fails to decode with INTERNAL, but malformed bytes are the
 * client's error: such a request reaches the handler as an Undecodable,
 * which `decoded` refuses with INVALID_ARGUMENT.
 */
function tolerantDecoding(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new Undecodable(messageOf(err));
        }
      },
    };
  }
  return out as grpc.ServiceDefinition;
}

/** The request, unless it did not decode. @throws InvalidArgument for an Undecodable */
function decoded<Req>(request: Req): Req {
  if (request instanceof Undecodable) throw new InvalidArgument('request', `not a valid protobuf message of the method's request type (${request.reason.slice(0, 100)})`);
  return request;
}

/**
 * Wraps a handler: whatever it throws or rejects with becomes the status
 * chosen by toServiceError, and unexpected errors are logged.
 */
function unary<Req, Res>(logger: Logger, name: string, fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>): Unary<Req, Res> {
  return (call, callback) => {
    let result: Res | Promise<Res>;
    try {
      result = fn(decoded(call.request), call);
    } catch (err) {
      fail(err);
      return;
    }
    Promise.resolve(result).then((value) => callback(null, value), fail);
    function fail(err: unknown): void {
      const e = toServiceError(err);
      if (e.code === grpc.status.INTERNAL) logger.error({ err, rpc: name }, 'rpc failed');
      callback(e);
    }
  };
}

/** The caller's identity, from the call's `authorization` metadata. */
function identify(auth: Authenticator, call: { metadata: grpc.Metadata }): Identity {
  const v = call.metadata.get('authorization')[0];
  return auth.identify(typeof v === 'string' ? v : undefined);
}

/** The call's deadline in epoch ms, if the client set one. */
function deadlineOf(call: { getDeadline(): grpc.Deadline }): number | undefined {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : undefined;
}

/** The handlers of vmap.v1.Vmap over `service`. */
function handlers(service: VmapService, options: GrpcOptions): grpc.UntypedServiceImplementation {
  const { logger, auth } = options;
  const meminfoReads = options.metrics?.readCounter(service.readMode, 'grpc');
  const ctx = (call: grpc.ServerUnaryCall<Fields, unknown>): CallContext => ({ identity: identify(auth, call), deadline: deadlineOf(call) });
  return {
    Alloc: unary<Fields, AreaMessage>(logger, 'Alloc', async (req, call) => {
      const c = ctx(call);
      const area = await service.alloc(parseAllocInput(req, c.identity!.owner), c);
      return toAreaMessage(service, area);
    }),
    AllocBatch: unary<Fields, Fields>(logger, 'AllocBatch', async (req, call) => {
      const c = ctx(call);
      const requests = Array.isArray(req.requests) ? (req.requests as Fields[]) : [];
      const areas = await service.allocBatch(
        requests.map((r, i) => parseAllocInput(r, c.identity!.owner, `requests[${i}].`)),
        c,
      );
      return { areas: areas.map((va) => toAreaMessage(service, va)) };
    }),
    Free: unary<Fields, Fields>(logger, 'Free', async (req, call) => {
      const c = ctx(call);
      const { area, purged } = await service.free(parseU64(req.addr, 'addr'), c);
      return { freed_bytes: String(service.describe(area).areaSize), purged: purged !== null };
    }),
    Find: unary<Fields, AreaMessage>(logger, 'Find', (req, call) => {
      const who = identify(auth, call);
      const addr = parseU64(req.addr, 'addr');
      const va = service.find(addr, who);
      if (va === undefined) throw new NoSuchArea(`no busy area of yours contains ${hex(addr)}`);
      return toAreaMessage(service, va);
    }),
    Purge: unary<Fields, Fields>(logger, 'Purge', async (_req, call) => {
      const r = await service.purge(ctx(call));
      return { purged_areas: String(r.areas), purged_bytes: String(r.pages * PAGE_SIZE) };
    }),
    MemInfo: unary<Fields, Fields>(logger, 'MemInfo', async (_req, call) => {
      if (options.protectReads) identify(auth, call);
      meminfoReads?.inc();
      const r = await service.readMeminfo();
      return { ...memInfoFields(r.meminfo, r.generation) };
    }),
    ListAreas: (call: grpc.ServerWritableStream<Fields, AreaMessage>) => {
      void listAreas(service, call, auth).catch((err: unknown) => {
        const e = toServiceError(err);
        if (e.code === grpc.status.INTERNAL) logger.error({ err, rpc: 'ListAreas' }, 'rpc failed');
        // grpc-js sends an error status for 'error' events; destroy() would send none and leave the client hanging.
        call.emit('error', Object.assign(new Error(e.details), e));
      });
    },
  };
}

/** Streams areas with backpressure: a slow reader holds only its snapshot. */
async function listAreas(service: VmapService, call: grpc.ServerWritableStream<Fields, AreaMessage>, auth: Authenticator): Promise<void> {
  decoded(call.request);
  const who = identify(auth, call);
  const from = parseU64(call.request.from_addr, 'from_addr');
  const limit = typeof call.request.limit === 'number' && call.request.limit > 0 ? call.request.limit : Infinity;
  const includeLazy = call.request.include_lazy === true;
  let sent = 0;
  for (const va of service.areas(service.snapshot(), from, includeLazy, who)) {
    if (sent >= limit || call.cancelled) break;
    sent++;
    if (!call.write(toAreaMessage(service, va))) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          call.off('drain', done);
          call.off('cancelled', done);
          call.off('close', done);
          resolve();
        };
        call.on('drain', done);
        call.on('cancelled', done);
        call.on('close', done);
      });
    }
  }
  if (!call.cancelled) call.end();
}

/** Starts the gRPC edge: vmap.v1.Vmap, the standard health service and reflection. */
export async function startGrpc(service: VmapService, options: GrpcOptions): Promise<GrpcEdge> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_RECEIVE_MESSAGE_BYTES,
    'grpc.max_concurrent_streams': 1000,
    // Find dead peers and let idle ones go, so half-open connections hold nothing.
    'grpc.keepalive_time_ms': 60_000,
    'grpc.keepalive_timeout_ms': 20_000,
    'grpc.max_connection_idle_ms': 10 * 60_000,
  });
  server.addService(tolerantDecoding(VmapClient.service), handlers(service, options));
  const health = new HealthImplementation({ '': 'SERVING', [VMAP_SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  new ReflectionService(packageDefinition).addToServer(server);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) => {
    const creds = options.tls
      ? grpc.ServerCredentials.createSsl(options.tls.clientCa ?? null, [{ private_key: options.tls.key, cert_chain: options.tls.cert }], options.tls.clientCa !== undefined)
      : grpc.ServerCredentials.createInsecure();
    server.bindAsync(`${host}:${options.port}`, creds, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  return { server, health, port };
}

/** Stops the gRPC edge: no new calls; in-flight ones finish, or are cut after `graceMs`. */
export async function stopGrpc(edge: GrpcEdge, graceMs: number): Promise<void> {
  edge.health.setStatus('', 'NOT_SERVING');
  edge.health.setStatus(VMAP_SERVICE_NAME, 'NOT_SERVING');
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
