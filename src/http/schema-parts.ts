/**
 * The pieces of the HTTP contract that several routes share: the one error
 * body, an area, a uint64, an address in a path. Shared schemas are added
 * once by $id (`addSharedSchemas`) and referenced as `Name#`; the document
 * (`/openapi.json`) lists them as components.
 */
import type { FastifyInstance } from 'fastify';
import { UINT64 } from './validation.js';

/** A uint64 value: a non-negative integer or a decimal or `0x` hex string (validated by the UINT64 keyword). */
export function uint64(description: string): Record<string, unknown> {
  return { [UINT64]: true, description };
}

/** The error body of every answer that is not a success. */
const ERROR_BODY = {
  $id: 'ErrorBody',
  type: 'object',
  description: "vmapd's one error body",
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'the name of the failure: InvalidArgument, NotFound, OutOfSpace, QuotaExceeded, Unauthenticated, PermissionDenied, Unavailable, Busy, …' },
    message: { type: 'string', description: 'what went wrong, naming the field first when there is one (`size: …`)' },
    field: { type: 'string', description: 'the request field at fault, when there is one' },
    quota: { type: 'object', description: 'the quota that refused a write (QuotaExceeded)', additionalProperties: true },
  },
} as const;

/** An area, as POST /v1/areas and GET /v1/areas/:addr answer it. */
const AREA = {
  $id: 'Area',
  type: 'object',
  required: ['addr', 'size', 'area_size', 'caller', 'owner', 'lazy', 'request_id'],
  properties: {
    addr: { type: 'string', description: 'start address, 0x%016x' },
    size: { type: 'integer', description: 'usable bytes: the request rounded up to pages' },
    area_size: { type: 'integer', description: 'reserved bytes: usable plus the guard page' },
    caller: { type: 'string' },
    owner: { type: 'string' },
    lazy: { type: 'boolean', description: 'freed, awaiting purge' },
    request_id: { type: 'string', description: 'the idempotency key it was allocated with, while busy' },
  },
} as const;

/** Adds the shared schemas to `app` (before any route uses them). */
export function addSharedSchemas(app: FastifyInstance): void {
  app.addSchema(ERROR_BODY);
  app.addSchema(AREA);
}

/** The error answers a route may give, every one with the error body. */
export const ERROR_REPLIES = {
  '4xx': { $ref: 'ErrorBody#', description: 'a refused request: the error body names the failure and the field' },
  '5xx': { $ref: 'ErrorBody#', description: 'vmapd could not serve it now (Unavailable, with Retry-After when shedding load) or failed' },
} as const;

/** An area's address in the path. */
export const ADDRESS_PARAMS = {
  type: 'object',
  required: ['addr'],
  properties: { addr: uint64('an address, 0x hex or decimal') },
} as const;

/** A plain-text answer. */
export function textReply(description: string): Record<string, unknown> {
  return { description, content: { 'text/plain': { schema: { type: 'string' } } } };
}
