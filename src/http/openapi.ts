/**
 * The HTTP contract as a document, made from the routes' own schemas:
 * `GET /openapi.json` (OpenAPI 3.1, @fastify/swagger) and a page to read it
 * at `/docs` (@fastify/swagger-ui, served from the package: no CDN). Every
 * route must carry a schema with a summary; one that does not stops the
 * server from starting, so the document cannot fall behind the routes.
 */
import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { packageVersion } from '../version.js';
import { JSON_OBJECT, UINT64 } from './validation.js';

/** Where the document is served. */
export const OPENAPI_PATH = '/openapi.json';
/** Where the page that shows it is. */
export const DOCS_PREFIX = '/docs';

/** How a uint64 reads in the document: JSON Schema has no such type. */
const UINT64_DOC = {
  anyOf: [
    // At most 2^64 - 1, which no JSON number of this document can state exactly.
    { type: 'integer', minimum: 0, description: 'at most 18446744073709551615, exact (vmapd reads integers beyond 2^53 exactly)' },
    { type: 'string', pattern: '^(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})$' },
  ],
};

/** `value` with every UINT64 marker written out as UINT64_DOC and JSON_OBJECT (implied by `type: object`) left out: a copy; the validators keep theirs. */
function documented(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(documented);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (k !== UINT64 && k !== JSON_OBJECT) out[k] = documented(v);
  return UINT64 in value ? { ...UINT64_DOC, ...out } : out;
}

/** Registers the document's plugins on `app`: before the routes, which they read as they are added. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  const options: FastifyDynamicSwaggerOptions = {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'vmapd HTTP API',
        version: packageVersion(),
        description:
          'One shared virtual address space, handed out with the Linux kernel’s vmalloc placement rules. ' +
          'The same service speaks gRPC (vmap.v1.Vmap); this is its HTTP edge. Addresses are absolute 64-bit, ' +
          '0x hex or decimal; every error answers with the ErrorBody, naming the field at fault.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token of the tokens file; required for writes and listings when vmapd has one, and for every read under --protect-reads' } } },
      security: [{ bearer: [] }, {}],
    },
    // Shared schemas under their own names (ErrorBody, Area), not def-0, def-1.
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transformObject: (doc) => documented('openapiObject' in doc ? doc.openapiObject : doc.swaggerObject) as ReturnType<NonNullable<FastifyDynamicSwaggerOptions['transformObject']>>,
  };
  await app.register(swagger, options);
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX, staticCSP: true });
  app.get(OPENAPI_PATH, { schema: { summary: 'This document', tags: ['meta'], response: { 200: { description: 'the OpenAPI document', type: 'object', additionalProperties: true } } } }, () => app.swagger());
}

/**
 * Refuses a route without a documented schema (summary and replies), but
 * for those that document nothing on purpose: the page's files and the docs
 * page's own (hidden).
 */
export function requireSchema(route: RouteOptions): void {
  const schema = route.schema as { summary?: unknown; hide?: unknown; response?: unknown } | undefined;
  if (schema?.hide === true) return;
  if (typeof schema?.summary !== 'string' || schema.response === undefined) {
    throw new Error(`route ${String(route.method)} ${route.url} has no documented schema (summary and response)`);
  }
}
