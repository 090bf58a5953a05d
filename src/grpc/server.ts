import * as grpc from '@grpc/grpc-js';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { memInfoFields } from '../service/meminfo-view.js';
import type { VmapMetrics } from '../service/metrics.js';
import { parseAllocInput } from '../service/alloc-input.js';
import { ANONYMOUS_OWNER, type VmapService } from '../service/vmap-service.js';
import { NoSuchArea } from '../vmap/errors.js';
import { parseU64 } from '../vmap/geometry.js';
import { PAGE_SIZE } from '../vmap/page.js';
import type { VmapArea } from '../vmap/vmap-area.js';
import { packageDefinition, VMAP_SERVICE_NAME, VmapClient } from './proto.js';
import { toServiceError } from './status.js';

/** The Area message, with uint64 as decimal strings. */
export interface AreaMessage {
  addr: string;
  size: string;
  area_size: string;
  caller: string;
  owner: string;
  lazy: boolean;
  request_id: string;
}

/** Options of the gRPC edge. */
export interface GrpcOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly logger: Logger;
  readonly metrics?: VmapMetrics;
}

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

/**
 * Wraps a handler: whatever it throws or rejects with becomes the status
 * chosen by toServiceError, and unexpected errors are logged.
 */
function unary<Req, Res>(logger: Logger, name: string, fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>): Unary<Req, Res> {
  return (call, callback) => {
    let result: Res | Promise<Res>;
    try {
      result = fn(call.request, call);
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

/** The handlers of vmap.v1.Vmap over `service`. */
function handlers(service: VmapService, logger: Logger, metrics?: VmapMetrics): grpc.UntypedServiceImplementation {
  const meminfoReads = metrics?.readCounter(service.readMode, 'grpc');
  return {
    Alloc: unary<Fields, AreaMessage>(logger, 'Alloc', async (req) => {
      const area = await service.alloc(parseAllocInput(req, ANONYMOUS_OWNER));
      return toAreaMessage(service, area);
    }),
    AllocBatch: unary<Fields, Fields>(logger, 'AllocBatch', async (req) => {
      const requests = Array.isArray(req.requests) ? (req.requests as Fields[]) : [];
      const areas = await service.allocBatch(requests.map((r, i) => parseAllocInput(r, ANONYMOUS_OWNER, `requests[${i}].`)));
      return { areas: areas.map((va) => toAreaMessage(service, va)) };
    }),
    Free: unary<Fields, Fields>(logger, 'Free', async (req) => {
      const { area, purged } = await service.free(parseU64(req.addr, 'addr'));
      return { freed_bytes: String(service.describe(area).areaSize), purged: purged !== null };
    }),
    Find: unary<Fields, AreaMessage>(logger, 'Find', (req) => {
      const addr = parseU64(req.addr, 'addr');
      const va = service.find(addr);
      if (va === undefined) throw new NoSuchArea(`no busy area contains 0x${addr.toString(16)}`);
      return toAreaMessage(service, va);
    }),
    Purge: unary<Fields, Fields>(logger, 'Purge', async () => {
      const r = await service.purge();
      return { purged_areas: String(r.areas), purged_bytes: String(r.pages * PAGE_SIZE) };
    }),
    MemInfo: unary<Fields, Fields>(logger, 'MemInfo', async () => {
      meminfoReads?.inc();
      const r = await service.readMeminfo();
      return { ...memInfoFields(r.meminfo, r.generation) };
    }),
    ListAreas: (call: grpc.ServerWritableStream<Fields, AreaMessage>) => {
      void listAreas(service, call).catch((err: unknown) => {
        const e = toServiceError(err);
        if (e.code === grpc.status.INTERNAL) logger.error({ err, rpc: 'ListAreas' }, 'rpc failed');
        call.destroy(Object.assign(new Error(e.details), e));
      });
    },
  };
}

/** Streams areas with backpressure: a slow reader holds only its snapshot. */
async function listAreas(service: VmapService, call: grpc.ServerWritableStream<Fields, AreaMessage>): Promise<void> {
  const from = parseU64(call.request.from_addr, 'from_addr');
  const limit = typeof call.request.limit === 'number' && call.request.limit > 0 ? call.request.limit : Infinity;
  const includeLazy = call.request.include_lazy === true;
  let sent = 0;
  for (const va of service.areas(service.snapshot(), from, includeLazy)) {
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
  const server = new grpc.Server();
  server.addService(VmapClient.service, handlers(service, options.logger, options.metrics));
  const health = new HealthImplementation({ '': 'SERVING', [VMAP_SERVICE_NAME]: 'SERVING' });
  health.addToServer(server);
  new ReflectionService(packageDefinition).addToServer(server);
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
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
