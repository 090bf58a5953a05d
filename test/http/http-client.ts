/**
 * Small HTTP helpers for the HTTP edge's tests: requests with a JSON or raw
 * body, the error body's shape, and the state a rejected request must leave.
 */
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/server.js';

/** POSTs `body` (a string as it is, anything else as JSON) to `path`. */
export function post(s: TestServer, path: string, body: unknown, contentType = 'application/json'): Promise<Response> {
  return fetch(`${s.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The fields an HTTP error body may have (src/http/errors.ts ErrorBody). */
const ERROR_FIELDS = new Set(['error', 'message', 'field', 'quota']);

/** What an error answer said. */
export interface ErrorAnswer {
  readonly error: string;
  readonly message: string;
  readonly field?: string;
  readonly quota?: string;
}

/** Asserts that `res` is an error with `status` and vmapd's error body named `error`; returns the body. */
export async function expectError(res: Response, status: number, error: string, what = ''): Promise<ErrorAnswer> {
  const text = await res.text();
  assert.equal(res.status, status, `${what}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, `${what}: content type`);
  const body = JSON.parse(text) as Record<string, unknown>;
  for (const key of Object.keys(body)) assert.ok(ERROR_FIELDS.has(key), `${what}: unexpected key ${key} in ${text}`);
  assert.equal(typeof body.message, 'string', `${what}: message`);
  assert.equal(body.error, error, `${what}: ${text}`);
  return body as unknown as ErrorAnswer;
}

/** /meminfo as JSON text: equal before and after a request means the request changed nothing (its generation included). */
export async function meminfoText(s: TestServer): Promise<string> {
  const res = await fetch(`${s.httpUrl}/meminfo?format=json`);
  assert.equal(res.status, 200);
  return res.text();
}
