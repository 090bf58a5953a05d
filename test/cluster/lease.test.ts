/**
 * The lease and the fence at the store: who takes an expired lease, that a
 * held one is not taken, and that a store leading at an epoch commits
 * nothing once another node took the lease, even a commit that waited on
 * the lease row while the takeover ran.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { pino } from 'pino';
import { StoreFailure } from '../../src/store/errors.js';
import { readLease, renewLease, takeLease, Deposed } from '../../src/store/postgres-lease.js';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { SpaceGeometry } from '../../src/vmap/geometry.js';
import { PostgresProxy } from '../helpers/pg-proxy.js';
import { postgresSkip, TestPostgres, waitFor } from '../helpers/postgres.js';

const BASE = 0xffffc90000000000n;
const area = (start: number, requestId: string) => ({ op: 'insert' as const, area: { start, pages: 2, guard: true, caller: '', owner: 'o', lazy: false, requestId } });

describe('leader lease and fencing', { skip: postgresSkip }, () => {
  let cluster: TestPostgres;
  before(async () => {
    cluster = await TestPostgres.start();
  });
  after(async () => {
    await cluster?.stop();
  });

  /** A fresh database with vmapd's schema, a store on it, and a client for lease calls. */
  async function setup(): Promise<{ url: string; store: PostgresStore; client: pg.Client }> {
    const url = await cluster.createDatabase();
    const { store } = await PostgresStore.open(url, new SpaceGeometry(BASE, 1n << 30n), pino({ level: 'silent' }));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return { url, store, client };
  }

  it('an expired lease is taken once, at the next epoch; a held one is not; the holder renews until deposed', async () => {
    const { store, client } = await setup();
    try {
      assert.equal((await readLease(client)).epoch, 0);
      assert.equal(await takeLease(client, 'a', 'a:1', 60_000), 1);
      assert.equal(await takeLease(client, 'b', 'b:1', 60_000), undefined, 'held: not taken');
      await renewLease(client, 'a', 1, 60_000);
      const held = await readLease(client);
      assert.equal(held.holder, 'a');
      assert.equal(held.advertise, 'a:1');
      assert.ok(held.msLeft > 50_000, String(held.msLeft));
      // Expired: the next taker gets epoch 2, and the old holder's renewal says it was deposed.
      await client.query("UPDATE vmapd_lease SET expires_at = clock_timestamp() - interval '1 second'");
      assert.equal(await takeLease(client, 'b', 'b:1', 60_000), 2);
      await assert.rejects(renewLease(client, 'a', 1, 60_000), (e: unknown) => e instanceof Deposed && e.current === 2);
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('a leader whose lease was taken commits nothing: the commit fails, the store stands by and says so', async () => {
    const { url, store, client } = await setup();
    try {
      const epoch = (await takeLease(client, 'a', 'a:1', 60_000))!;
      store.lead(epoch, store.position);
      let deposed: Deposed | undefined;
      store.onDeposed((d) => (deposed = d));
      await store.commit([area(0, 'before')]);
      await client.query("UPDATE vmapd_lease SET expires_at = clock_timestamp() - interval '1 second'");
      assert.equal(await takeLease(client, 'b', 'b:1', 60_000), epoch + 1);
      const e = await store.commit([area(2, 'after')]).then(
        () => assert.fail('a deposed leader committed'),
        (err: unknown) => err,
      );
      assert.ok(e instanceof StoreFailure && !e.fatal, String(e));
      assert.match(e.message, /no longer the leader/);
      assert.equal(deposed?.current, epoch + 1);
      await assert.rejects(store.commit([area(4, 'later')]), /standby and commits nothing/);
      const rows = await cluster.sql<{ request_id: string }>('SELECT request_id FROM vmapd_areas ORDER BY start', [], url);
      assert.deepEqual(rows.map((r) => r.request_id), ['before']);
      const log = await cluster.sql<{ n: string }>('SELECT count(*)::text AS n FROM vmapd_change_log', [], url);
      assert.equal(log[0]!.n, '1');
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('a leader whose lost COMMIT answer is at a position the next leader took stands by: the batch did not commit, nothing is broken', async () => {
    const proxy = await PostgresProxy.start(cluster.port);
    const url = await cluster.createDatabase();
    const db = new URL(url).pathname.slice(1);
    const { store } = await PostgresStore.open(proxy.url(db), new SpaceGeometry(BASE, 1n << 30n), pino({ level: 'silent' }), { timeouts: { doubtMs: 300 } });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const epoch = (await takeLease(client, 'a', 'a:1', 60_000))!;
      store.lead(epoch, store.position);
      let deposed: Deposed | undefined;
      store.onDeposed((d) => (deposed = d));
      // COMMIT swallowed and PostgreSQL out of reach: the outcome stays unknown.
      const fired = proxy.failNextCommit('swallow');
      proxy.refuseConnections(true);
      const e = await store.commit([area(0, 'lost')]).then(
        () => assert.fail('acknowledged without knowing'),
        (err: unknown) => err,
      );
      await fired;
      assert.ok(e instanceof StoreFailure && e.outcomeUnknown && !e.fatal, String(e));
      // Meanwhile another node takes over and commits at that position.
      await client.query("UPDATE vmapd_lease SET expires_at = clock_timestamp() - interval '1 second'");
      const next = (await takeLease(client, 'b', 'b:1', 60_000))!;
      const { store: other } = await PostgresStore.open(url, new SpaceGeometry(BASE, 1n << 30n), pino({ level: 'silent' }));
      other.lead(next, other.position);
      await other.commit([area(4, 'theirs')]);
      await other.close();
      proxy.refuseConnections(false);
      const f = await store.commit([area(8, 'next')]).then(
        () => assert.fail('a deposed leader committed'),
        (err: unknown) => err,
      );
      assert.ok(f instanceof StoreFailure && !f.fatal, String(f));
      assert.match(f.message, /no longer the leader/);
      assert.equal(store.broken, false, 'it may follow the new leader: nothing disagrees');
      assert.equal(deposed?.epoch, epoch);
      const rows = await cluster.sql<{ request_id: string }>('SELECT request_id FROM vmapd_areas ORDER BY start', [], url);
      assert.deepEqual(rows.map((r) => r.request_id), ['theirs']);
    } finally {
      proxy.refuseConnections(false);
      await client.end();
      await store.close();
      await proxy.close();
    }
  });

  it('a takeover waits for a commit that holds the lease row, and a commit that waited for a takeover is refused', async () => {
    const { url, store, client } = await setup();
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      const epoch = (await takeLease(client, 'a', 'a:1', 60_000))!;
      store.lead(epoch, store.position);
      await client.query("UPDATE vmapd_lease SET expires_at = clock_timestamp() - interval '1 second'");
      // A takeover in an open transaction holds the row: the commit waits on it,
      // then finds the new epoch once the takeover commits.
      await other.query('BEGIN');
      assert.equal(await takeLease(other, 'b', 'b:1', 60_000), epoch + 1);
      const commit = store.commit([area(0, 'raced')]).then(
        () => 'committed',
        (err: unknown) => (err instanceof StoreFailure ? err.message : String(err)),
      );
      await waitFor('the commit to wait for the lease row', async () => {
        const waiting = await cluster.sql<{ n: string }>("SELECT count(*)::text AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'", [], url);
        return Number(waiting[0]!.n) >= 1;
      });
      await other.query('COMMIT');
      assert.match(await commit, /no longer the leader/);
      const rows = await cluster.sql('SELECT start FROM vmapd_areas', [], url);
      assert.equal(rows.length, 0);
    } finally {
      await other.end();
      await client.end();
      await store.close();
    }
  });
});
