/**
 * The handlers of vmap.v1.Vmap: thin, as the edge should be. Each parses its
 * request, calls VmapService and maps the outcome to a reply or a status;
 * the write handlers count their outcome, once per call, refusals before the
 * service included.
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { parseAllocInput } from '../service/alloc-input.js';
import { memInfoFields } from '../service/meminfo-view.js';
import type { WriteKind } from '../service/metrics.js';
import type { CallContext } from '../service/call-context.js';
import type { VmapService } from '../service/vmap-service.js';
import { errorData, errorName, NoSuchArea } from '../vmap/errors.js';
import { hex, parseU64 } from '../vmap/geometry.js';
import { PAGE_SIZE } from '../vmap/page.js';
import { deadlineOf, identify } from './call-context.js';
import { decoded } from './decoding.js';
import { listAreas } from './list-areas.js';
import { toAreaMessage, type AreaMessage } from './messages.js';
import type { GrpcOptions } from './server.js';
import { toServiceError } from './status.js';

type Fields = Record<string, unknown>;

/** The result label of a failed write: its error's name (by code), or 'Internal' for anything else (a bug). */
export function writeResult(err: unknown): string {
  const data = errorData(err);
  return data === undefined ? 'Internal' : errorName(data.code);
}

/**
 * Wraps a handler: whatever it throws or rejects with becomes the status
 * chosen by toServiceError, and unexpected errors are logged. With `count`,
 * the outcome is counted as a write of that kind.
 */
function unary<Req, Res>(
  logger: Logger,
  name: string,
  fn: (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>,
  count?: (result: string) => void,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let result: Res | Promise<Res>;
    try {
      result = fn(decoded(call.request), call);
    } catch (err) {
      fail(err);
      return;
    }
    Promise.resolve(result).then((value) => {
      count?.('ok');
      callback(null, value);
    }, fail);
    function fail(err: unknown): void {
      count?.(writeResult(err));
      const e = toServiceError(err);
      if (e.code === grpc.status.INTERNAL) logger.error({ err, rpc: name }, 'rpc failed');
      callback(e);
    }
  };
}

/** The handlers of vmap.v1.Vmap over `service`. */
export function handlers(service: VmapService, options: GrpcOptions): grpc.UntypedServiceImplementation {
  const { logger, auth, metrics } = options;
  const meminfoReads = metrics?.readCounter(service.readMode, 'grpc');
  const counter = (kind: WriteKind) => (metrics === undefined ? undefined : (result: string) => metrics.write(kind, result));
  const ctx = (call: grpc.ServerUnaryCall<Fields, unknown>): CallContext => ({ identity: identify(auth, call), deadline: deadlineOf(call) });
  return {
    Alloc: unary<Fields, AreaMessage>(
      logger,
      'Alloc',
      async (req, call) => {
        const c = ctx(call);
        const area = await service.alloc(parseAllocInput(req, c.identity!.owner), c);
        return toAreaMessage(service, area);
      },
      counter('alloc'),
    ),
    AllocBatch: unary<Fields, Fields>(
      logger,
      'AllocBatch',
      async (req, call) => {
        const c = ctx(call);
        const requests = Array.isArray(req.requests) ? (req.requests as Fields[]) : [];
        const areas = await service.allocBatch(
          requests.map((r, i) => parseAllocInput(r, c.identity!.owner, `requests[${i}].`)),
          c,
        );
        return { areas: areas.map((va) => toAreaMessage(service, va)) };
      },
      counter('alloc'),
    ),
    Free: unary<Fields, Fields>(
      logger,
      'Free',
      async (req, call) => {
        const c = ctx(call);
        const { area, purged } = await service.free(parseU64(req.addr, 'addr'), c);
        return { freed_bytes: String(service.describe(area).areaSize), purged: purged !== null };
      },
      counter('free'),
    ),
    Find: unary<Fields, AreaMessage>(logger, 'Find', (req, call) => {
      const who = identify(auth, call);
      const addr = parseU64(req.addr, 'addr');
      const va = service.find(addr, who);
      if (va === undefined) throw new NoSuchArea(`no busy area of yours contains ${hex(addr)}`);
      return toAreaMessage(service, va);
    }),
    Purge: unary<Fields, Fields>(
      logger,
      'Purge',
      async (_req, call) => {
        const r = await service.purge(ctx(call));
        return { purged_areas: String(r.areas), purged_bytes: String(r.pages * PAGE_SIZE) };
      },
      counter('purge'),
    ),
    MemInfo: unary<Fields, Fields>(logger, 'MemInfo', async (_req, call) => {
      if (options.protectReads) identify(auth, call);
      meminfoReads?.inc();
      const r = await service.readMeminfo();
      return { ...memInfoFields(r.meminfo, r.generation) };
    }),
    ListAreas: (call: grpc.ServerWritableStream<Fields, AreaMessage>) => {
      void listAreas(service, call, options).catch((err: unknown) => {
        const e = toServiceError(err);
        if (e.code === grpc.status.INTERNAL) logger.error({ err, rpc: 'ListAreas' }, 'rpc failed');
        // grpc-js sends an error status for 'error' events; destroy() would send none and leave the client hanging.
        call.emit('error', Object.assign(new Error(e.details), e));
      });
    },
  };
}
