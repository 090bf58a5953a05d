/**
 * Write outcomes are counted at the gRPC edge (vmapd_writes_total{kind,result}),
 * exactly once per call, refusals before the service included: an
 * undecodable message, a bad field, an address outside the space.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Authenticator, parseTokens, TokenTable } from '../../src/auth/tokens.js';
import { writeResult } from '../../src/grpc/handlers.js';
import { packageDefinition } from '../../src/grpc/proto.js';
import { startGrpc, stopGrpc, type GrpcEdge } from '../../src/grpc/server.js';
import { ListingSlots } from '../../src/service/listings.js';
import { VmapMetrics } from '../../src/service/metrics.js';
import { VmapService } from '../../src/service/vmap-service.js';
import { STORE_RETRY_MIN_MS } from '../../src/service/store-health.js';
import { StoreFailure } from '../../src/store/errors.js';
import { NoSuchArea } from '../../src/vmap/errors.js';
import { DEFAULT_SPACE_BASE, DEFAULT_SPACE_SIZE, SpaceGeometry } from '../../src/vmap/geometry.js';
import { call, grpcClient, startTestServer, type TestServer } from '../helpers/server.js';

const BASE = DEFAULT_SPACE_BASE;
const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789abc';
const GARBAGE = Buffer.from([0xff, 0xff, 0xff]);
const METHODS = packageDefinition['vmap.v1.Vmap'] as unknown as Record<string, grpc.MethodDefinition<unknown, unknown>>;

/** The counts of vmapd_writes_total in a Prometheus text exposition, as `kind result` → value. */
function writesIn(exposition: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of exposition.matchAll(/^vmapd_writes_total\{kind="(\w+)",result="(\w+)"\} (\d+)$/gm)) out[`${m[1]} ${m[2]}`] = Number(m[3]);
  return out;
}

/** Sends `bytes` as the request of unary `method`; resolves with the status code. */
function sendRaw(client: grpc.Client, method: string, bytes: Buffer, md = new grpc.Metadata()): Promise<grpc.status> {
  const def = METHODS[method]!;
  return new Promise((resolve) => client.makeUnaryRequest(def.path, (b: Buffer) => b, def.responseDeserialize, bytes, md, (err) => resolve(err ? err.code : grpc.status.OK)));
}

/** A unary call that must fail; resolves with its status code. */
async function refused(client: TestServer['client'], method: string, request: object, md?: grpc.Metadata): Promise<grpc.status> {
  const promise = md === undefined ? call(client, method, request) : withMetadata(client, method, request, md);
  return promise.then(
    () => assert.fail(`${method} ${JSON.stringify(request)} succeeded`),
    (e: grpc.ServiceError) => e.code,
  );
}

function withMetadata(client: TestServer['client'], method: string, request: object, md: grpc.Metadata): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    client[method]!.call(client, request, md, (err: grpc.ServiceError | null, res: Record<string, unknown>) => (err ? reject(err) : resolve(res)));
  });
}

function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

