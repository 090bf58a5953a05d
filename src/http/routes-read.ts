import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../auth/tokens.js';
import type { MeminfoRead } from '../service/snapshot.js';
import { parseU64 } from '../vmap/geometry.js';
import type { HttpBackend } from './backend.js';
import { sendListing } from './listing.js';
import { CONTENT_TYPE, negotiateFormat } from './negotiate.js';
import type { HttpOptions } from './server.js';
import { vmallocinfoChunks } from './vmallocinfo.js';

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
    app.get('/meminfo', guardRead, (req, reply) => {
      reads.inc();
      sendMeminfo(req, reply, backend.published());
    });
  } else {
    app.get('/meminfo', guardRead, async (req, reply) => {
      reads.inc();
      negotiateFormat(req); // refuse a bad format or Accept before waiting for the walk
      sendMeminfo(req, reply, await backend.readMeminfo());
    });
  }

  app.get('/vmallocinfo', (req, reply) => {
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
  app.get('/healthz', { ...guardRead, ...notShed }, (_req, reply) => {
    void reply.type(CONTENT_TYPE.text).send('ok\n');
  });

  app.get('/readyz', guardRead, (_req, reply) => {
    const reason = backend.notReadyReason();
    const role = reason === null ? backend.roleLine() : null;
    if (reason === null) void reply.type(CONTENT_TYPE.text).send(role === null ? 'ready\n' : `ready\n${role}\n`);
    else void reply.status(503).type(CONTENT_TYPE.text).send(`not ready: ${reason}\n`);
  });

  app.get('/metrics', guardRead, async (_req, reply) => {
    const { contentType, body } = await backend.metrics();
    return reply.type(contentType).send(body);
  });
}
