/**
 * What the model predicts an HTTP request answers: how the edge reads a JSON
 * body (and which bodies it refuses before any handler), the outcome of an
 * Alloc with a body, and why an actual answer is not the predicted one.
 */
import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import type { VmapArea } from '../../src/vmap/vmap-area.js';
import { HTTP_STATUS, type Outcome, type Who } from './contract.js';
import type { HttpResult } from './raw-clients.js';
import type { ServiceModel } from './service-model.js';

/** Whether secure-json-parse (fastify's JSON parser) refuses `v`: `__proto__` or `constructor.prototype` keys. */
function poisoned(value: unknown): boolean {
  // Iterative: bodies nest thousands deep.
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    for (const [k, x] of Object.entries(v)) {
      if (k === '__proto__') return true;
      if (k === 'constructor' && x !== null && typeof x === 'object' && Object.prototype.hasOwnProperty.call(x, 'prototype')) return true;
      stack.push(x);
    }
  }
  return false;
}

/** Whether `text` nests arrays and objects more than 64 deep (strings skipped): refused as InvalidArgument body. */
function tooDeep(text: string): boolean {
  let depth = 0;
  for (let i = 0, inString = false; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (++depth > 64) return true;
    } else if (c === ']' || c === '}') depth--;
  }
  return false;
}

/** Integers beyond 2^53 exactly, as BigInts: the HTTP edge parses bodies losslessly. */
function exactIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  const source = context?.source;
  return typeof value === 'number' && !Number.isSafeInteger(value) && source !== undefined && /^-?[0-9]+$/.test(source) ? BigInt(source) : value;
}

/**
 * How the HTTP edge reads a JSON body: the value; 'bad' (empty, not JSON:
 * 400 MalformedJson); or 'refused' (nesting over 64 deep, or poisoned: 400
 * InvalidArgument naming body).
 */
export function parseJsonBody(text: string): { value: unknown } | 'bad' | 'refused' {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (t.trim() === '') return 'bad';
  // The edge checks depth before syntax: a deep body is refused so even when malformed.
  if (tooDeep(t)) return 'refused';
  try {
    const value: unknown = JSON.parse(t, exactIntegers as (key: string, value: unknown) => unknown);
    return poisoned(value) ? 'refused' : { value };
  } catch {
    return 'bad';
  }
}

/** Why an HTTP answer is not the predicted one, or null if it is. */
export function httpMismatch<T>(res: HttpResult, o: Outcome<T>, okStatus: number, value: (v: T) => unknown): string | null {
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  if (o.ok) {
    if (res.status !== okStatus) return `expected ${okStatus}, got ${res.status} ${res.body.slice(0, 200)}`;
    return isDeepStrictEqual(body, value(o.value)) ? null : `expected ${fc.stringify(value(o.value))}, got ${res.body.slice(0, 300)}`;
  }
  if (res.status !== HTTP_STATUS[o.kind] || body?.error !== o.kind) return `expected ${HTTP_STATUS[o.kind]} ${o.kind}, got ${res.status} ${res.body.slice(0, 200)}`;
  if (o.kind === 'InvalidArgument' && !o.fields!.includes(String(body.field))) return `field ${String(body.field)} not among ${o.fields!.join(', ')}`;
  if (o.kind === 'Unauthenticated' && res.headers['www-authenticate'] !== 'Bearer') return 'a 401 without WWW-Authenticate: Bearer';
  return null;
}

/** The error names of the refusals before any handler, by status. */
const REFUSALS: Record<number, readonly string[]> = { 400: ['MalformedJson', 'BadRequest'], 413: ['PayloadTooLarge'], 415: ['UnsupportedMediaType'] };

/** A fastify-level refusal (bad JSON, body too large, media type): a 4xx before any handler, with its own name. */
export function fastifyRefusal(res: HttpResult, statuses: readonly number[]): boolean {
  if (!statuses.includes(res.status)) return false;
  try {
    const body = JSON.parse(res.body) as { error?: unknown };
    return (REFUSALS[res.status] ?? []).includes(String(body.error));
  } catch {
    return false;
  }
}

/** The refusal of a body that nests too deep or holds prototype keys: 400 InvalidArgument naming body. */
export function bodyRefusal(res: HttpResult): boolean {
  return httpMismatch(res, { ok: false, kind: 'InvalidArgument', fields: ['body'] }, 0, () => null) === null;
}

/** The outcome of a POST /v1/areas whose body fastify read as `body`, on `model`. */
export function predictAlloc(model: ServiceModel, body: unknown, who: Who | undefined): Outcome<VmapArea> {
  if (who === undefined) return { ok: false, kind: 'Unauthenticated' };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, kind: 'InvalidArgument', fields: ['body'] };
  const unknown = Object.keys(body).filter((k) => !['size', 'align', 'vstart', 'vend', 'no_guard', 'caller', 'request_id'].includes(k));
  if (unknown.length > 0) return { ok: false, kind: 'InvalidArgument', fields: unknown.map((k) => k.slice(0, 64)) };
  return model.alloc(body as Record<string, unknown>, who);
}
