import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import type { Identity } from '../auth/tokens.js';
import { parseAllocInput } from '../service/alloc-input.js';
import { areaJson } from '../service/area-view.js';
import type { EdgeCounters, WriteKind } from '../service/metrics.js';
import { NoSuchArea } from '../vmap/errors.js';
import { hex, parseU64 } from '../vmap/geometry.js';
import { errorNameOf, statusName } from './errors.js';
import type { HttpBackend } from './backend.js';
import type { HttpOptions } from './server.js';
import { ADDRESS_PARAMS, ERROR_REPLIES, uint64 } from './schema-parts.js';
import { JSON_OBJECT } from './validation.js';

/** A field that may also be sent as null, meaning absent. */
const orNull = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] });

/**
 * POST /v1/areas's body: the AllocRequest message's fields. Unknown fields
 * are refused before anything else (the first allOf), then each field's type.
 */
const ALLOC_BODY = {
  description: 'the AllocRequest message as JSON; uint64 fields as integers (exact beyond 2^53) or decimal or 0x hex strings',
  allOf: [
    { type: 'object', [JSON_OBJECT]: true, properties: { size: {}, align: {}, vstart: {}, vend: {}, no_guard: {}, caller: {}, request_id: {} }, additionalProperties: false },
    {
      type: 'object',
      required: ['size'],
      properties: {
        size: uint64('bytes wanted; rounded up to 4 KiB pages, the guard page added'),
        align: orNull(uint64('0 or a power of two: the absolute address is a multiple of it')),
        vstart: orNull(uint64('lowest address the area (guard included) may take; 0: the space’s base')),
        vend: orNull(uint64('one past the highest; 0: the space’s end')),
        no_guard: { type: ['boolean', 'null'], description: 'no guard page after the area' },
        caller: { type: ['string', 'null'], description: 'free-form tag shown in /vmallocinfo (no control characters)' },
        request_id: { type: ['string', 'null'], description: 'idempotency key: a retry with the same key returns the same area while it lives' },
      },
    },
  ],
} as const;

const ALLOC_SCHEMA = {
  summary: 'Allocate an area',
  description: 'At the lowest address that fits (the kernel’s placement rules). Durable when answered.',
  tags: ['writes'],
  body: ALLOC_BODY,
  response: { 201: { $ref: 'Area#', description: 'the area' }, ...ERROR_REPLIES },
};

const FREE_SCHEMA = {
  summary: 'Free an area',
  description: 'Lazily: the range stays reserved until a purge (automatic past --lazy-max-pages).',
  tags: ['writes'],
  params: ADDRESS_PARAMS,
  response: {
    200: {
      description: 'what was freed',
      type: 'object',
      required: ['freed_bytes', 'purged'],
      properties: { freed_bytes: { type: 'integer', description: 'reserved bytes the area held' }, purged: { type: 'boolean', description: 'whether this free purged every lazy area' } },
    },
    ...ERROR_REPLIES,
  },
};

const FIND_SCHEMA = {
  summary: 'The busy area holding an address',
  tags: ['reads'],
  params: ADDRESS_PARAMS,
  response: { 200: { $ref: 'Area#', description: 'the area' }, ...ERROR_REPLIES },
};

const PURGE_SCHEMA = {
  summary: 'Purge every lazily freed area now',
  tags: ['writes'],
  response: {
    200: {
      description: 'what the purge returned to the free space',
      type: 'object',
      required: ['purged_areas', 'purged_bytes'],
      properties: { purged_areas: { type: 'integer' }, purged_bytes: { type: 'integer' } },
    },
    ...ERROR_REPLIES,
  },
};

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
  // The caller is identified before the request is checked: no token is a 401 whatever the body.
  const identified = { preValidation: async (req: FastifyRequest) => void who(req) };
  const write = (kind: WriteKind) => ({ config: limit, onSend: countWrite(options.metrics, kind), ...identified });

  app.post('/v1/areas', { ...write('alloc'), schema: ALLOC_SCHEMA }, async (req, reply) => {
    const identity = who(req);
    // The schema made it an object of AllocRequest fields, each of its type.
    const area = await backend.alloc(parseAllocInput(req.body as Record<string, unknown>, identity.owner), { identity, ...forwardable(req) });
    return reply.status(201).send(areaJson(area));
  });

  app.delete('/v1/areas/:addr', { ...write('free'), schema: FREE_SCHEMA }, async (req) => {
    const identity = who(req);
    const { addr } = req.params as { addr: string };
    const r = await backend.free(parseU64(addr, 'addr'), { identity, ...forwardable(req) });
    return { freed_bytes: r.freedBytes, purged: r.purged };
  });

  app.get('/v1/areas/:addr', { ...identified, schema: FIND_SCHEMA }, (req) => {
    const identity = who(req);
    const { addr } = req.params as { addr: string };
    const a = parseU64(addr, 'addr');
    const v = backend.find(a, identity);
    if (v === undefined) throw new NoSuchArea(`no busy area of yours contains ${hex(a)}`);
    return areaJson(v);
  });

  app.post('/v1/purge', { ...write('purge'), schema: PURGE_SCHEMA }, async (req) => {
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
