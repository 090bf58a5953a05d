import type { FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import { InvalidArgument } from '../vmap/errors.js';
import { HttpError } from './errors.js';

/** How a read that has both renderings answers. */
export type Format = 'text' | 'json';

/** Media types of the renderings, in order of preference when the client likes both alike. */
const MEDIA_TYPES = ['text/plain', 'application/json'] as const;

/** The content type each rendering is sent with. */
export const CONTENT_TYPE: Record<Format, string> = {
  text: 'text/plain; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

/**
 * The rendering `req` asks for: `?format=text|json` when given, else the
 * Accept header negotiated with its q-values. No Accept, an empty one or
 * any type (`*\/*`) is the default text without negotiating: /meminfo may be
 * flooded, and most readers send one of those.
 *
 * @throws InvalidArgument naming `format` for another format
 * @throws HttpError 406 when Accept admits neither rendering
 */
export function negotiateFormat(req: FastifyRequest): Format {
  const format = (req.query as { format?: unknown } | undefined)?.format;
  if (format !== undefined) {
    if (format === 'text' || format === 'json') return format;
    const shown = typeof format === 'string' ? JSON.stringify(format.slice(0, 40)) : 'several values';
    throw new InvalidArgument('format', `must be "text" or "json", got ${shown}`);
  }
  const accept = req.headers.accept;
  if (accept === undefined || accept === '' || accept === '*/*') return 'text';
  const best = new Negotiator({ headers: { accept } }).mediaType([...MEDIA_TYPES]);
  if (best === 'application/json') return 'json';
  if (best === 'text/plain') return 'text';
  throw new HttpError(406, 'NotAcceptable', `cannot answer in any type that Accept admits (${JSON.stringify(accept.slice(0, 100))}); available: ${MEDIA_TYPES.join(', ')}`);
}
