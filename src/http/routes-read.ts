import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../auth/tokens.js';
import type { MeminfoRead } from '../service/snapshot.js';
import { parseU64 } from '../vmap/geometry.js';
import type { HttpBackend } from './backend.js';
import { sendListing } from './listing.js';
import { CONTENT_TYPE, negotiateFormat } from './negotiate.js';
import type { HttpOptions } from './server.js';
import { vmallocinfoChunks } from './vmallocinfo.js';
import { ERROR_REPLIES, textReply, uint64 } from './schema-parts.js';

/** The MemInfo message as JSON: kB and counts. */
const MEMINFO_JSON = {
  type: 'object',
  required: ['vmalloc_total_kb', 'vmalloc_used_kb', 'vmalloc_chunk_kb', 'vmalloc_lazy_kb', 'nr_areas', 'nr_lazy_areas', 'generation'],
  properties: {
    vmalloc_total_kb: { type: 'integer' },
    vmalloc_used_kb: { type: 'integer', description: 'busy areas, guard pages included' },
    vmalloc_chunk_kb: { type: 'integer', description: 'the largest free block' },
    vmalloc_lazy_kb: { type: 'integer', description: 'lazily freed areas awaiting purge' },
    nr_areas: { type: 'integer' },
    nr_lazy_areas: { type: 'integer' },
    generation: { type: 'integer', description: 'the published snapshot it was read from' },
  },
} as const;

const MEMINFO_SCHEMA = {
  summary: 'How full the space is: /proc/meminfo’s Vmalloc lines',
  description: 'Never waits for writers (in the default snapshot read mode). Text unless JSON is asked for, by ?format=json or Accept.',
  tags: ['reads'],
  querystring: { type: 'object', properties: { format: { type: 'string', enum: ['text', 'json'] } } },
  response: {
    200: { description: 'the numbers', content: { 'text/plain': { schema: { type: 'string' } }, 'application/json': { schema: MEMINFO_JSON } } },
    ...ERROR_REPLIES,
  },
};

function sendMeminfo(req: FastifyRequest, reply: FastifyReply, read: MeminfoRead): void {
  const format = negotiateFormat(req);
  void reply
    .header('vary', 'accept')
    .type(CONTENT_TYPE[format])
    .send(format === 'json' ? read.json : read.text);
}

/**
 * The `limit` of a listing: 0 or absent is every area, as ListAreas and
 * vmapctl read it (one meaning on every edge).
 */
function listingLimit(value: unknown): number {
  if (value === undefined) return Infinity;
  const n = parseU64(value, 'limit');
  return n === 0n ? Infinity : Number(n);
}

/** Registers the read routes: /meminfo, /vmallocinfo, /healthz, /readyz, /metrics. */
export function readRoutes(app: FastifyInstance, backend: HttpBackend, options: HttpOptions, who: (req: FastifyRequest) => Identity): void {
  // Reads are open unless --protect-reads; this hook is not installed otherwise.
  const guardRead = options.protectReads ? { onRequest: async (req: FastifyRequest) => void who(req) } : {};
  const reads = options.metrics.readCounter(backend.readMode, 'http');

  // The hot path: in snapshot mode a read is one Atomics.load and a send of
  // a body rendered when the state was published.
  if (backend.readMode === 'snapshot') {
    app.get('/meminfo', { ...guardRead, schema: MEMINFO_SCHEMA }, (req, reply) => {
      reads.inc();
      sendMeminfo(req, reply, backend.published());
    });
  } else {
    app.get('/meminfo', { ...guardRead, schema: MEMINFO_SCHEMA }, async (req, reply) => {
      reads.inc();
      negotiateFormat(req); // refuse a bad format or Accept before waiting for the walk
      sendMeminfo(req, reply, await backend.readMeminfo());
    });
  }

  const vmallocinfoSchema = {
    summary: 'The areas, in the format of /proc/vmallocinfo',
    description: 'One line per area from `from` on, ascending, streamed; lazily freed areas and other owners’ areas for an admin only.',
    tags: ['reads'],
    querystring: {
      type: 'object',
      properties: { from: uint64('first address to list from (default: the space’s base)'), limit: uint64('most lines; 0 or absent: every area') },
    },
    response: { 200: textReply('the lines'), ...ERROR_REPLIES },
  };
  // The caller is identified before the query is checked: no token is a 401 whatever the query.
  app.get('/vmallocinfo', { schema: vmallocinfoSchema, preValidation: async (req) => void who(req) }, (req, reply) => {
    const identity = who(req);
    const q = req.query as Record<string, unknown>;
    const from = q.from === undefined ? 0n : parseU64(q.from, 'from');
    const limit = listingLimit(q.limit);
    const areas = backend.areas(from, true, identity);
    // A stream with backpressure: a reader that stops reading holds one
    // view of the list and one chunk, never the whole listing or any lock, and only
    // until the stall timeout.
    sendListing(reply, vmallocinfoChunks(areas, limit), CONTENT_TYPE.text, {
      slots: options.listings,
      stallTimeoutMs: options.stallTimeoutMs,
      logger: options.logger,
    });
  });

  // Alive even when overloaded: shedding load is not dying, and a container
  // health check must not restart a busy vmapd (readiness is /readyz).
  const notShed = { config: { pressureHandler: () => undefined } };
  app.get('/healthz', { ...guardRead, ...notShed, schema: { summary: 'Alive (also when overloaded)', tags: ['health'], response: { 200: textReply('ok'), ...ERROR_REPLIES } } }, (_req, reply) => {
    void reply.type(CONTENT_TYPE.text).send('ok\n');
  });

  const readyzSchema = {
    summary: 'Ready to take writes',
    description: '"ready", and on a node of a group its role line; 503 with the reason when writes would fail now (shutting down, the store failed or is full).',
    tags: ['health'],
    response: { 200: textReply('ready'), 503: textReply('not ready: the reason'), ...ERROR_REPLIES },
  };
  app.get('/readyz', { ...guardRead, schema: readyzSchema }, (_req, reply) => {
    const reason = backend.notReadyReason();
    const role = reason === null ? backend.roleLine() : null;
    if (reason === null) void reply.type(CONTENT_TYPE.text).send(role === null ? 'ready\n' : `ready\n${role}\n`);
    else void reply.status(503).type(CONTENT_TYPE.text).send(`not ready: ${reason}\n`);
  });

  const metricsSchema = { summary: 'Prometheus metrics of every thread', tags: ['health'], response: { 200: textReply('the Prometheus text format'), ...ERROR_REPLIES } };
  app.get('/metrics', { ...guardRead, schema: metricsSchema }, async (_req, reply) => {
    const { contentType, body } = await backend.metrics();
    return reply.type(contentType).send(body);
  });
}
