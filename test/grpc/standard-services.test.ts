import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { StoreFailure } from '../../src/store/errors.js';
import { call, callOnceStoreDue, startTestServer, type TestServer } from '../helpers/server.js';
import { HealthClient } from './health-client.js';

const SERVICES = ['grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection', 'vmap.v1.Vmap'];
const FILES: Record<string, string> = {
  'vmap.v1.Vmap': 'vmap/v1/vmap.proto',
  'grpc.health.v1.Health': 'grpc/health/v1/health.proto',
  'grpc.reflection.v1.ServerReflection': 'grpc/reflection/v1/reflection.proto',
  'grpc.reflection.v1alpha.ServerReflection': 'grpc/reflection/v1alpha/reflection.proto',
};
/** Bytes no protobuf message decodes from: a tag whose varint never ends. */
const GARBAGE = Buffer.from([0xff, 0xff, 0xff]);
const raw = (b: Buffer): Buffer => b;

/** Asserts `err` is INVALID_ARGUMENT naming the field `request`. */
function isUndecodable(err: grpc.ServiceError | undefined): void {
  assert.ok(err, 'the call failed');
  assert.equal(err.code, grpc.status.INVALID_ARGUMENT, `expected INVALID_ARGUMENT, got ${grpc.status[err.code]}: ${err.details}`);
  assert.match(err.details, /^request: not a valid protobuf message/);
  assert.deepEqual(err.metadata.get('vmap-field'), ['request']);
}

describe('health and reflection', () => {
  let s: TestServer;
  let h: HealthClient;
  before(async () => {
    s = await startTestServer();
    h = new HealthClient(s.grpcTarget);
  });
  after(async () => {
    h.close();
    await s.stop();
  });

  it('reflection lists every service served, itself and health included, in v1 and v1alpha', async () => {
    assert.deepEqual((await h.listServices()).sort(), SERVICES);
    assert.deepEqual((await h.listServices(true)).sort(), SERVICES);
  });

  it('reflection serves each file under its real name, by name and by symbol', async () => {
    for (const [symbol, name] of Object.entries(FILES)) {
      const byName = await h.fileByFilename(name);
      assert.ok('files' in byName, `${name}: ${JSON.stringify(byName)}`);
      assert.deepEqual(
        byName.files.map((f) => f.name),
        [name],
      );
      const bySymbol = await h.fileContainingSymbol(symbol);
      assert.ok('files' in bySymbol, `${symbol}: ${JSON.stringify(bySymbol)}`);
      assert.deepEqual(
        bySymbol.files.map((f) => f.name),
        [name],
      );
    }
    const vmap = await h.fileByFilename('vmap/v1/vmap.proto');
    assert.ok('files' in vmap);
    const file = vmap.files[0]!;
    assert.equal(file.package, 'vmap.v1');
    const memInfo = file.service[0]!.method.find((m) => m.name === 'MemInfo');
    assert.deepEqual([memInfo?.inputType, memInfo?.outputType], ['.vmap.v1.MemInfoRequest', '.vmap.v1.MemInfo']);
    assert.ok(file.messageType.some((m) => m.name === 'MemInfo'));
    const old = await h.fileByFilename('vmap_v1.proto');
    assert.ok('error' in old, 'the package-derived name is gone');
    assert.equal(old.error.code, grpc.status.NOT_FOUND);
  });

  it('answers undecodable health and reflection requests with INVALID_ARGUMENT naming the request', async () => {
    const client = new grpc.Client(s.grpcTarget, grpc.credentials.createInsecure());
    try {
      const unary = await new Promise<grpc.ServiceError | undefined>((resolve) =>
        client.makeUnaryRequest('/grpc.health.v1.Health/Check', raw, raw, GARBAGE, (err) => resolve(err ?? undefined)),
      );
      isUndecodable(unary);
      const watched = await new Promise<grpc.ServiceError | undefined>((resolve) => {
        const stream = client.makeServerStreamRequest('/grpc.health.v1.Health/Watch', raw, raw, GARBAGE);
        stream.on('data', () => {});
        stream.on('error', (err: grpc.ServiceError) => resolve(err));
        stream.on('end', () => resolve(undefined));
      });
      isUndecodable(watched);
      for (const version of ['v1', 'v1alpha']) {
        const reflected = await new Promise<{ err: grpc.ServiceError | undefined; answers: number }>((resolve) => {
          let answers = 0;
          const stream = client.makeBidiStreamRequest(`/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`, raw, raw);
          stream.on('data', () => answers++);
          stream.on('error', (err: grpc.ServiceError) => resolve({ err, answers }));
          stream.on('end', () => resolve({ err: undefined, answers }));
          stream.write(GARBAGE);
        });
        isUndecodable(reflected.err);
        assert.equal(reflected.answers, 0, `${version}: the reflection handler never saw the bytes`);
      }
    } finally {
      client.close();
    }
    // The refusals left the services working.
    assert.equal(await h.check(''), 'SERVING');
    assert.deepEqual((await h.listServices()).sort(), SERVICES);
  });
});

describe('health follows readiness', () => {
  it('is NOT_SERVING while commits fail and SERVING again once one succeeds', { timeout: 20_000 }, async () => {
    let failing = false;
    const s = await startTestServer(
      {},
      {
        hooks: {
          beforeCommit: async () => {
            if (failing) throw new StoreFailure('the disk holding the store is full', false);
          },
        },
      },
    );
    const h = new HealthClient(s.grpcTarget);
    const watches = ['', 'vmap.v1.Vmap'].map((name) => h.watch(name));
    try {
      for (const w of watches) assert.equal(await w.next(), 'SERVING');
      failing = true;
      await assert.rejects(call(s.client, 'Alloc', { size: '4096' }), (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE && /disk holding the store is full/.test(e.details));
      for (const w of watches) assert.equal(await w.next(), 'NOT_SERVING');
      assert.equal(await h.check(''), 'NOT_SERVING');
      assert.equal(await h.check('vmap.v1.Vmap'), 'NOT_SERVING');
      failing = false;
      await callOnceStoreDue(s.client, 'Alloc', { size: '4096' });
      for (const w of watches) assert.equal(await w.next(), 'SERVING');
      assert.equal(await h.check(''), 'SERVING');
      assert.equal(await h.check('vmap.v1.Vmap'), 'SERVING');
    } finally {
      for (const w of watches) w.cancel();
      h.close();
      await s.stop();
    }
  });

  it('is NOT_SERVING as soon as shutdown begins', { timeout: 20_000 }, async () => {
    const s = await startTestServer();
    const h = new HealthClient(s.grpcTarget);
    const w = h.watch('vmap.v1.Vmap');
    try {
      assert.equal(await w.next(), 'SERVING');
      const closed = s.stop();
      assert.equal(await w.next(), 'NOT_SERVING');
      // The watch is a call in flight: end it, or shutdown waits out its grace period.
      w.cancel();
      await closed;
    } finally {
      w.cancel();
      h.close();
      await s.stop();
    }
  });
});
