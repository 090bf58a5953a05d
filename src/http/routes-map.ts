import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Identity } from '../auth/tokens.js';
import { mapViewer } from '../service/map-view.js';
import { parseU64 } from '../vmap/geometry.js';
import type { HttpBackend } from './backend.js';
import { HttpError } from './errors.js';
import { EVENT_STREAM_HEADERS, EventStreams } from './event-stream.js';
import { CONTENT_TYPE } from './negotiate.js';
import type { HttpOptions } from './server.js';

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

  app.get('/v1/map', guardRead, (req, reply) => {
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
  app.get('/v1/events', guardRead, (_req, reply) => {
    if (streams.isClosed) throw new HttpError(503, 'Unavailable', 'vmapd is shutting down');
    reply.hijack();
    streams.add(reply.raw.writeHead(200, EVENT_STREAM_HEADERS));
  });
}
