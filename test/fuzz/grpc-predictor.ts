/**
 * What the model predicts a gRPC request answers, as the response messages
 * or the status it expects, and why an actual answer is not that.
 */
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { GRPC_CODE, u64, type Outcome, type Who } from './contract.js';
import type { GrpcResult, Method } from './raw-clients.js';
import type { ServiceModel } from './service-model.js';
import { areaMessage, meminfoJson } from './wire-formats.js';

/** Why a gRPC answer is not the predicted one, or null if it is; `value` maps the model's value to the response. */
export function grpcMismatch<T>(res: GrpcResult, o: Outcome<T>, value: (v: T) => unknown): string | null {
  if (o.ok) {
    if (!res.ok) return `expected success, got ${grpc.status[res.code]} (${res.details})`;
    const expected = value(o.value);
    const got = Array.isArray(expected) ? res.values : res.values[0];
    return isDeepStrictEqual(got, expected) ? null : `expected ${fc.stringify(expected).slice(0, 600)}, got ${fc.stringify(got).slice(0, 600)}`;
  }
  if (res.ok) return `expected ${o.kind}, got success ${fc.stringify(res.values).slice(0, 300)}`;
  if (res.code !== GRPC_CODE[o.kind]) return `expected ${o.kind}, got ${grpc.status[res.code]} (${res.details})`;
  if (o.kind === 'InvalidArgument' && !o.fields!.includes(res.field ?? '')) return `field ${res.field} (${res.details}) not among ${o.fields!.join(', ')}`;
  return null;
}

/** A predicted gRPC answer: the outcome and how its value looks on the wire. */
export interface GrpcPrediction {
  readonly o: Outcome<unknown>;
  readonly value: (v: unknown) => unknown;
}
/** A GrpcPrediction of `o`, its value written by `value`. */
export const predicted = <T>(o: Outcome<T>, value: (v: T) => unknown): GrpcPrediction => ({ o, value: value as (v: unknown) => unknown });

/** What `model` predicts for `method` with the request the server decoded, from `who`. */
export function predictGrpc(model: ServiceModel, method: Method, view: Record<string, unknown>, who: Who | undefined, generation: number): GrpcPrediction {
  switch (method) {
    case 'Alloc':
      return predicted(model.alloc(view, who), areaMessage);
    case 'AllocBatch':
      return predicted(model.allocBatch((view.requests ?? []) as Record<string, unknown>[], who), (areas) => ({ areas: areas.map(areaMessage) }));
    case 'Free':
      return predicted(model.free(view.addr, who), (f) => ({ freed_bytes: String(f.freedBytes), purged: f.purged }));
    case 'Find':
      return predicted(model.find(view.addr, who), areaMessage);
    case 'Purge':
      return predicted(model.purge(who), (p) => ({ purged_areas: String(p.areas), purged_bytes: String(p.bytes) }));
    case 'MemInfo': {
      const mi = Object.fromEntries(Object.entries(meminfoJson(model)).map(([k, v]) => [k, String(v)]));
      return predicted({ ok: true, value: null }, () => ({ ...mi, generation: String(generation) }));
    }
    case 'ListAreas': {
      const limit = view.limit as number;
      if (who === undefined) return predicted({ ok: false, kind: 'Unauthenticated' }, () => null);
      return predicted({ ok: true, value: model.visible(u64(view.from_addr)!, view.include_lazy === true, who, limit > 0 ? limit : Infinity) }, (areas) => areas.map(areaMessage));
    }
  }
}
