import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Identity } from '../auth/tokens.js';
import { mapViewer } from '../service/map-view.js';
import { parseU64 } from '../vmap/geometry.js';
import type { HttpBackend } from './backend.js';
import { HttpError } from './errors.js';
import { EVENT_STREAM_HEADERS, EventStreams } from './event-stream.js';
import { CONTENT_TYPE } from './negotiate.js';
import type { HttpOptions } from './server.js';
import { ERROR_REPLIES, uint64 } from './schema-parts.js';

const bytesPerBucket = (what: string) => ({ type: 'array', items: { type: 'integer' }, description: `per bucket: ${what}, bytes` });
const HOLDERS = {
  description: 'up to 10, over the whole space, most reserved bytes first; null when tokens are required and none was given',
  anyOf: [{ type: 'array', items: { type: 'object', required: ['name', 'bytes', 'areas'], properties: { name: { type: 'string' }, bytes: { type: 'integer' }, areas: { type: 'integer' } } } }, { type: 'null' }],
};

const MAP_SCHEMA = {
  summary: 'The space in buckets: busy, guard, lazy and free bytes; its free blocks; who holds it',
  description: 'From the published state, never the writer. Bucket i covers pages [floor(i·pages/buckets), floor((i+1)·pages/buckets)) from `from`.',
  tags: ['map'],
  querystring: {
    type: 'object',
    properties: {
      from: uint64('first address (rounded down to a page; default the space’s base)'),
      to: uint64('end address (rounded up to a page; default the space’s end)'),
      buckets: uint64('1 to 4096 (default 512); fewer when the range has fewer pages'),
    },
  },
  response: {
    200: {
      description: 'the map',
      type: 'object',
      properties: {
        generation: { type: 'integer' },
        space: { type: 'object', properties: { base: { type: 'string' }, end: { type: 'string' }, page_size: { type: 'integer' } } },
        from: { type: 'string' },
        to: { type: 'string' },
        pages: { type: 'integer' },
        buckets: { type: 'integer' },
        busy: bytesPerBucket('usable pages of busy areas'),
        guard: bytesPerBucket('guard pages of busy areas'),
        lazy: bytesPerBucket('lazily freed areas'),
        free: bytesPerBucket('pages no area holds'),
        areas: { type: 'integer', description: 'areas touching the range' },
        largest_free: { anyOf: [{ type: 'object', properties: { addr: { type: 'string' }, size: { type: 'integer' } } }, { type: 'null' }] },
        fragmentation: {
          type: 'object',
          properties: {
            free_bytes: { type: 'integer' },
            largest_free_bytes: { type: 'integer' },
            ratio: { type: 'number', description: 'largest ÷ free; 1: one free block' },
            free_blocks: { type: 'integer' },
            histogram: { type: 'array', items: { type: 'object', properties: { min: { type: 'integer' }, max: { type: 'integer' }, blocks: { type: 'integer' }, bytes: { type: 'integer' } } } },
          },
        },
        top_callers: HOLDERS,
        top_owners: HOLDERS,
      },
    },
    ...ERROR_REPLIES,
  },
};

const EVENTS_SCHEMA = {
  summary: 'The live numbers, as server-sent events',
  description:
    'First `event: history` (the samples of the last five minutes), then `event: meminfo` per published generation, at most 10 a second, at least one a second. ' +
    'A sample is the /meminfo JSON plus `at` (ms since the epoch), `writes` and `reads` (running totals). A client that stops reading is dropped after --stall-timeout-ms.',
  tags: ['map'],
  response: { 200: { description: 'the event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...ERROR_REPLIES },
};

/** `value` of query parameter `field` as a u64, or undefined when absent. */
function optionalU64(value: unknown, field: string): bigint | undefined {
  return value === undefined ? undefined : parseU64(value, field);
}

/**
 * Registers what the live map reads: `GET /v1/map` (the space in buckets,
 * from the published state) and `GET /v1/events` (the live numbers). Both
 * are open like /meminfo unless --protect-reads; the holders in a map follow
 * the listing rules, and are left out (null) for a client with no token
 * where tokens are required.
 */
export function mapRoutes(app: FastifyInstance, backend: HttpBackend, options: HttpOptions, who: (req: FastifyRequest) => Identity): void {
  const guardRead = options.protectReads ? { onRequest: async (req: FastifyRequest) => void who(req) } : {};
  const viewerOf = (req: FastifyRequest): Identity | null => (options.auth.enforcing && req.headers.authorization === undefined ? null : who(req));

  app.get('/v1/map', { ...guardRead, schema: MAP_SCHEMA }, (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const request = { from: optionalU64(q.from, 'from'), to: optionalU64(q.to, 'to'), buckets: optionalU64(q.buckets, 'buckets') };
    const body = backend.map(request, mapViewer(viewerOf(req)));
    void reply.header('cache-control', 'no-store').type(CONTENT_TYPE.json).send(body);
  });

  const streams = new EventStreams({ sample: () => backend.activity(), stallTimeoutMs: options.stallTimeoutMs, logger: options.logger });
  options.metrics.eventStreams(
    () => streams.open,
    () => streams.dropped,
  );
  // Streams never end by themselves: end them, or closing the server would wait for them.
  app.addHook('preClose', (done) => {
    streams.close();
    done();
  });
  app.get('/v1/events', { ...guardRead, schema: EVENTS_SCHEMA }, (_req, reply) => {
    if (streams.isClosed) throw new HttpError(503, 'Unavailable', 'vmapd is shutting down');
    reply.hijack();
    streams.add(reply.raw.writeHead(200, EVENT_STREAM_HEADERS));
  });
}
