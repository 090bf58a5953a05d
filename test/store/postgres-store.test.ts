/**
 * What only the PostgreSQL store does, against a real PostgreSQL started by
 * the tests (test/helpers/postgres.ts): the exclusion constraint refusing
 * overlapping ranges whoever writes them, the change log and its NOTIFY,
 * recovery of more rows than one read fetches, the database going away and
 * coming back, a COMMIT whose answer is lost, and a second writer on the same
 * database. What every durable store does is in durability.test.ts and
 * crash.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { StoreFailure } from '../../src/store/errors.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SpaceGeometry } from '../../src/vmap/geometry.js';
import { PostgresProxy } from '../helpers/pg-proxy.js';
import { freePort, postgresSkip, TestPostgres, waitFor } from '../helpers/postgres.js';
import { call, callOnceStoreDue, cliPath, collect, grpcClient, spawnVmapd, startTestServer, stopChild, withVmapd, type TestServer } from '../helpers/server.js';

const BASE = 0xffffc90000000000n;
const PAGE = 4096n;

/** The address of page `n` of the default space. */
const addrOf = (n: number): string => (BASE + BigInt(n) * PAGE).toString();

/** Runs vmapd expecting it to refuse to start; returns its exit code and stderr. */
function refusal(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [cliPath('vmapd'), '--grpc-port', '0', '--http-port', '0', ...args], { timeout: 15000, env: { ...process.env, ...env } }, (err, _out, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr }),
    ),
  );
}

/** A port nothing listens on. */
const closedPort = freePort;

/** A caller with what array and JSON literals must escape: each batch's rows go to PostgreSQL as arrays, its log row as JSON. */
const ODD_CALLER = 'one, "two" \\ {three} NULL ünï';

interface GrpcError {
  readonly code: number;
  readonly details: string;
}

