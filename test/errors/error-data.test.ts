/**
 * Errors cross threads as plain data: every error code comes out of each
 * edge's one mapping module with the same status, message and field whether
 * the edge sees the error itself, its data after a structured clone (as a
 * MessagePort passes it), or the error rebuilt from that data.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { pino } from 'pino';
import { PermissionDenied, Unauthenticated } from '../../src/auth/errors.js';
import { GRPC_STATUS, toServiceError } from '../../src/grpc/status.js';
import { errorHandler, HTTP_STATUS } from '../../src/http/errors.js';
import { Busy, DeadlineExceeded, InternalFault, QuotaExceeded, Unavailable } from '../../src/service/errors.js';
import { StoreFailure } from '../../src/store/errors.js';
import { errorData, errorFromData, InvalidArgument, NoSuchArea, OutOfSpace, type VmapError } from '../../src/vmap/errors.js';

/** One error of every code a client can be answered with. */
const ERRORS: readonly VmapError[] = [
  new InvalidArgument('requests[3].align', 'must be 0 or a power of two, got 3'),
  new OutOfSpace('no free range of 8192 bytes in the requested range'),
  new NoSuchArea('trying to free nonexistent area at 0xffffc90000000000'),
  new Unavailable('write not applied: the disk holding the store is full'),
  new StoreFailure('the disk holding the store is full', false),
  new Unauthenticated('a bearer token is required'),
  new PermissionDenied('the area at 0xffffc90000000000 belongs to another owner'),
  new QuotaExceeded('quota-areas', 'alice already holds 6 of its 6 areas'),
  new Busy('server busy: 10000 writes already queued; retry later'),
  new DeadlineExceeded('the deadline passed before the write could be applied; it was not'),
  new InternalFault(),
];

/** The three forms an edge may meet: the error, its data cloned, the error rebuilt from that. */
function forms(err: VmapError): unknown[] {
  const data = structuredClone(err.toData());
  return [err, data, errorFromData(data)];
}

function grpcView(err: unknown): unknown {
  const e = toServiceError(err);
  return { code: e.code, details: e.details, metadata: e.metadata?.getMap() };
}

describe('errors as plain data', () => {
  it('covers every mapped code, and each edge maps the same codes', () => {
    assert.deepEqual(new Set(ERRORS.map((e) => e.code)), new Set(Object.keys(GRPC_STATUS)));
    assert.deepEqual(new Set(Object.keys(HTTP_STATUS)), new Set(Object.keys(GRPC_STATUS)));
  });

  it('keep code, message, field and quota through a structured clone', () => {
    for (const err of ERRORS) {
      const data = structuredClone(err.toData());
      assert.deepEqual(errorData(data), err.toData());
      const back = errorFromData(data);
      assert.equal(back.code, err.code);
      assert.equal(back.message, err.message);
      assert.equal(back.field, err.field);
      assert.equal(back.quota, err.quota);
    }
  });

  it('give the same gRPC status, details and metadata in every form', () => {
    for (const err of ERRORS) {
      const [original, ...others] = forms(err).map(grpcView) as [{ code: number }, ...unknown[]];
      for (const other of others) assert.deepEqual(other, original, err.code);
      assert.equal(original.code, GRPC_STATUS[err.code]);
    }
    assert.deepEqual((grpcView(ERRORS[0]!) as { metadata: Record<string, unknown> }).metadata, { 'vmap-error': 'VMAP_ERR_INVALID_ARGUMENT', 'vmap-field': 'requests[3].align' });
  });

  it('give the same HTTP status, headers and body in every form', async () => {
    const app = Fastify({ loggerInstance: pino({ level: 'silent' }) });
    app.setErrorHandler(errorHandler(pino({ level: 'silent' })));
    let thrown: unknown;
    app.get('/fail', () => {
      throw thrown;
    });
    try {
      for (const err of ERRORS) {
        const answers = [];
        for (const form of forms(err)) {
          thrown = form;
          const res = await app.inject({ method: 'GET', url: '/fail' });
          answers.push({ status: res.statusCode, retryAfter: res.headers['retry-after'], auth: res.headers['www-authenticate'], body: res.json() as unknown });
        }
        for (const a of answers.slice(1)) assert.deepEqual(a, answers[0], err.code);
        assert.equal(answers[0]!.status, HTTP_STATUS[err.code]!.status);
        assert.equal((answers[0]!.body as { message: string }).message, err.message);
        assert.equal((answers[0]!.body as { field?: string }).field, err.field);
      }
    } finally {
      await app.close();
    }
  });

  it('do not mistake other objects for vmapd errors', () => {
    assert.equal(errorData(new Error('boom')), undefined);
    assert.equal(errorData({ code: 'ENOENT', message: 'x' }), undefined);
    assert.equal(errorData({ code: 'VMAP_ERR_NO_SUCH_AREA' }), undefined);
    assert.deepEqual(toServiceError(new TypeError('a bug')), { code: 13, details: 'internal error' });
  });
});
