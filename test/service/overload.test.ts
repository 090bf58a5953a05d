import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { call, startTestServer } from '../helpers/server.js';
import { Stall } from '../helpers/stall.js';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10000 && !cond(); i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(cond(), what);
}

describe('overload', () => {
  it('refuses writes at once with RESOURCE_EXHAUSTED (server busy) past --max-pending-writes', async () => {
    const stall = new Stall();
    const s = await startTestServer({ maxPendingWrites: 5 }, { hooks: { beforeCommit: stall.hook } });
    try {
      stall.arm();
      const first = call(s.client, 'Alloc', { size: '4096' });
      await stall.entered;
      const queued = Array.from({ length: 5 }, () => call(s.client, 'Alloc', { size: '4096' }));
      await until(() => s.vmapd.service.pendingWrites === 5, 'five writes queued');
      await assert.rejects(call(s.client, 'Alloc', { size: '4096' }), (e: grpc.ServiceError) => {
        assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
        assert.match(e.details, /^server busy/);
        return true;
      });
      const res = await fetch(`${s.httpUrl}/v1/areas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"size":4096}' });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '1');
      stall.release();
      await first;
      await Promise.all(queued);
      assert.equal((await call(s.client, 'MemInfo', {})).nr_areas, '6', 'exactly the accepted writes were applied');
      await call(s.client, 'Alloc', { size: '4096' }); // and the queue takes writes again
    } finally {
      stall.release();
      await s.stop();
    }
  });

  it('does not apply a write whose deadline passes before its batch is committed', async () => {
    const stall = new Stall();
    const s = await startTestServer({}, { hooks: { beforeCommit: stall.hook } });
    try {
      await call(s.client, 'Alloc', { size: '4096' });
      stall.arm();
      const late = call(s.client, 'Alloc', { size: '4096', request_id: 'late' }, { deadline: Date.now() + 300 });
      await stall.entered; // applied in memory, waiting for its commit
      await assert.rejects(late, (e: grpc.ServiceError) => e.code === grpc.status.DEADLINE_EXCEEDED);
      // The server's own copy of the deadline (a little after the client's) passes too.
      assert.equal(stall.deadlines.length, 1, 'the server holds the client deadline');
      await delay(Math.max(0, stall.deadlines[0]! - Date.now() + 1));
      stall.release();
      // The late write's deadline passed before its commit: it must not have been applied.
      await until(() => s.vmapd.service.snapshot().generation >= 1, 'the first write published');
      const m = await call(s.client, 'MemInfo', {});
      assert.equal(m.nr_areas, '1');
      const retried = await call(s.client, 'Alloc', { size: '4096', request_id: 'late' });
      assert.equal(BigInt(retried.addr as string), 0xffffc90000000000n + 2n * 4096n, 'the retry allocates afresh: nothing stood under that id');
    } finally {
      stall.release();
      await s.stop();
    }
  });

  it('a /vmallocinfo reader that stops reading holds no lock and sees one consistent snapshot', async () => {
    const s = await startTestServer();
    try {
      const n = 30000;
      for (let done = 0; done < n; done += 10000) {
        await call(s.client, 'AllocBatch', { requests: Array.from({ length: 10000 }, () => ({ size: '4096', caller: 'slow-reader-test' })) });
      }
      // A raw socket so the test controls exactly when bytes are read.
      const socket = connect(Number(new URL(s.httpUrl).port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write('GET /vmallocinfo HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      const chunks: Buffer[] = [];
      await new Promise<void>((resolve) =>
        socket.once('data', (d: Buffer) => {
          chunks.push(d);
          socket.pause();
          resolve();
        }),
      );
      // The reader has stopped. Writes and reads go on regardless.
      for (let i = 0; i < 50; i++) await call(s.client, 'Alloc', { size: '4096', caller: 'after' });
      const m = (await (await fetch(`${s.httpUrl}/meminfo?format=json`)).json()) as { nr_areas: number };
      assert.equal(m.nr_areas, n + 50);
      // Resumed, it gets the listing as of its start: all n areas, none of the later ones.
      socket.on('data', (d: Buffer) => chunks.push(d));
      socket.resume();
      await new Promise<void>((resolve) => socket.once('end', resolve));
      const text = Buffer.concat(chunks).toString();
      const lines = text.split('\r\n\r\n').slice(1).join('\r\n\r\n');
      const body = lines.replace(/\r\n[0-9a-f]+\r\n/g, '').replace(/^[0-9a-f]+\r\n/, '').replace(/\r\n0\r\n\r\n$/, '');
      const count = (body.match(/slow-reader-test/g) ?? []).length;
      assert.equal(count, n);
      assert.equal((body.match(/ after /g) ?? []).length, 0);
    } finally {
      await s.stop();
    }
  });
});

describe('event loop lag', () => {
  it('sheds HTTP load with 503 while the event loop lags, but /healthz still says alive', async () => {
    const s = await startTestServer({ maxEventLoopDelayMs: 100 }, { testControls: true });
    try {
      assert.equal((await fetch(`${s.httpUrl}/meminfo`)).status, 200);
      // Hold the HTTP threads' event loops again and again until
      // under-pressure's sampled mean delay passes the limit.
      let shed: Response | undefined;
      for (let i = 0; i < 10 && shed?.status !== 503; i++) {
        s.vmapd.http.hold(600);
        shed = await fetch(`${s.httpUrl}/meminfo`);
      }
      assert.equal(shed?.status, 503);
      assert.ok(shed?.headers.get('retry-after'));
      assert.equal((await fetch(`${s.httpUrl}/healthz`)).status, 200);
    } finally {
      await s.stop();
    }
  });

  it('rate-limits the HTTP write routes per client, never /meminfo', async () => {
    const s = await startTestServer({ rateLimit: 3 });
    try {
      const post = (): Promise<Response> => fetch(`${s.httpUrl}/v1/areas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"size":4096}' });
      for (let i = 0; i < 3; i++) assert.equal((await post()).status, 201);
      const limited = await post();
      assert.equal(limited.status, 429);
      assert.ok(limited.headers.get('retry-after'));
      for (let i = 0; i < 20; i++) assert.equal((await fetch(`${s.httpUrl}/meminfo`)).status, 200);
      assert.equal((await call(s.client, 'MemInfo', {})).nr_areas, '3', 'the limited request changed nothing');
    } finally {
      await s.stop();
    }
  });
});
