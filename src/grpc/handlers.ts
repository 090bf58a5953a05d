/**
 * The handlers of vmap.v1.Vmap: thin, as the edge should be. Each parses its
 * request, calls VmapService and maps the outcome to a reply or a status;
 * the write handlers count their outcome, once per call, refusals before the
 * service included. Message types are generated from the proto
 * (src/grpc/generated, `npm run gen:grpc`).
 */
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { parseAllocInput } from '../service/alloc-input.js';
import type { CallContext } from '../service/call-context.js';
import { memInfoFields } from '../service/meminfo-view.js';
import type { WriteKind } from '../service/metrics.js';
import type { VmapService } from '../service/vmap-service.js';
import { errorData, errorName, NoSuchArea } from '../vmap/errors.js';
import { hex, parseU64 } from '../vmap/geometry.js';
import { authorizationOf, deadlineOf, forwardedCall, identify } from './call-context.js';
import { encodeAreaBatch, type DecodedAllocBatch } from './alloc-batch-codec.js';
import { areaMessage } from './area-message.js';
import { decoded } from './decoding.js';
import type { AllocBatchRequest__Output } from './generated/vmap/v1/AllocBatchRequest.js';
import type { AllocBatchResponse } from './generated/vmap/v1/AllocBatchResponse.js';
import type { AllocRequest__Output } from './generated/vmap/v1/AllocRequest.js';
import type { Area } from './generated/vmap/v1/Area.js';
import type { FindRequest__Output } from './generated/vmap/v1/FindRequest.js';
import type { FreeRequest__Output } from './generated/vmap/v1/FreeRequest.js';
import type { FreeResponse } from './generated/vmap/v1/FreeResponse.js';
import type { MemInfo } from './generated/vmap/v1/MemInfo.js';
import type { MemInfoRequest__Output } from './generated/vmap/v1/MemInfoRequest.js';
import type { PurgeRequest__Output } from './generated/vmap/v1/PurgeRequest.js';
import type { PurgeResponse } from './generated/vmap/v1/PurgeResponse.js';
import type { VmapHandlers } from './generated/vmap/v1/Vmap.js';
import { listAreas } from './list-areas.js';
import type { GrpcOptions } from './server.js';
import { toServiceError } from './status.js';

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
      if (e.code === grpc.status.INTERNAL && errorData(err) === undefined) logger.error({ err, rpc: name }, 'rpc failed');
      callback(e);
    }
  };
}

/** The handlers of vmap.v1.Vmap over `service`. */
export function handlers(service: VmapService, options: GrpcOptions): VmapHandlers {
  const { logger, auth, metrics } = options;
  const meminfoReads = metrics?.readCounter(service.readMode, 'grpc');
  const counter = (kind: WriteKind) => (metrics === undefined ? undefined : (result: string) => metrics.write(kind, result));
  const ctx = (call: grpc.ServerUnaryCall<unknown, unknown>): CallContext => ({
    identity: identify(auth, call),
    deadline: deadlineOf(call),
    authorization: authorizationOf(call),
    forwarded: forwardedCall(call),
  });
  return {
    Alloc: unary<AllocRequest__Output, Area>(
      logger,
      'Alloc',
      async (req, call) => {
        const c = ctx(call);
        return areaMessage(await service.alloc(parseAllocInput(req, c.identity!.owner), c));
      },
      counter('alloc'),
    ),
    AllocBatch: unary<AllocBatchRequest__Output | DecodedAllocBatch, AllocBatchResponse>(
      logger,
      'AllocBatch',
      async (req, call) => {
        const c = ctx(call);
        const batch = await service.allocBatchFields(req.requests, c.identity!.owner, c);
        // Encoded here, passed through by fastAllocBatch's serializer.
        return encodeAreaBatch(batch) as unknown as AllocBatchResponse;
      },
      counter('alloc'),
    ),
    Free: unary<FreeRequest__Output, FreeResponse>(
      logger,
      'Free',
      async (req, call) => {
        const r = await service.free(parseU64(req.addr, 'addr'), ctx(call));
        return { freed_bytes: String(r.freedBytes), purged: r.purged };
      },
      counter('free'),
    ),
    Find: unary<FindRequest__Output, Area>(logger, 'Find', (req, call) => {
      const who = identify(auth, call);
      const addr = parseU64(req.addr, 'addr');
      const v = service.find(addr, who);
      if (v === undefined) throw new NoSuchArea(`no busy area of yours contains ${hex(addr)}`);
      return areaMessage(v);
    }),
    Purge: unary<PurgeRequest__Output, PurgeResponse>(
      logger,
      'Purge',
      async (_req, call) => {
        const r = await service.purge(ctx(call));
        return { purged_areas: String(r.areas), purged_bytes: String(r.bytes) };
      },
      counter('purge'),
    ),
    MemInfo: unary<MemInfoRequest__Output, MemInfo>(logger, 'MemInfo', async (_req, call) => {
      if (options.protectReads) identify(auth, call);
      meminfoReads?.inc();
      const r = await service.readMeminfo();
      return memInfoFields(r.meminfo, r.generation);
    }),
    ListAreas: (call) => {
      void listAreas(service, call, options).catch((err: unknown) => {
        const e = toServiceError(err);
        if (e.code === grpc.status.INTERNAL && errorData(err) === undefined) logger.error({ err, rpc: 'ListAreas' }, 'rpc failed');
        // grpc-js sends an error status for 'error' events; destroy() would send none and leave the client hanging.
        call.emit('error', Object.assign(new Error(e.details), e));
      });
    },
  };
}