describe('postgres store: start-up errors', () => {
  it('--store postgres without a URL is refused at start, naming --postgres-url', async () => {
    const r = await refusal(['--store', 'postgres'], { VMAPD_POSTGRES_URL: '' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot start: --store postgres needs --postgres-url <url> \(or VMAPD_POSTGRES_URL\)/);
  });

  it('a URL that is not a PostgreSQL URL is refused at start, without echoing it', async () => {
    const r = await refusal(['--store', 'postgres', '--postgres-url', 'db.example:5432/vmapd?password=s3cret']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot start: --postgres-url: not a postgres:\/\/ or postgresql:\/\/ URL/);
    assert.doesNotMatch(r.stderr, /s3cret/);
  });

  it('an unreachable database is refused at start, naming it (without its password) and the cause', async () => {
    const port = await closedPort();
    const r = await refusal(['--store', 'postgres'], { VMAPD_POSTGRES_URL: `postgres://vmapd:s3cret@127.0.0.1:${port}/vmapd` });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot start: cannot connect to PostgreSQL vmapd@127\\.0\\.0\\.1:${port}/vmapd: connect ECONNREFUSED`));
    assert.doesNotMatch(r.stderr, /s3cret/);
  });
});

describe('postgres store', { skip: postgresSkip }, () => {
  let cluster: TestPostgres;
  before(async () => {
    cluster = await TestPostgres.start();
  });
  after(() => cluster?.stop());

  it('refuses an overlapping range written behind its back (EXCLUDE), and vmapd after it', async () => {
    const url = await cluster.createDatabase();
    const insert = (start: number, pages: number, lazy = false): Promise<unknown> =>
      cluster.sql("INSERT INTO vmapd_areas (start, pages, guard, lazy, caller, owner) VALUES ($1, $2, true, $3, 'raw', 'x')", [start, pages, lazy], url);
    const s = await spawnVmapd(['--store', 'postgres', '--postgres-url', url]);
    const c = grpcClient(s.grpcPort);
    try {
      const first = await call(c, 'Alloc', { size: '8192' }); // pages [0, 3), guard included
      assert.equal(first.addr, addrOf(0));
      const refused = (e: { code?: string; constraint?: string }): boolean => e.code === '23P01' && e.constraint === 'vmapd_areas_no_overlap';
      await assert.rejects(insert(2, 1), refused, 'a busy range over the last page of an area');
      await assert.rejects(insert(1, 10, true), refused, 'a lazy range over the rest of an area and beyond');
      // [4, 6), over where vmapd's next area ([3, 5)) will go; and [6, 8): touching is not overlapping.
      await insert(4, 2);
      await insert(6, 2);

      // vmapd does not know of them: its next alloc is refused by PostgreSQL,
      // and since memory and database now disagree, writes stop.
      const lost = await call(c, 'Alloc', { size: '4096', request_id: 'clash' }).then(
        () => assert.fail('an overlapping area was committed'),
        (e: GrpcError) => e,
      );
      assert.equal(lost.code, 14, lost.details);
      assert.match(lost.details, /write outcome unknown: .* refused the batch \(23P01: .*vmapd_areas_no_overlap\)/);
      const next = await call(c, 'Alloc', { size: '4096' }).then(
        () => assert.fail('a write went through after the store refused one'),
        (e: GrpcError) => e,
      );
      assert.equal(next.code, 14);
      assert.match(next.details, /writes are off until restart/);
      assert.equal((await fetch(`http://127.0.0.1:${s.httpPort}/readyz`)).status, 503);
      assert.deepEqual(
        (await cluster.sql<{ start: string; caller: string }>('SELECT start::text, caller FROM vmapd_areas ORDER BY vmapd_areas.start', [], url)).map((r) => [r.start, r.caller]),
        [
          ['0', ''],
          ['4', 'raw'],
          ['6', 'raw'],
        ],
      );
    } finally {
      c.close();
      await stopChild(s);
    }

    // A restart reloads the database, the foreign rows included, and allocates past them
    // (two pages do not fit in the one free page at 3).
    await withVmapd(['--store', 'postgres', '--postgres-url', url], async (c2) => {
      const a = await call(c2, 'Alloc', { size: '4096', request_id: 'clash' });
      assert.equal(a.addr, addrOf(8));
    });
  });

  it('appends every batch to the change log, numbered without gaps, and NOTIFYs its position', async () => {
    const url = await cluster.createDatabase();
    const listener = new pg.Client({ connectionString: url });
    await listener.connect();
    const heard: string[] = [];
    listener.on('notification', (n) => {
      if (n.channel === 'vmapd_changes') heard.push(n.payload ?? '');
    });
    try {
      await listener.query('LISTEN vmapd_changes');
      await withVmapd(['--store', 'postgres', '--postgres-url', url, '--lazy-max-pages', '2'], async (c) => {
        const a = await call(c, 'Alloc', { size: '4096', caller: 'one', request_id: 'r1' });
        await call(c, 'AllocBatch', { requests: [{ size: '4096', caller: ODD_CALLER }, { size: '8192' }] });
        await call(c, 'Free', { addr: a.addr });
        await call(c, 'Purge', {});
      });
      await waitFor('four notifications', () => heard.length >= 4);
      const log = await cluster.sql<{ position: string; writer: string; changes: unknown }>('SELECT position::text, writer, changes FROM vmapd_change_log ORDER BY position', [], url);
      assert.deepEqual(
        log.map((r) => r.position),
        ['1', '2', '3', '4'],
      );
      assert.deepEqual(heard, ['1', '2', '3', '4'], 'each commit NOTIFYs its own position, in order');
      assert.equal(new Set(log.map((r) => r.writer)).size, 1, 'one writer');
      assert.deepEqual(
        log.map((r) => r.changes),
        [
          [{ op: 'insert', area: { start: 0, pages: 2, guard: true, caller: 'one', owner: 'anonymous', lazy: false, requestId: 'r1' } }],
          [
            { op: 'insert', area: { start: 2, pages: 2, guard: true, caller: ODD_CALLER, owner: 'anonymous', lazy: false, requestId: '' } },
            { op: 'insert', area: { start: 4, pages: 3, guard: true, caller: '', owner: 'anonymous', lazy: false, requestId: '' } },
          ],
          [{ op: 'lazy', start: 0 }],
          [{ op: 'purge' }],
        ],
      );
      // The next run recovers the odd caller as it was sent, and goes on from the log's end.
      await withVmapd(['--store', 'postgres', '--postgres-url', url], async (c) => {
        assert.equal((await call(c, 'Find', { addr: addrOf(2) })).caller, ODD_CALLER);
        await call(c, 'Alloc', { size: '4096' });
      });
      const [last] = await cluster.sql<{ position: string; writers: string }>(
        'SELECT max(position)::text AS position, count(DISTINCT writer)::text AS writers FROM vmapd_change_log',
        [],
        url,
      );
      assert.deepEqual(last, { position: '5', writers: '2' });
      await waitFor('the fifth notification', () => heard.length >= 5);
      assert.equal(heard[4], '5');
    } finally {
      await listener.end();
    }
  });

  it('recovers more areas than one read of the table fetches, ascending', async () => {
    const url = await cluster.createDatabase();
    await withVmapd(['--store', 'postgres', '--postgres-url', url], (c) => call(c, 'MemInfo', {})); // creates the schema
    const n = 25_001; // two and a half pages of rows
    await cluster.sql("INSERT INTO vmapd_areas (start, pages, guard, lazy, caller, owner) SELECT i * 3, 2, true, i % 2 = 1, 'bulk', 'x' FROM generate_series(0, $1 - 1) AS i", [n], url);
    await withVmapd(['--store', 'postgres', '--postgres-url', url], async (c, s) => {
      assert.equal(s.logs.find((l) => l.msg === 'store recovered')?.areas, n);
      const m = await call(c, 'MemInfo', {});
      assert.equal(m.nr_areas, String(Math.ceil(n / 2)));
      assert.equal(m.nr_lazy_areas, String(Math.floor(n / 2)));
      const areas = await collect(c, 'ListAreas', { include_lazy: true });
      assert.equal(areas.length, n);
      areas.forEach((a, i) => assert.equal(a.addr, addrOf(i * 3), `area ${i} in order`));
    });
  });

  it('while PostgreSQL is down writes fail UNAVAILABLE and reads go on; writes resume by themselves, nothing acknowledged lost', { timeout: 120000 }, async (t) => {
    const url = await cluster.createDatabase();
    const args = ['--store', 'postgres', '--postgres-url', url];
    const acked = new Map<string, string>(); // request id → addr
    const freed = new Set<string>();
    const failures: GrpcError[] = [];
    let s = await spawnVmapd(args);
    let c = grpcClient(s.grpcPort);
    let stopping = false;
    let nextId = 0;
    const loop = async (): Promise<void> => {
      while (!stopping) {
        const mine = [...acked.keys()];
        try {
          if (mine.length > 4 && nextId % 3 === 0) {
            const id = mine[nextId++ % mine.length]!;
            const addr = acked.get(id)!;
            acked.delete(id); // unknown until answered
            await callOnceStoreDue(c, 'Free', { addr }, { deadline: Date.now() + 5000 });
            freed.add(id);
          } else {
            const id = `w${nextId++}`;
            const a = await callOnceStoreDue(c, 'Alloc', { size: '4096', request_id: id }, { deadline: Date.now() + 5000 });
            acked.set(id, a.addr as string);
          }
        } catch (err) {
          failures.push(err as GrpcError);
        }
      }
    };
    try {
      for (const mode of ['fast', 'immediate'] as const) {
        stopping = false;
        const loops = Array.from({ length: 8 }, () => loop());
        const before = acked.size + freed.size;
        await waitFor('writes before the outage', () => acked.size + freed.size >= before + 30);
        const failedBefore = failures.length;
        await cluster.pause(mode);
        const unavailable = (): GrpcError | undefined => failures.slice(failedBefore).find((f) => f.code === 14);
        await waitFor('a write to fail UNAVAILABLE while PostgreSQL is down', () => unavailable() !== undefined);
        assert.match(unavailable()!.details, /PostgreSQL postgres@127\.0\.0\.1:\d+\/vmapd_test_\d+ is unavailable/);
        assert.equal((await fetch(`http://127.0.0.1:${s.httpPort}/readyz`)).status, 503, 'not ready while the store is down');
        const m = await call(c, 'MemInfo', {});
        assert.ok(Number(m.nr_areas) >= acked.size, 'reads are served while the database is down');

        await cluster.resume();
        const afterOutage = acked.size + freed.size;
        // The documented exception (README, the PostgreSQL store): a COMMIT in flight when PostgreSQL
        // went away whose outcome stayed unknown past doubtMs (a slow restart, crash recovery on a busy
        // machine) and that then turns out to have committed leaves writes off until a restart. The
        // restart below must then find everything acknowledged, as in every other case.
        const committedInDoubt = (): boolean => failures.slice(failedBefore).some((f) => /did commit .* after its writes were undone; writes are off until vmapd restarts/.test(f.details));
        await waitFor('writes to resume by themselves', () => acked.size + freed.size >= afterOutage + 30 || committedInDoubt(), 30000);
        if (committedInDoubt()) {
          t.diagnostic(`${mode} stop: a batch in doubt turned out committed; writes stay off until the restart below`);
          assert.equal((await fetch(`http://127.0.0.1:${s.httpPort}/readyz`)).status, 503, 'not ready while writes are off');
        } else {
          assert.equal((await fetch(`http://127.0.0.1:${s.httpPort}/readyz`)).status, 200, 'ready again');
        }
        stopping = true;
        await Promise.all(loops);
        // While the database was away: UNAVAILABLE, or a deadline that passed while a write waited for it; nothing else.
        for (const f of failures) assert.ok(f.code === 14 || f.code === 4, `unexpected ${f.code}: ${f.details}`);
        t.diagnostic(`${mode} stop: ${acked.size} live and ${freed.size} freed acknowledged so far, ${failures.length - failedBefore} writes failed`);

        // Every acknowledged alloc is in the database, at its address; no acknowledged free is undone.
        c.close();
        assert.equal(await stopChild(s), 0);
        s = await spawnVmapd(args);
        c = grpcClient(s.grpcPort);
        const busy = new Map<string, string>();
        for (const a of await collect(c, 'ListAreas', {})) {
          const id = a.request_id as string;
          assert.ok(!busy.has(id), `request id ${id} names two areas`);
          busy.set(id, a.addr as string);
        }
        for (const [id, addr] of acked) assert.equal(busy.get(id), addr, `${mode} stop: acknowledged ${id} survived`);
        for (const id of freed) assert.ok(!busy.has(id), `${mode} stop: acknowledged free of ${id} is undone`);
        // What was unknown (sent, no answer) is settled now: as the store says.
        for (const id of busy.keys()) if (!acked.has(id)) acked.set(id, busy.get(id)!);
      }
    } finally {
      stopping = true;
      c.close();
      await stopChild(s);
      await cluster.resume();
    }
  });

  describe('a COMMIT whose answer is lost', () => {
    let proxy: PostgresProxy;
    before(async () => {
      proxy = await PostgresProxy.start(cluster.port);
    });
    after(() => proxy?.close());

    /** A vmapd in this process whose store reaches a fresh database through the proxy. */
    async function throughProxy(): Promise<{ server: TestServer; db: string }> {
      const url = await cluster.createDatabase();
      const db = new URL(url).pathname.slice(1);
      return { server: await startTestServer({ store: 'postgres', postgresUrl: proxy.url(db) }), db };
    }

    it('committed after all: the store finds the batch in the log and acknowledges the write', async () => {
      const { server, db } = await throughProxy();
      try {
        const fired = proxy.failNextCommit('lose-answer');
        const a = await call(server.client, 'Alloc', { size: '4096', request_id: 'lost-answer' });
        await fired;
        assert.equal(a.addr, addrOf(0));
        const b = await call(server.client, 'Alloc', { size: '4096' });
        assert.equal(b.addr, addrOf(2), 'and writes go on');
        const rows = await cluster.sql<{ request_id: string | null }>('SELECT request_id FROM vmapd_areas ORDER BY vmapd_areas.start', [], cluster.url(db));
        assert.deepEqual(
          rows.map((r) => r.request_id),
          ['lost-answer', null],
        );
      } finally {
        await server.stop();
      }
    });

    it('never reached the server: the write is not applied, and the next one is', async () => {
      const { server, db } = await throughProxy();
      try {
        const fired = proxy.failNextCommit('swallow');
        const e = await call(server.client, 'Alloc', { size: '4096', request_id: 'swallowed' }).then(
          () => assert.fail('acknowledged a write that was rolled back'),
          (err: GrpcError) => err,
        );
        await fired;
        assert.equal(e.code, 14);
        assert.match(e.details, /^write not applied: PostgreSQL .* is unavailable \(.*\); the batch did not commit$/);
        const a = await callOnceStoreDue(server.client, 'Alloc', { size: '4096', request_id: 'next' });
        assert.equal(a.addr, addrOf(0), 'the undone range is handed out again');
        const rows = await cluster.sql<{ request_id: string }>('SELECT request_id FROM vmapd_areas', [], cluster.url(db));
        assert.deepEqual(
          rows.map((r) => r.request_id),
          ['next'],
        );
      } finally {
        await server.stop();
      }
    });

    /** A PostgresStore through the proxy that gives up on a lost answer after 300 ms, on a fresh database. */
    async function impatientStore(): Promise<{ store: PostgresStore; db: string }> {
      const url = await cluster.createDatabase();
      const db = new URL(url).pathname.slice(1);
      const { store } = await PostgresStore.open(proxy.url(db), new SpaceGeometry(BASE, 1n << 30n), pino({ level: 'silent' }), { timeouts: { doubtMs: 300 } });
      return { store: store as PostgresStore, db };
    }

    const area = (start: number, requestId: string) => ({ op: 'insert' as const, area: { start, pages: 2, guard: true, caller: '', owner: 'o', lazy: false, requestId } });

    it('unknown for longer than the store asks, then found committed: the outcome is unknown, then writes stop', async () => {
      const { store } = await impatientStore();
      try {
        const fired = proxy.failNextCommit('lose-answer');
        proxy.refuseConnections(true);
        const e = await store.commit([area(0, 'a')]).then(
          () => assert.fail('acknowledged without knowing'),
          (err: unknown) => err,
        );
        await fired;
        assert.ok(e instanceof StoreFailure);
        assert.equal(e.fatal, false, 'not fatal: the next commit finds out');
        assert.equal(e.outcomeUnknown, true);
        assert.match(e.message, /whether the batch committed is not known yet/);

        proxy.refuseConnections(false);
        // The service undid the batch; the store finds it committed: memory lacks a row the database has.
        const f = await store.commit([area(0, 'b')]).then(
          () => assert.fail('committed over a batch it had reported unknown'),
          (err: unknown) => err,
        );
        assert.ok(f instanceof StoreFailure);
        assert.equal(f.fatal, true);
        assert.match(f.message, /a batch whose answer was lost did commit .* writes are off until vmapd restarts/);
        assert.equal(store.position, 0);
      } finally {
        proxy.refuseConnections(false);
        await store.close();
      }
    });

    it('unknown for longer than the store asks, then found absent: the next commit goes ahead', async () => {
      const { store, db } = await impatientStore();
      try {
        const fired = proxy.failNextCommit('swallow');
        proxy.refuseConnections(true);
        // Swallowed before the server saw it: the store still cannot tell, since COMMIT had been sent.
        const e = await store.commit([area(0, 'a')]).then(
          () => assert.fail('acknowledged without knowing'),
          (err: unknown) => err,
        );
        await fired;
        assert.ok(e instanceof StoreFailure && e.outcomeUnknown && !e.fatal, String(e));
        proxy.refuseConnections(false);
        await store.commit([area(0, 'b')]);
        assert.equal(store.position, 1);
        const rows = await cluster.sql<{ request_id: string; position: string }>(
          'SELECT a.request_id, l.position::text FROM vmapd_areas a, vmapd_change_log l',
          [],
          cluster.url(db),
        );
        assert.deepEqual(rows, [{ request_id: 'b', position: '1' }]);
      } finally {
        proxy.refuseConnections(false);
        await store.close();
      }
    });
  });

  it('two stores on one database without leadership: whichever commits on a stale log position stops writing', async () => {
    // vmapd itself runs a second node as a standby that forwards its writes
    // (test/cluster/); this is the guard beneath the lease, at the store.
    const url = await cluster.createDatabase();
    const geometry = new SpaceGeometry(BASE, 1n << 30n);
    const silent = pino({ level: 'silent' });
    const { store: first } = await PostgresStore.open(url, geometry, silent);
    const { store: second } = await PostgresStore.open(url, geometry, silent);
    const area = (start: number, requestId: string) => ({ op: 'insert' as const, area: { start, pages: 2, guard: true, caller: '', owner: 'o', lazy: false, requestId } });
    try {
      await second.commit([area(0, 'second')]);
      const e = await first.commit([area(2, 'first')]).then(
        () => assert.fail('committed on a log position another store had taken'),
        (err: unknown) => err,
      );
      assert.ok(e instanceof StoreFailure && e.fatal, String(e));
      assert.match(e.message, /another writer committed to .* since this vmapd loaded it/);
      const rows = await cluster.sql<{ request_id: string }>('SELECT request_id FROM vmapd_areas', [], url);
      assert.deepEqual(
        rows.map((r) => r.request_id),
        ['second'],
      );
    } finally {
      await first.close();
      await second.close();
    }
  });
});
