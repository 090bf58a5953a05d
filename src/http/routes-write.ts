import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import type { Identity } from '../auth/tokens.js';
import { ALLOC_REQUEST_FIELDS, parseAllocInput } from '../service/alloc-input.js';
import { areaJson } from '../service/area-view.js';
import type { EdgeCounters, WriteKind } from '../service/metrics.js';
import { InvalidArgument, NoSuchArea } from '../vmap/errors.js';
import { hex, parseU64 } from '../vmap/geometry.js';
import { errorNameOf, statusName } from './errors.js';
import type { HttpBackend } from './backend.js';
import type { HttpOptions } from './server.js';

/** `reply`'s outcome as vmapd_writes_total labels it: 'ok' or the error body's name. */
function resultOf(reply: FastifyReply): string {
  return reply.statusCode < 400 ? 'ok' : (errorNameOf(reply) ?? statusName(reply.statusCode));
}

/**
 * An onSend hook counting one `kind` write per answer, refusals before the
 * service included (bad JSON, 413, 415, 429, a bad address): every answer of
 * a route passes its onSend exactly once, whatever stage produced it.
 */
function countWrite(metrics: EdgeCounters, kind: WriteKind): onSendHookHandler {
  return (_req, reply, payload, done) => {
    metrics.write(kind, resultOf(reply));
    done(null, payload);
  };
}

/** The write kind a request that fastify refused before routing would have been, for the counters. */
export function writeKindOf(method: string, url: string): WriteKind | undefined {
  const path = url.split('?', 1)[0] ?? '';
  if (method === 'POST' && path === '/v1/areas') return 'alloc';
  if (method === 'DELETE' && path.startsWith('/v1/areas/')) return 'free';
  if (method === 'POST' && path === '/v1/purge') return 'purge';
  return undefined;
}

/** Registers the curl-friendly write routes and the lookup of one area. */
export function writeRoutes(app: FastifyInstance, backend: HttpBackend, options: HttpOptions, who: (req: FastifyRequest) => Identity): void {
  const limit = { rateLimit: { max: options.rateLimit, timeWindow: '1 minute' } };
  const write = (kind: WriteKind) => ({ config: limit, onSend: countWrite(options.metrics, kind) });

  app.post('/v1/areas', write('alloc'), async (req, reply) => {
    const identity = who(req);
    const body = req.body;
    // A plain object only: an array, a bare number (kept as a NumberLiteral) or null is no AllocRequest.
    if (typeof body !== 'object' || body === null || Object.getPrototypeOf(body) !== Object.prototype) {
      throw new InvalidArgument('body', 'must be a JSON object with the AllocRequest fields');
    }
    const fields = body as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (!ALLOC_REQUEST_FIELDS.has(key)) throw new InvalidArgument(key.slice(0, 64), 'unknown field');
    }
    const area = await backend.alloc(parseAllocInput(fields, identity.owner), { identity, ...forwardable(req) });
    return reply.status(201).send(areaJson(area));
  });

  app.delete('/v1/areas/:addr', write('free'), async (req) => {
    const identity = who(req);
    const { addr } = req.params as { addr: string };
    const r = await backend.free(parseU64(addr, 'addr'), { identity, ...forwardable(req) });
    return { freed_bytes: r.freedBytes, purged: r.purged };
  });

  app.get('/v1/areas/:addr', (req) => {
    const identity = who(req);
    const { addr } = req.params as { addr: string };
    const a = parseU64(addr, 'addr');
    const v = backend.find(a, identity);
    if (v === undefined) throw new NoSuchArea(`no busy area of yours contains ${hex(a)}`);
    return areaJson(v);
  });

  app.post('/v1/purge', write('purge'), async (req) => {
    const identity = who(req);
    const r = await backend.purge({ identity, ...forwardable(req) });
    return { purged_areas: r.areas, purged_bytes: r.bytes };
  });
}

/** The request's `authorization`, for a write a standby forwards to the leader (which identifies the caller again). */
function forwardable(req: FastifyRequest): { authorization?: string } {
  const value = req.headers.authorization;
  return value === undefined ? {} : { authorization: value };
}
