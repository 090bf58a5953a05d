import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { call, startTestServer, TEST_HTTP_THREADS, type TestServer } from '../helpers/server.js';

/** A logger whose JSON lines the test can read. */
function capturedLogger(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** Polls `cond` (a bounded number of times, 10 ms apart) until it holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(cond(), what);
}

/** GET `path` on a connection of its own (no keep-alive pool), so that SO_REUSEPORT may give it to any thread. */
function getFresh(s: TestServer, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${s.httpUrl}${path}`, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function nrAreas(s: TestServer): Promise<number> {
  return ((JSON.parse((await getFresh(s, '/meminfo?format=json')).body) as { nr_areas: number }).nr_areas);
}

describe(`HTTP reader threads (--http-threads ${TEST_HTTP_THREADS})`, () => {
  it('restarts a reader thread that dies, logs it, and serves the right state from the new one', async () => {
    const { logger, lines } = capturedLogger();
    const s = await startTestServer({}, { logger });
    try {
      for (let i = 0; i < 3; i++) await call(s.client, 'Alloc', { size: '4096', caller: 'kept' });
      const [first] = s.vmapd.http.workers();
      await first!.terminate();
      await until(() => s.vmapd.http.restarts === 1 && s.vmapd.http.listening === TEST_HTTP_THREADS, 'the thread was restarted and listens');
      assert.notEqual(s.vmapd.http.workers()[0], first, 'a new worker took the slot');
      assert.ok(lines.some((l) => l.level === 50 && l.msg === 'HTTP thread 0 exited with code 1; restarting it'), 'the death is logged as an error');
      assert.ok(lines.some((l) => l.msg === 'HTTP thread 0 restarted'), 'the restart is logged');
      // Every thread, the new one included, has the whole list and follows new writes.
      for (let i = 0; i < 4; i++) assert.equal((await getFresh(s, '/vmallocinfo')).body.match(/ kept /g)?.length, 3);
      await call(s.client, 'Alloc', { size: '4096', caller: 'later' });
      for (let i = 0; i < 4; i++) assert.equal(await nrAreas(s), 4);
      const metrics = (await getFresh(s, '/metrics')).body;
      assert.match(metrics, /^vmapd_http_thread_restarts_total 1$/m);
    } finally {
      await s.stop();
    }
  });

  it('gives back the listing slots a dead thread held', async () => {
    const s = await startTestServer({ maxListings: 1, httpThreads: 1 });
    try {
      for (let i = 0; i < 6; i++) await call(s.client, 'AllocBatch', { requests: Array.from({ length: 10000 }, () => ({ size: '4096', caller: 'listed' })) });
      // A reader that stops reading holds the one slot.
      const socket = connect(s.vmapd.httpPort, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write('GET /vmallocinfo HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await new Promise<void>((resolve) => socket.once('data', () => resolve()));
      socket.pause();
      assert.equal((await getFresh(s, '/vmallocinfo')).status, 503, 'the only slot is taken');
      await s.vmapd.http.workers()[0]!.terminate();
      socket.destroy();
      await until(() => s.vmapd.http.listening === 1, 'the thread was restarted');
      const listing = await getFresh(s, '/vmallocinfo');
      assert.equal(listing.status, 200, "the dead thread's slot was given back");
      assert.equal(listing.body.match(/ listed /g)?.length, 60000);
    } finally {
      await s.stop();
    }
  });

  it('stops cleanly while a dead thread waits for its restart', async () => {
    const s = await startTestServer();
    const [first] = s.vmapd.http.workers();
    await first!.terminate();
    await until(() => s.vmapd.http.listening === TEST_HTTP_THREADS - 1, 'the thread is gone');
    await s.stop();
    assert.equal(s.vmapd.http.listening, 0);
  });

  it('counts the reads of every thread in one /metrics', async () => {
    const s = await startTestServer({ httpThreads: 2 });
    try {
      const n = 40;
      for (let i = 0; i < n; i++) assert.equal((await getFresh(s, '/meminfo')).status, 200);
      const metrics = (await getFresh(s, '/metrics')).body;
      assert.match(metrics, new RegExp(`^vmapd_reads_total\\{mode="snapshot",endpoint="http"\\} ${n}$`, 'm'));
      assert.match(metrics, /^vmapd_http_calls_waiting 0$/m);
      assert.match(metrics, /^vmapd_seqlock_stale_reads_total 0$/m, 'no read gave up on the writer');
      assert.match(metrics, /^vmapd_seqlock_retries_total \d+$/m);
      assert.match(metrics, /^process_cpu_seconds_total /m, 'process metrics come once, from the writer');
      assert.equal(metrics.match(/^# TYPE process_cpu_seconds_total /gm)?.length, 1);
    } finally {
      await s.stop();
    }
  });

  it('refuses a second vmapd on the same HTTP port, though the first listens with SO_REUSEPORT', async () => {
    const a = await startTestServer({ httpThreads: 2 });
    try {
      for (const httpThreads of [2, 1]) {
        await assert.rejects(startTestServer({ httpThreads, httpPort: a.vmapd.httpPort }), { code: 'EADDRINUSE' }, `--http-threads ${httpThreads}`);
      }
      assert.equal((await getFresh(a, '/healthz')).status, 200);
    } finally {
      await a.stop();
    }
  });
});
