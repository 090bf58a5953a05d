import { Readable } from 'node:stream';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Authenticator, Identity } from '../auth/tokens.js';
import { ALLOC_REQUEST_FIELDS, parseAllocInput } from '../service/alloc-input.js';
import type { ListingSlots } from '../service/listings.js';
import type { VmapMetrics } from '../service/metrics.js';
import type { MeminfoRead, VmapService } from '../service/vmap-service.js';
import { InvalidArgument, NoSuchArea } from '../vmap/errors.js';
import { hex, parseU64 } from '../vmap/geometry.js';
import { PAGE_SIZE } from '../vmap/page.js';
import type { VmapArea } from '../vmap/vmap-area.js';
import { errorHandler } from './errors.js';
import { vmallocinfoChunks } from './vmallocinfo.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** @fastify/under-pressure's per-route handler (its types omit it); doing nothing serves the request. */
    pressureHandler?: () => void;
  }
}

/** Options of the HTTP edge. */
export interface HttpOptions {
  readonly logger: Logger;
  readonly metrics: VmapMetrics;
  readonly auth: Authenticator;
  /** Whether /meminfo, /metrics, /healthz and /readyz need a token too. */
  readonly protectReads: boolean;
  /** Write requests per minute per client address. */
  readonly rateLimit: number;
  /** Mean event-loop delay (ms) beyond which requests are shed with 503. */
  readonly maxEventLoopDelayMs: number;
  /** Why the service cannot take writes now, or null when it can (for /readyz). */
  readonly ready: () => string | null;
  /** TLS material (PEM); absent: plain HTTP. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Listing slots shared with the gRPC edge (--max-listings). */
  readonly listings: ListingSlots;
  /** A /vmallocinfo response whose reader takes nothing for this long is ended (--stall-timeout-ms). */
  readonly stallTimeoutMs: number;
}

/** Largest request body accepted: an alloc request is a few hundred bytes. */
export const BODY_LIMIT_BYTES = 64 * 1024;

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

function wantsJson(req: FastifyRequest): boolean {
  const q = req.query as { format?: string } | undefined;
  if (q?.format === 'json') return true;
  const accept = req.headers.accept;
  return accept !== undefined && accept.includes('application/json');
}

function sendMeminfo(req: FastifyRequest, reply: FastifyReply, read: MeminfoRead): void {
  if (wantsJson(req)) void reply.type(JSON_TYPE).send(read.json);
  else void reply.type(TEXT).send(read.text);
}

function areaJson(service: VmapService, va: VmapArea): Record<string, unknown> {
  const d = service.describe(va);
  return {
    addr: service.geometry.hexOf(va.start),
    size: d.size,
    area_size: d.areaSize,
    caller: va.caller,
    owner: va.owner,
    lazy: va.lazy,
    request_id: va.requestId,
  };
}

/**
 * Builds the HTTP edge (not listening yet): /meminfo and friends, and the
 * curl-friendly write routes.
 */
export async function buildHttp(service: VmapService, options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Never a log line per request: /meminfo may be flooded.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // A client that trickles its request in does not hold a connection forever.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  });
  app.setErrorHandler(errorHandler(options.logger));
  // Writes take JSON only: anything else is 415, not a string to misread.
  app.removeContentTypeParser('text/plain');
  await app.register(underPressure, {
    // 503 (with Retry-After) when the event loop lags this much: the process is overloaded.
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    retryAfter: 1,
  });
  await app.register(rateLimit, { global: false });
  const writeLimit = { rateLimit: { max: options.rateLimit, timeWindow: '1 minute' } };

  const who = (req: FastifyRequest): Identity => options.auth.identify(req.headers.authorization);
  // Reads are open unless --protect-reads; this hook is not installed otherwise.
  const guardRead = options.protectReads ? { onRequest: async (req: FastifyRequest) => void who(req) } : {};
  const reads = options.metrics.readCounter(service.readMode, 'http');

  // The hot path: in snapshot mode a read is a pointer load and a send of a
  // body rendered when the snapshot was published.
  if (service.readMode === 'snapshot') {
    app.get('/meminfo', guardRead, (req, reply) => {
      reads.inc();
      sendMeminfo(req, reply, service.snapshot());
    });
  } else {
    app.get('/meminfo', guardRead, async (req, reply) => {
      reads.inc();
      sendMeminfo(req, reply, await service.readMeminfo());
    });
  }

  app.get('/vmallocinfo', (req, reply) => {
    const identity = who(req);
    const q = req.query as Record<string, unknown>;
    const from = q.from === undefined ? 0n : parseU64(q.from, 'from');
    const limit = q.limit === undefined ? Infinity : Number(parseU64(q.limit, 'limit'));
    const areas = service.areas(service.snapshot(), from, true, identity);
    // A stream with backpressure: a reader that stops reading holds one
    // snapshot and one chunk, never the whole listing or any lock.
    void reply.type(TEXT).send(Readable.from(vmallocinfoChunks(service.geometry, areas, limit)));
  });

  app.post('/v1/areas', { config: writeLimit }, async (req, reply) => {
    const identity = who(req);
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidArgument('body', 'must be a JSON object with the AllocRequest fields');
    }
    const fields = body as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (!ALLOC_REQUEST_FIELDS.has(key)) throw new InvalidArgument(key.slice(0, 64), 'unknown field');
    }
    const area = await service.alloc(parseAllocInput(fields, identity.owner), { identity });
    return reply.status(201).send(areaJson(service, area));
  });

  app.delete('/v1/areas/:addr', { config: writeLimit }, async (req) => {
    const identity = who(req);
    const { addr } = req.params as { addr: string };
    const { area, purged } = await service.free(parseU64(addr, 'addr'), { identity });
    return { freed_bytes: service.describe(area).areaSize, purged: purged !== null };
  });

  app.get('/v1/areas/:addr', (req) => {
    const identity = who(req);
    const { addr } = req.params as { addr: string };
    const a = parseU64(addr, 'addr');
    const va = service.find(a, identity);
    if (va === undefined) throw new NoSuchArea(`no busy area of yours contains ${hex(a)}`);
    return areaJson(service, va);
  });

  app.post('/v1/purge', { config: writeLimit }, async (req) => {
    const identity = who(req);
    const r = await service.purge({ identity });
    return { purged_areas: r.areas, purged_bytes: r.pages * PAGE_SIZE };
  });

  // Alive even when overloaded: shedding load is not dying, and a container
  // health check must not restart a busy vmapd (readiness is /readyz).
  const notShed = { config: { pressureHandler: () => undefined } };
  app.get('/healthz', { ...guardRead, ...notShed }, (_req, reply) => {
    void reply.type(TEXT).send('ok\n');
  });

  app.get('/readyz', guardRead, (_req, reply) => {
    const reason = options.ready();
    if (reason === null) void reply.type(TEXT).send('ready\n');
    else void reply.status(503).type(TEXT).send(`not ready: ${reason}\n`);
  });

  app.get('/metrics', guardRead, async (_req, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });

  return app;
}
