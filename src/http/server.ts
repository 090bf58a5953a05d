import { Readable } from 'node:stream';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { VmapMetrics } from '../service/metrics.js';
import { ALLOC_REQUEST_FIELDS, parseAllocInput } from '../service/alloc-input.js';
import { ANONYMOUS_OWNER, type MeminfoRead, type VmapService } from '../service/vmap-service.js';
import { InvalidArgument, NoSuchArea } from '../vmap/errors.js';
import { parseU64 } from '../vmap/geometry.js';
import { PAGE_SIZE } from '../vmap/page.js';
import type { VmapArea } from '../vmap/vmap-area.js';
import { errorHandler } from './errors.js';
import { vmallocinfoChunks } from './vmallocinfo.js';

/** Options of the HTTP edge. */
export interface HttpOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly logger: Logger;
  readonly metrics: VmapMetrics;
  /** Why the service cannot take writes now, or null when it can (for /readyz). */
  readonly ready: () => string | null;
}

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


/** Builds the HTTP edge (not listening yet): /meminfo and friends, and the curl-friendly write routes. */
export function buildHttp(service: VmapService, options: HttpOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    // Never a log line per request: /meminfo may be flooded.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setErrorHandler(errorHandler(options.logger));
  // Writes take JSON only: anything else is 415, not a string to misread.
  app.removeContentTypeParser('text/plain');
  const reads = options.metrics.readCounter(service.readMode, 'http');

  // The hot path: in snapshot mode a read is a pointer load and a send of a
  // body rendered when the snapshot was published.
  if (service.readMode === 'snapshot') {
    app.get('/meminfo', (req, reply) => {
      reads.inc();
      sendMeminfo(req, reply, service.snapshot());
    });
  } else {
    app.get('/meminfo', async (req, reply) => {
      reads.inc();
      sendMeminfo(req, reply, await service.readMeminfo());
    });
  }

  app.get('/vmallocinfo', (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const from = q.from === undefined ? 0n : parseU64(q.from, 'from');
    const limit = q.limit === undefined ? Infinity : Number(parseU64(q.limit, 'limit'));
    const areas = service.areas(service.snapshot(), from, true);
    void reply.type(TEXT).send(Readable.from(vmallocinfoChunks(service.geometry, areas, limit)));
  });

  app.post('/v1/areas', async (req, reply) => {
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new InvalidArgument('body', 'must be a JSON object with the AllocRequest fields');
    }
    const fields = body as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      if (!ALLOC_REQUEST_FIELDS.has(key)) throw new InvalidArgument(key, 'unknown field');
    }
    const area = await service.alloc(parseAllocInput(fields, ANONYMOUS_OWNER));
    return reply.status(201).send(areaJson(service, area));
  });

  app.delete('/v1/areas/:addr', async (req) => {
    const { addr } = req.params as { addr: string };
    const { area, purged } = await service.free(parseU64(addr, 'addr'));
    return { freed_bytes: service.describe(area).areaSize, purged: purged !== null };
  });

  app.get('/v1/areas/:addr', (req) => {
    const { addr } = req.params as { addr: string };
    const a = parseU64(addr, 'addr');
    const va = service.find(a);
    if (va === undefined) throw new NoSuchArea(`no busy area contains 0x${a.toString(16)}`);
    return areaJson(service, va);
  });

  app.post('/v1/purge', async () => {
    const r = await service.purge();
    return { purged_areas: r.areas, purged_bytes: r.pages * PAGE_SIZE };
  });

  app.get('/healthz', (_req, reply) => {
    void reply.type(TEXT).send('ok\n');
  });

  app.get('/readyz', (_req, reply) => {
    const reason = options.ready();
    if (reason === null) void reply.type(TEXT).send('ready\n');
    else void reply.status(503).type(TEXT).send(`not ready: ${reason}\n`);
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await options.metrics.registry.metrics();
    return reply.type(options.metrics.registry.contentType).send(body);
  });

  return app;
}
