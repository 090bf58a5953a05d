import rateLimit, { type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import { LazyValidators } from './lazy-validators.js';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Authenticator, Identity } from '../auth/tokens.js';
import type { ListingSlots } from '../service/listings.js';
import type { EdgeCounters } from '../service/metrics.js';
import type { HttpBackend } from './backend.js';
import { clientErrorHandler, errorHandler, errorNameOf, notFoundHandler } from './errors.js';
import { BODY_LIMIT_BYTES, useLosslessJson } from './json-body.js';
import { registerOpenApi, requireSchema } from './openapi.js';
import { mapRoutes } from './routes-map.js';
import { readRoutes } from './routes-read.js';
import { uiRoutes } from './routes-ui.js';
import { writeKindOf, writeRoutes } from './routes-write.js';
import { addSharedSchemas } from './schema-parts.js';
import { AJV_OPTIONS, schemaError } from './validation.js';

/** Largest request body accepted (defined with the JSON parser that enforces it). */
export { BODY_LIMIT_BYTES } from './json-body.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** @fastify/under-pressure's per-route handler (its types omit it); doing nothing serves the request. */
    pressureHandler?: () => void;
  }
}

/** Options of the HTTP edge. */
export interface HttpOptions {
  readonly logger: Logger;
  /** This thread's counters (the writer sums every thread's into /metrics). */
  readonly metrics: EdgeCounters;
  readonly auth: Authenticator;
  /** Whether /meminfo, /metrics, /healthz and /readyz need a token too. */
  readonly protectReads: boolean;
  /** Write requests per minute per client address. */
  readonly rateLimit: number;
  /** Where those are counted (one table for every thread); default: this instance's memory. */
  readonly rateLimitStore?: FastifyRateLimitStoreCtor;
  /** Mean event-loop delay (ms) beyond which requests are shed with 503. */
  readonly maxEventLoopDelayMs: number;
  /** TLS material (PEM); absent: plain HTTP. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
  /** Listing slots shared with the gRPC edge (--max-listings). */
  readonly listings: ListingSlots;
  /** A /vmallocinfo response whose reader takes nothing for this long is ended (--stall-timeout-ms). */
  readonly stallTimeoutMs: number;
}

/** The methods that serve each route path, and a matcher for `:param` segments, for 405s. */
class RouteTable {
  private readonly routes: { pattern: RegExp; methods: Set<string> }[] = [];

  /** Records that `methods` serve route `url` (fastify's pattern, `:param` segments included). */
  add(url: string, methods: string | string[]): void {
    const pattern = new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+')}$`);
    let route = this.routes.find((r) => r.pattern.source === pattern.source);
    if (route === undefined) this.routes.push((route = { pattern, methods: new Set() }));
    for (const m of Array.isArray(methods) ? methods : [methods]) route.methods.add(m);
  }

  /** The methods that serve request path `path`, sorted; none for a path no route has. */
  allowed(path: string): string[] {
    return [...(this.routes.find((r) => r.pattern.test(path))?.methods ?? [])].sort();
  }
}

/**
 * Builds the HTTP edge (not listening yet): /meminfo and friends, and the
 * curl-friendly write routes. Every answer that is not a success carries
 * vmapd's error body (src/http/errors.ts), fastify's own refusals included.
 */
export async function buildHttp(backend: HttpBackend, options: HttpOptions): Promise<FastifyInstance> {
  const handleError = errorHandler(options.logger);
  // Each route's validators compile at its first request or in the background after the listen (lazy-validators.ts).
  const validators = new LazyValidators();
  const app = Fastify({
    schemaController: { compilersFactory: { buildValidator: validators.buildValidator } },
    loggerInstance: options.logger as FastifyBaseLogger,
    // Never a log line per request: /meminfo may be flooded.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // A client that trickles its request in does not hold a connection forever.
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    clientErrorHandler,
    // The routes' schemas check requests (validation.ts); a refusal is an InvalidArgument naming the field.
    ajv: AJV_OPTIONS,
    schemaErrorFormatter: (errors, dataVar) => schemaError(errors, dataVar),
    // A bad URL or an overlong parameter, refused before any route: counted like the write it was meant to be.
    frameworkErrors: (err, req, reply) => {
      handleError(err, req, reply);
      const kind = writeKindOf(req.method, req.url);
      if (kind !== undefined) options.metrics.write(kind, errorNameOf(reply) ?? 'BadRequest');
    },
    ...(options.tls ? { https: { cert: options.tls.cert, key: options.tls.key } } : {}),
  });
  app.setErrorHandler(handleError);
  // The reply schemas document; replies are written as they are (the tests check them against the document).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  const routes = new RouteTable();
  app.addHook('onRoute', (r) => {
    requireSchema(r);
    routes.add(r.url, r.method);
  });
  addSharedSchemas(app);
  await registerOpenApi(app);
  app.setNotFoundHandler(notFoundHandler((path) => routes.allowed(path)));
  // Writes take JSON only, parsed exactly: anything else is 415, not a string to misread.
  useLosslessJson(app);
  await app.register(underPressure, {
    // 503 (with Retry-After) when the event loop lags this much: the process is overloaded.
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    retryAfter: 1,
  });
  await app.register(rateLimit, { global: false, ...(options.rateLimitStore === undefined ? {} : { store: options.rateLimitStore }) });

  const who = (req: FastifyRequest): Identity => options.auth.identify(req.headers.authorization);
  readRoutes(app, backend, options, who);
  writeRoutes(app, backend, options, who);
  mapRoutes(app, backend, options, who);
  await uiRoutes(app);
  app.addHook('onListen', (done) => {
    validators.compileRest((err) => options.logger.error({ err }, 'a route schema does not compile: its requests are answered 500'));
    done();
  });
  return app;
}
