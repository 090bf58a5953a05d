import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { VmapError } from '../vmap/errors.js';

const STATUS: Record<VmapError['kind'], number> = {
  InvalidArgument: 400,
  NoSuchArea: 404,
  OutOfSpace: 507,
  Unavailable: 503,
  Unauthenticated: 401,
  PermissionDenied: 403,
  // gRPC's RESOURCE_EXHAUSTED is HTTP 429 for a quota, as in Google's API mapping.
  QuotaExceeded: 429,
  Busy: 503,
  DeadlineExceeded: 504,
};

/** The JSON body of every HTTP error. */
export interface ErrorBody {
  /** The failure kind (`InvalidArgument`, `NoSuchArea`, …) or the HTTP reason. */
  error: string;
  message: string;
  /** The request field at fault, for InvalidArgument. */
  field?: string;
  /** The quota at fault, for QuotaExceeded. */
  quota?: string;
}

/**
 * The one mapping from vmapd's errors to HTTP statuses. fastify's own
 * deliberate errors (bad JSON, wrong content type, body too large, rate
 * limit, load shedding) keep their status; anything else is a bug, answered
 * 500 with a generic message.
 */
export function errorHandler(logger: Logger) {
  return (err: FastifyError | Error, _req: FastifyRequest, reply: FastifyReply): void => {
    let status: number;
    let body: ErrorBody;
    if (err instanceof VmapError) {
      status = STATUS[err.kind];
      body = { error: err.kind, message: err.message };
      if ('field' in err && typeof err.field === 'string') body.field = err.field;
      if ('quota' in err && typeof err.quota === 'string') body.quota = err.quota;
      if (err.kind === 'Unauthenticated') void reply.header('www-authenticate', 'Bearer');
      if (err.kind === 'Busy') void reply.header('retry-after', '1');
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 && err.statusCode !== 500) {
      // fastify's and its plugins' deliberate answers: bad JSON (400), wrong
      // content type (415), body too large (413), rate limit (429), load shed (503).
      status = err.statusCode;
      body = { error: status >= 500 ? 'Unavailable' : 'BadRequest', message: err.message };
    } else {
      logger.error({ err }, 'request failed');
      status = 500;
      body = { error: 'Internal', message: 'internal error' };
    }
    void reply.status(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
  };
}
