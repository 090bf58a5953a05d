import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { errorData } from '../vmap/errors.js';

/**
 * The one mapping from vmapd's error codes to HTTP statuses and the name the
 * error body's `error` gives them (a contract: clients match on it).
 */
export const HTTP_STATUS: Readonly<Record<string, { readonly status: number; readonly name: string }>> = {
  VMAP_ERR_INVALID_ARGUMENT: { status: 400, name: 'InvalidArgument' },
  VMAP_ERR_NO_SUCH_AREA: { status: 404, name: 'NoSuchArea' },
  VMAP_ERR_OUT_OF_SPACE: { status: 507, name: 'OutOfSpace' },
  VMAP_ERR_UNAVAILABLE: { status: 503, name: 'Unavailable' },
  VMAP_ERR_STORE_FAILURE: { status: 503, name: 'Unavailable' },
  VMAP_ERR_UNAUTHENTICATED: { status: 401, name: 'Unauthenticated' },
  VMAP_ERR_PERMISSION_DENIED: { status: 403, name: 'PermissionDenied' },
  // gRPC's RESOURCE_EXHAUSTED is HTTP 429 for a quota, as in Google's API mapping.
  VMAP_ERR_QUOTA_EXCEEDED: { status: 429, name: 'QuotaExceeded' },
  VMAP_ERR_BUSY: { status: 503, name: 'Busy' },
  VMAP_ERR_DEADLINE_EXCEEDED: { status: 504, name: 'DeadlineExceeded' },
  VMAP_ERR_INTERNAL: { status: 500, name: 'Internal' },
};

/** The JSON body of every HTTP error. */
export interface ErrorBody {
  /** The failure kind (`InvalidArgument`, `NoSuchArea`, …) or the HTTP reason (`PayloadTooLarge`, …). */
  error: string;
  message: string;
  /** The request field at fault, for InvalidArgument. */
  field?: string;
  /** The quota at fault, for QuotaExceeded. */
  quota?: string;
}

/**
 * A refusal of the HTTP edge itself, with no vmapd kind behind it (a body
 * that is no JSON, a media type we cannot produce): its status and the name
 * its error body carries.
 */
export class HttpError extends Error {
  /**
   * @param status the HTTP status
   * @param error the error body's `error`
   */
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
    this.name = error;
  }
}

/**
 * The name an error body gives a bare HTTP status: the reason phrase in
 * PascalCase (`PayloadTooLarge`, `UnsupportedMediaType`, `TooManyRequests`),
 * except 503, which is vmapd's own `Unavailable` whoever sheds the load.
 */
export function statusName(status: number): string {
  if (status === 503) return 'Unavailable';
  const phrase = STATUS_CODES[status] ?? `Status${status}`;
  return phrase.replace(/[^A-Za-z0-9 ]/g, '').replace(/(?:^| )(\w)/g, (_m, c: string) => c.toUpperCase());
}

/** fastify's messages that say too little for a client to fix its request, by error code. */
function fastifyMessage(err: FastifyError, req: FastifyRequest): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `${err.message}; send the body as application/json`;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `the request body is larger than ${req.routeOptions.bodyLimit} bytes`;
    default:
      return err.message;
  }
}

/** The error name each reply was answered with, for the write counters; set by sendError. */
const answered = new WeakMap<FastifyReply, string>();

/** The `error` of the error body `reply` was answered with, or undefined if it was no error. */
export function errorNameOf(reply: FastifyReply): string | undefined {
  return answered.get(reply);
}

/** Answers `reply` with vmapd's error body. */
export function sendError(reply: FastifyReply, status: number, body: ErrorBody): void {
  answered.set(reply, body.error);
  void reply.status(status).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/**
 * The one handler of errors on the HTTP edge. vmapd's own errors by code
 * (HTTP_STATUS), also when they crossed a thread as plain data; the edge's HttpErrors as they say; fastify's and its
 * plugins' deliberate answers (body too large, wrong content type, rate
 * limit, load shedding, a bad URL) keep their status and get its name;
 * anything else is a bug, answered 500 with a generic message.
 */
export function errorHandler(logger: Logger) {
  return (err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void => {
    const data = errorData(err);
    const known = data === undefined ? undefined : HTTP_STATUS[data.code];
    if (data !== undefined && known !== undefined) {
      const body: ErrorBody = { error: known.name, message: data.message };
      if (data.field !== undefined) body.field = data.field;
      if (data.quota !== undefined) body.quota = data.quota;
      if (data.code === 'VMAP_ERR_UNAUTHENTICATED') void reply.header('www-authenticate', 'Bearer');
      if (data.code === 'VMAP_ERR_BUSY') void reply.header('retry-after', '1');
      sendError(reply, known.status, body);
    } else if (err instanceof HttpError) {
      sendError(reply, err.status, { error: err.error, message: err.message });
    } else if ('statusCode' in err && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 && err.statusCode !== 500) {
      sendError(reply, err.statusCode, { error: statusName(err.statusCode), message: fastifyMessage(err as FastifyError, req) });
    } else {
      logger.error({ err }, 'request failed');
      sendError(reply, 500, { error: 'Internal', message: 'internal error' });
    }
  };
}

/**
 * The answer to a request no route takes: 405 (with Allow) when the path is
 * served with other methods, else 404. `allowed` gives the methods that
 * serve a path.
 */
export function notFoundHandler(allowed: (path: string) => readonly string[]) {
  return (req: FastifyRequest, reply: FastifyReply): void => {
    const path = req.url.split('?', 1)[0] ?? '';
    const shown = JSON.stringify(path.slice(0, 100));
    const methods = allowed(path);
    if (methods.length > 0) {
      void reply.header('allow', methods.join(', '));
      sendError(reply, 405, { error: statusName(405), message: `${req.method} is not served on ${shown}; use ${methods.join(' or ')}` });
    } else {
      sendError(reply, 404, { error: 'NotFound', message: `no route serves ${req.method} ${shown}` });
    }
  };
}

/**
 * fastify's clientErrorHandler for requests that never became one (a broken
 * request line, headers too large, a timeout): the same status fastify would
 * give, with vmapd's error body, written on the raw socket.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
  const message = status === 408 ? 'the request did not arrive in time' : status === 431 ? 'the request headers are too large' : 'the request is not valid HTTP/1.1';
  const body = JSON.stringify({ error: statusName(status), message } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
