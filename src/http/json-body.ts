import type { FastifyInstance, FastifyRequest } from 'fastify';
import sjson from 'secure-json-parse';
import { NumberLiteral } from '../service/alloc-input.js';
import { InvalidArgument, messageOf } from '../vmap/errors.js';
import { HttpError } from './errors.js';

/** Largest request body accepted: an alloc request is a few hundred bytes. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Deepest nesting of arrays and objects accepted. No vmapd request nests at
 * all; the cap is there because JSON.parse walks a reviver recursively, and a
 * body of 64 KiB of `[` must be a 400, not a stack overflow.
 */
export const MAX_BODY_DEPTH = 64;

/** Digits beyond which an integer written with an exponent (`1e999999999`) is kept as text, not expanded. */
const MAX_INTEGER_DIGITS = 400;

const NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/**
 * The exact value of the JSON number `source`: a number when it is a safe
 * integer, a BigInt when it is a larger integer (in any notation: `4096.0`
 * and `1E3` are integers too), and a NumberLiteral of the text otherwise.
 * JSON.parse alone would round `18446744073709551615` to 2^64.
 */
function exactNumber(source: string, value: number): number | bigint | NumberLiteral {
  if (Number.isSafeInteger(value) && /^-?\d+$/.test(source)) return value;
  const m = NUMBER.exec(source);
  if (m === null) return new NumberLiteral(source);
  const [, sign = '', whole = '', fraction = '', exponent = '0'] = m;
  const significant = (whole + fraction).replace(/^0+/, '');
  if (significant === '') return value; // a zero, however written
  // value = significant × 10^shift; trailing zeros may pay for a negative shift.
  const zeros = significant.length - significant.replace(/0+$/, '').length;
  const scale = Number(exponent) - fraction.length;
  const dropped = scale < 0 ? Math.min(zeros, -scale) : 0;
  const digits = significant.slice(0, significant.length - dropped);
  const shift = scale + dropped;
  if (shift < 0 || digits.length + shift > MAX_INTEGER_DIGITS) return new NumberLiteral(source);
  const n = BigInt(sign + digits + '0'.repeat(shift));
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** The reviver: every number exact (see exactNumber). Node 22+ passes each primitive's source text. */
function lossless(_key: string, value: unknown, context?: { source?: string }): unknown {
  return typeof value === 'number' && context?.source !== undefined ? exactNumber(context.source, value) : value;
}

/** Whether `text` nests arrays and objects deeper than `max`; strings are skipped. */
function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Parses a JSON request body exactly: integers beyond 2^53 become BigInts,
 * so that parseU64 and every message see the digits the client sent.
 * secure-json-parse still refuses `__proto__` and `constructor.prototype`
 * keys, as fastify's own parser did.
 *
 * @throws HttpError 400 MalformedJson for an empty body or one that is no JSON
 * @throws InvalidArgument naming `body` for one that nests too deeply or holds prototype keys
 */
export function parseJsonBody(text: string): unknown {
  if (text.replace(/^\ufeff/, '').trim() === '') {
    throw new HttpError(400, 'MalformedJson', 'the body is empty; send a JSON object');
  }
  if (nestsDeeperThan(text, MAX_BODY_DEPTH)) throw new InvalidArgument('body', `must not nest more than ${MAX_BODY_DEPTH} levels deep`);
  try {
    return sjson.parse(text, lossless as (this: unknown, key: string, value: unknown) => unknown, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    if (err instanceof SyntaxError && /forbidden prototype property/.test(err.message)) {
      throw new InvalidArgument('body', 'must not hold __proto__ or constructor.prototype keys');
    }
    throw new HttpError(400, 'MalformedJson', `the body is not valid JSON: ${messageOf(err)}`);
  }
}

/**
 * Replaces fastify's JSON parser by parseJsonBody, for application/json
 * (with any parameters), within the server's body limit. Every other media
 * type stays unparsed, and a body of one is a 415.
 */
export function useLosslessJson(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_req: FastifyRequest, body: string | Buffer, done) => {
    try {
      done(null, parseJsonBody(typeof body === 'string' ? body : body.toString('utf8')));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}
