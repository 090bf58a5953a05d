/**
 * How the HTTP edge checks requests against the routes' JSON schemas (ajv,
 * through fastify), and how a refusal becomes vmapd's error: an
 * InvalidArgument naming the field, like every other. Only the request's
 * shape is checked here (an object, no unknown field, each field's type);
 * what a value means (an alignment that is a power of two, an address inside
 * the space) is the service's to check, for both edges alike.
 */
import type { FastifyServerOptions } from 'fastify';
import { u64 } from '../service/alloc-input.js';
import { InvalidArgument } from '../vmap/errors.js';

/**
 * The schema keyword of a uint64 value: a non-negative integer (exact: the
 * JSON parser keeps integers beyond 2^53 as BigInts) or a decimal or `0x`
 * hex string, at most 2^64 - 1. JSON Schema has no type for that; the
 * document shows it as `anyOf` integer or string (openapi.ts).
 */
export const UINT64 = 'x-uint64';

/**
 * The schema keyword of a JSON object written as one: `{…}` in the text, not
 * a number the parser keeps as an object of its own (a NumberLiteral).
 */
export const JSON_OBJECT = 'x-json-object';

/** What ajv calls a failed check (the fields vmapd reads). */
interface SchemaError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly message?: string;
  readonly params: Record<string, unknown>;
  readonly parentSchema?: { readonly type?: unknown };
}

/** An ajv plugin, as fastify takes them. */
type AjvPlugin = Extract<NonNullable<NonNullable<FastifyServerOptions['ajv']>['plugins']>[number], (...args: never[]) => unknown>;

/** The uint64 keyword: parseU64's rules and message (a JSON number that is no integer shown as it was sent). */
const uint64Keyword: AjvPlugin = (ajv) => {
  const validate = (_schema: boolean, data: unknown): boolean => {
    try {
      u64(data, 'value');
      return true;
    } catch (err) {
      const message = err instanceof InvalidArgument ? err.message.replace(/^value: /, '') : 'must be an unsigned integer';
      validate.errors = [{ keyword: UINT64, message, params: {} }];
      return false;
    }
  };
  validate.errors = null as unknown;
  ajv.addKeyword({ keyword: UINT64, errors: true, validate: validate as never });
  const plain = (_schema: boolean, data: unknown): boolean => {
    if (typeof data === 'object' && data !== null && Object.getPrototypeOf(data) === Object.prototype) return true;
    plain.errors = [{ keyword: JSON_OBJECT, message: 'must be a JSON object', params: {} }];
    return false;
  };
  plain.errors = null as unknown;
  ajv.addKeyword({ keyword: JSON_OBJECT, errors: true, validate: plain as never });
  return ajv;
};

/**
 * ajv as the HTTP edge uses it: nothing coerced (`"true"` is no boolean,
 * `"12"` no number), nothing removed or defaulted behind the client's back,
 * the first refusal only, and the uint64 keyword.
 *
 * The schemas are not checked against JSON Schema's meta-schema as they are
 * compiled (`validateSchema: false`): they are the routes' own constants, the
 * same in every run, so test/http/openapi.test.ts checks each of them (as the
 * OpenAPI document carries them) against the meta-schema once, and a start
 * does not compile the meta-schema's validator (about 55 ms of an HTTP
 * thread's CPU, more than twice that on a start that has three threads busy
 * on two cores, and on the path from spawn to "vmapd listening"). Strict mode
 * still refuses an unknown keyword or type at compile time.
 */
export const AJV_OPTIONS: NonNullable<FastifyServerOptions['ajv']> = {
  customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: false, allErrors: false, validateSchema: false },
  plugins: [uint64Keyword],
};

/** `type` of a schema as a message says it: "a string", "a boolean", … (null is never what is asked for). */
function typeWanted(type: unknown): string {
  const types = (Array.isArray(type) ? type : [type]).filter((t) => t !== 'null');
  const article = (t: unknown): string => (t === 'integer' ? 'an integer' : t === 'object' ? 'a JSON object' : t === 'array' ? 'an array' : `a ${String(t)}`);
  return types.map(article).join(' or ');
}

/** The field a refusal is about: the property's path, `body` (or the part) for the whole of it. */
function fieldOf(e: SchemaError, part: string): string {
  if (e.keyword === 'additionalProperties') return String(e.params.additionalProperty).slice(0, 64);
  const path = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (e.keyword === 'required') return (path === '' ? '' : path + '.') + String(e.params.missingProperty);
  return path === '' ? part : path;
}

function messageOf(e: SchemaError): string {
  switch (e.keyword) {
    case 'additionalProperties':
      return 'unknown field';
    case 'required':
      return 'is required';
    case 'type':
      return `must be ${typeWanted(e.params.type)}`;
    default:
      return e.message ?? 'is not valid';
  }
}

/**
 * fastify's schemaErrorFormatter: the first refusal as an InvalidArgument
 * naming its field (`body` when the body is no object at all).
 */
export function schemaError(errors: readonly SchemaError[], part: string): Error {
  const e = errors[0];
  if (e === undefined) return new InvalidArgument(part, 'is not valid');
  return new InvalidArgument(fieldOf(e, part === 'querystring' ? 'query' : part), messageOf(e));
}