describe('write metrics at the gRPC edge', () => {
  it('labels a failure by its kind, and anything else Internal', () => {
    assert.equal(writeResult(new NoSuchArea('x')), 'NoSuchArea');
    assert.equal(writeResult(new TypeError('a bug')), 'Internal');
  });

  it('/metrics shows 12 writes refused before the service as 12', async () => {
    const s = await startTestServer();
    try {
      const codes: grpc.status[] = [];
      for (let i = 0; i < 3; i++) codes.push(await refused(s.client, 'Alloc', { size: '0' }));
      for (let i = 0; i < 2; i++) codes.push(await refused(s.client, 'AllocBatch', { requests: [{ size: '4096' }, { size: '4096', align: '3' }] }));
      for (let i = 0; i < 3; i++) codes.push(await refused(s.client, 'Free', { addr: '1' }));
      for (const method of ['Alloc', 'AllocBatch', 'Free', 'Purge']) codes.push(await sendRaw(s.client, method, GARBAGE));
      assert.deepEqual(codes, [...Array<grpc.status>(5).fill(grpc.status.INVALID_ARGUMENT), ...Array<grpc.status>(3).fill(grpc.status.NOT_FOUND), ...Array<grpc.status>(4).fill(grpc.status.INVALID_ARGUMENT)]);
      // Reads are no writes.
      await refused(s.client, 'Find', { addr: '1' });
      await call(s.client, 'MemInfo', {});
      const res = await fetch(`${s.httpUrl}/metrics`);
      assert.equal(res.status, 200);
      assert.deepEqual(writesIn(await res.text()), {
        'alloc InvalidArgument': 7,
        'free NoSuchArea': 3,
        'free InvalidArgument': 1,
        'purge InvalidArgument': 1,
      });
    } finally {
      await s.stop();
    }
  });

  describe('once per call, whatever the outcome', () => {
    const logger = pino({ level: 'silent' });
    let failing = false;
    let service: VmapService;
    let metrics: VmapMetrics;
    let edge: GrpcEdge;
    let client: TestServer['client'];
    before(async () => {
      // The service counts nothing itself here: every count comes from the edge.
      service = new VmapService({
        geometry: new SpaceGeometry(DEFAULT_SPACE_BASE, DEFAULT_SPACE_SIZE),
        logger,
        hooks: {
          beforeCommit: async () => {
            if (failing) throw new StoreFailure('the disk holding the store is full', false);
          },
        },
      });
      metrics = new VmapMetrics(() => service.snapshot());
      const auth = new Authenticator(new TokenTable(parseTokens(`${ALICE} alice\n${BOB} bob\n`, 'test tokens')));
      edge = await startGrpc(service, { host: '127.0.0.1', port: 0, logger, metrics, auth, protectReads: false, listings: new ListingSlots(4), stallTimeoutMs: 10_000 });
      client = grpcClient(edge.port);
    });
    after(async () => {
      client.close();
      await stopGrpc(edge, 1000);
      await service.close();
    });

    it('counts ok and every refusal exactly once', async () => {
      const alice = bearer(ALICE);
      const a = await withMetadata(client, 'Alloc', { size: '4096' }, alice);
      await withMetadata(client, 'AllocBatch', { requests: [{ size: '4096' }, { size: '8192' }] }, alice);
      assert.equal(await refused(client, 'Alloc', { size: '4096' }), grpc.status.UNAUTHENTICATED);
      assert.equal(await refused(client, 'Alloc', { size: '8192', vend: (BASE + 4096n).toString() }, alice), grpc.status.RESOURCE_EXHAUSTED);
      assert.equal(await refused(client, 'Free', { addr: a.addr }, bearer(BOB)), grpc.status.PERMISSION_DENIED);
      failing = true;
      assert.equal(await refused(client, 'Free', { addr: a.addr }, alice), grpc.status.UNAVAILABLE);
      failing = false;
      // A full store is tried again after the first backoff, and not before.
      await delay(STORE_RETRY_MIN_MS + 5);
      await withMetadata(client, 'Free', { addr: a.addr }, alice);
      assert.equal(await refused(client, 'Free', { addr: a.addr }, alice), grpc.status.NOT_FOUND, 'a lazy area is no longer busy');
      await withMetadata(client, 'Purge', {}, alice);
      assert.equal(await sendRaw(client, 'Purge', GARBAGE, alice), grpc.status.INVALID_ARGUMENT);
      await withMetadata(client, 'Find', { addr: a.addr }, alice).catch(() => undefined);
      const text = await metrics.registry.metrics();
      assert.deepEqual(writesIn(text), {
        'alloc ok': 2,
        'alloc Unauthenticated': 1,
        'alloc OutOfSpace': 1,
        'free PermissionDenied': 1,
        'free Unavailable': 1,
        'free ok': 1,
        'free NoSuchArea': 1,
        'purge ok': 1,
        'purge InvalidArgument': 1,
      });
    });
  });
});
