/**
 * vmapd nodes on one PostgreSQL database, as processes: the first to start
 * leads, the others follow the change log and serve reads from their own
 * replica at the same generation, writes sent to a standby land on the
 * leader with the leader's answers, and a leader paused past its lease
 * commits nothing once a standby took over.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import { PostgresProxy } from '../helpers/pg-proxy.js';
import { postgresSkip, TestPostgres, waitFor } from '../helpers/postgres.js';
import { call, collect, spawnVmapd, stopChild } from '../helpers/server.js';
import { HealthClient } from '../grpc/health-client.js';
import { httpText, leaseRow, meminfoJson, startNode, stopNode, TEST_LEASE_MS, writersOf, type Node } from '../helpers/cluster-nodes.js';

interface GrpcError {
  readonly code: number;
  readonly details: string;
}

/** What a call failed with (it must fail). */
async function failure(p: Promise<unknown>): Promise<GrpcError> {
  return p.then(
    () => assert.fail('the call succeeded'),
    (e: GrpcError) => e,
  );
}

/**
 * Waits until every node of `nodes` publishes the generation of `leader`.
 * A node that was paused may shed load (503) for a moment after, its event
 * loop having been seen to stall: not yet, then.
 */
async function inStep(leader: Node, nodes: readonly Node[]): Promise<number> {
  const generation = (await meminfoJson(leader)).generation as number;
  await waitFor(`every node at generation ${generation}`, async () => {
    for (const n of nodes) if ((await meminfoJson(n).catch(() => undefined))?.generation !== generation) return false;
    return true;
  });
  return generation;
}

describe('vmapd nodes on one PostgreSQL', { skip: postgresSkip }, () => {
  let pg: TestPostgres;
  before(async () => {
    pg = await TestPostgres.start();
  });
  after(async () => {
    await pg?.stop();
  });

  it('the first node leads; a standby follows the log and serves /meminfo, MemInfo, Find, ListAreas and /vmallocinfo at the same generation', async () => {
    const url = await pg.createDatabase();
    const a = await startNode(url);
    const b = await startNode(url);
    try {
      assert.equal((await leaseRow(pg, url)).advertise, a.advertise);
      const x = await call<{ addr: string }>(a.client, 'Alloc', { size: '8192', caller: 'follow', request_id: 'x' });
      const y = await call<{ addr: string }>(a.client, 'Alloc', { size: '4096', caller: 'follow' });
      await call(a.client, 'Free', { addr: y.addr });
      const generation = await inStep(a, [b]);
      const logged = await pg.sql<{ n: string }>('SELECT max(position)::text AS n FROM vmapd_change_log', [], url);
      assert.equal(generation, Number(logged[0]!.n), 'the generation is the log position');
      assert.deepEqual(await meminfoJson(b), await meminfoJson(a));
      assert.equal(await httpText(b, '/meminfo'), await httpText(a, '/meminfo'));
      assert.deepEqual(await call(b.client, 'MemInfo', {}), await call(a.client, 'MemInfo', {}));
      assert.equal((await call<{ generation: string }>(b.client, 'MemInfo', {})).generation, String(generation));
      assert.deepEqual(await call(b.client, 'Find', { addr: x.addr }), await call(a.client, 'Find', { addr: x.addr }));
      assert.deepEqual(await collect(b.client, 'ListAreas', { include_lazy: true }), await collect(a.client, 'ListAreas', { include_lazy: true }));
      assert.equal(await httpText(b, '/vmallocinfo'), await httpText(a, '/vmallocinfo'));

      // A standby started later loads the state at a log position, then follows on.
      const c = await startNode(url);
      try {
        assert.equal((await meminfoJson(c)).generation, generation);
        await call(a.client, 'Purge', {});
        const next = await inStep(a, [b, c]);
        assert.equal(next, generation + 1);
        assert.equal(await httpText(c, '/vmallocinfo'), await httpText(a, '/vmallocinfo'));
      } finally {
        await stopNode(c);
      }
    } finally {
      await stopNode(b);
      await stopNode(a);
    }
  });

  it('a standby that was away reads every batch it missed at once, in log order (past 9 → 10, 99 → 100)', async () => {
    const url = await pg.createDatabase();
    const a = await startNode(url);
    const b = await startNode(url);
    try {
      await call(a.client, 'Alloc', { size: '4096' });
      await inStep(a, [b]);
      // Paused, it hears of nothing: once back it reads the log after its position in one go.
      b.server.child.kill('SIGSTOP');
      const made: string[] = [];
      for (let i = 0; i < 120; i++) made.push((await call<{ addr: string }>(a.client, 'Alloc', { size: '4096' })).addr);
      b.server.child.kill('SIGCONT');
      const generation = await inStep(a, [b]);
      assert.ok(generation > 100, String(generation));
      await waitFor('the standby\'s /vmallocinfo the leader\'s', async () => (await httpText(b, '/vmallocinfo').catch(() => '')) === (await httpText(a, '/vmallocinfo')));
      assert.equal(b.server.child.exitCode, null, 'the standby is still running');
    } finally {
      await stopNode(b);
      await stopNode(a);
    }
  });

  it('writes sent to a standby (gRPC and HTTP) land on the leader, and its errors keep their codes and messages', async () => {
    const url = await pg.createDatabase();
    const a = await startNode(url);
    const b = await startNode(url);
    try {
      const area = await call<{ addr: string; request_id: string }>(b.client, 'Alloc', { size: '4096', caller: 'forwarded', request_id: 'fw' });
      assert.equal(area.request_id, 'fw');
      assert.deepEqual(await call(a.client, 'Find', { addr: area.addr }), area, 'the leader holds it');
      assert.deepEqual(await call(b.client, 'Alloc', { size: '4096', caller: 'forwarded', request_id: 'fw' }), area, 'a retry on the standby returns the same area');
      const batch = await call<{ areas: { addr: string }[] }>(b.client, 'AllocBatch', { requests: [{ size: '4096' }, { size: '4096' }] });
      assert.equal(batch.areas.length, 2);

      const posted = await fetch(`${b.http}/v1/areas`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 8192, caller: 'http' }) });
      assert.equal(posted.status, 201);
      const made = (await posted.json()) as { addr: string };
      assert.equal(((await call<{ caller: string }>(a.client, 'Find', { addr: BigInt(made.addr).toString() })).caller), 'http');
      const deleted = await fetch(`${b.http}/v1/areas/${made.addr}`, { method: 'DELETE' });
      assert.equal(deleted.status, 200);

      // The leader's errors, as the leader gives them.
      const gone = '0xffffc90000100000';
      const onB = await failure(call(b.client, 'Free', { addr: BigInt(gone).toString() }));
      const onA = await failure(call(a.client, 'Free', { addr: BigInt(gone).toString() }));
      assert.equal(onB.code, 5);
      assert.deepEqual([onB.code, onB.details], [onA.code, onA.details]);
      const tooBig = { size: String(1n << 46n) };
      const bigB = await failure(call(b.client, 'Alloc', tooBig));
      const bigA = await failure(call(a.client, 'Alloc', tooBig));
      assert.equal(bigB.code, bigA.code);
      assert.equal(bigB.details, bigA.details);
      const httpGone = await fetch(`${b.http}/v1/areas/${gone}`, { method: 'DELETE' });
      const httpGoneA = await fetch(`${a.http}/v1/areas/${gone}`, { method: 'DELETE' });
      assert.equal(httpGone.status, 404);
      assert.deepEqual(await httpGone.json(), await httpGoneA.json());

      await inStep(a, [b]);
      const rows = await pg.sql<{ n: string }>('SELECT count(*)::text AS n FROM vmapd_areas WHERE NOT lazy', [], url);
      assert.equal(rows[0]!.n, '3', 'fw, the batch of two; the HTTP one freed');
    } finally {
      await stopNode(b);
      await stopNode(a);
    }
  });

  it('with tokens, a write forwarded by a standby is made for its caller (gRPC and HTTP); one without a token is refused there', async () => {
    const url = await pg.createDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'vmapd-tokens-'));
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, 'alice-token-0123456789 alice\nbob-token-0123456789 bob\n');
    const a = await startNode(url, ['--tokens', tokens]);
    const b = await startNode(url, ['--tokens', tokens]);
    try {
      const md = new grpc.Metadata();
      md.set('authorization', 'Bearer alice-token-0123456789');
      const area = await new Promise<{ owner: string; addr: string }>((resolve, reject) => {
        (b.client.Alloc as (r: object, m: grpc.Metadata, cb: (e: Error | null, v: { owner: string; addr: string }) => void) => void)({ size: '4096' }, md, (e, v) => (e ? reject(e) : resolve(v)));
      });
      assert.equal(area.owner, 'alice');
      const posted = await fetch(`${b.http}/v1/areas`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer bob-token-0123456789' }, body: JSON.stringify({ size: 4096 }) });
      assert.equal(posted.status, 201);
      assert.equal(((await posted.json()) as { owner: string }).owner, 'bob');
      // Bob may not free Alice's area, on the standby as on the leader.
      const denied = await fetch(`${b.http}/v1/areas/${area.addr.startsWith('0x') ? area.addr : `0x${BigInt(area.addr).toString(16)}`}`, { method: 'DELETE', headers: { authorization: 'Bearer bob-token-0123456789' } });
      assert.equal(denied.status, 403);
      const anonymous = await failure(call(b.client, 'Alloc', { size: '4096' }));
      assert.equal(anonymous.code, 16);
    } finally {
      await stopNode(b);
      await stopNode(a);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--advertise and --lease-ms come from VMAPD_ADVERTISE and VMAPD_LEASE_MS too', async () => {
    const url = await pg.createDatabase();
    const server = await spawnVmapd(['--store', 'postgres', '--postgres-url', url], { env: { VMAPD_ADVERTISE: 'node-x.example:50051', VMAPD_LEASE_MS: '1500' } });
    try {
      assert.equal((await leaseRow(pg, url)).advertise, 'node-x.example:50051');
      assert.equal(server.logs.find((l) => l.msg === 'vmapd listening')?.leaseMs, 1500);
    } finally {
      await stopChild(server);
    }
  });

  it('/readyz, the gRPC health service and /metrics say each node\'s role, epoch, log position and lag', async () => {
    const url = await pg.createDatabase();
    const a = await startNode(url);
    const b = await startNode(url);
    const healthA = new HealthClient(a.advertise);
    const healthB = new HealthClient(b.advertise);
    try {
      await call(a.client, 'Alloc', { size: '4096' });
      const generation = await inStep(a, [b]);
      const { epoch } = await leaseRow(pg, url);
      const readyz = async (n: Node): Promise<[number, string]> => {
        const res = await fetch(`${n.http}/readyz`);
        return [res.status, await res.text()];
      };
      assert.deepEqual(await readyz(a), [200, `ready\nrole leader epoch ${epoch} position ${generation} lag 0 leader ${a.advertise}\n`]);
      await waitFor('the standby to know the leader and be caught up', async () => (await readyz(b))[1] === `ready\nrole standby epoch ${epoch} position ${generation} lag 0 leader ${a.advertise}\n`);
      assert.equal(await healthA.check('vmap.v1.Vmap/leader'), 'SERVING');
      assert.equal(await healthB.check('vmap.v1.Vmap/leader'), 'NOT_SERVING');
      assert.equal(await healthB.check(''), 'SERVING', 'a standby serves');
      const metric = async (n: Node, name: string): Promise<number> => {
        const text = await httpText(n, '/metrics');
        const line = text.split('\n').find((l) => l.startsWith(`${name} `));
        assert.ok(line !== undefined, `${name} in /metrics`);
        return Number(line.split(' ')[1]);
      };
      assert.deepEqual(
        [await metric(a, 'vmapd_node_leader'), await metric(a, 'vmapd_node_epoch'), await metric(a, 'vmapd_log_position'), await metric(a, 'vmapd_log_lag_batches')],
        [1, epoch, generation, 0],
      );
      assert.deepEqual(
        [await metric(b, 'vmapd_node_leader'), await metric(b, 'vmapd_node_epoch'), await metric(b, 'vmapd_log_position'), await metric(b, 'vmapd_log_lag_batches')],
        [0, epoch, generation, 0],
      );
    } finally {
      healthA.close();
      healthB.close();
      await stopNode(b);
      await stopNode(a);
    }
  });

  it('a leader cut off from the database loses the lease to a standby; its writes fail meanwhile, and once back it stands by', async () => {
    const url = await pg.createDatabase();
    const proxy = await PostgresProxy.start(pg.port);
    const a = await startNode(proxy.url(new URL(url).pathname.slice(1)));
    const b = await startNode(url);
    try {
      await call(a.client, 'Alloc', { size: '4096' });
      const epoch = (await leaseRow(pg, url)).epoch;
      proxy.refuseConnections(true);
      proxy.cutAll();
      await waitFor('the standby to take the lease', async () => (await leaseRow(pg, url)).advertise === b.advertise, 10 * TEST_LEASE_MS);
      assert.equal((await leaseRow(pg, url)).epoch, epoch + 1);
      await call(b.client, 'Alloc', { size: '4096', request_id: 'on-b' });
      const cut = await failure(call(a.client, 'Alloc', { size: '4096', request_id: 'on-a' }));
      assert.equal(cut.code, 14);
      const takeoverEnd = Number((await pg.sql<{ n: string }>('SELECT max(position)::text AS n FROM vmapd_change_log', [], url))[0]!.n);
      proxy.refuseConnections(false);
      const standingBy = new RegExp(`^ready\nrole standby epoch ${epoch + 1} .* leader ${b.advertise}\n$`);
      await waitFor('the old leader to stand by', async () => standingBy.test(await httpText(a, '/readyz')));
      // The retry lands on the new leader, through the old one.
      const retried = await call<{ addr: string; request_id: string }>(a.client, 'Alloc', { size: '4096', request_id: 'on-a' });
      assert.deepEqual(await call(b.client, 'Find', { addr: retried.addr }), retried);
      await inStep(b, [a]);
      const writerOfA = writersOf(a)[0]!;
      const late = await pg.sql('SELECT position FROM vmapd_change_log WHERE writer = $1 AND position > $2', [writerOfA, takeoverEnd - 1], url);
      assert.deepEqual(late, [], 'the cut-off leader committed nothing after the takeover');
    } finally {
      proxy.refuseConnections(false);
      await stopNode(b);
      await stopNode(a);
      await proxy.close();
    }
  });

  it('a leader paused past its lease commits nothing after a standby took over; it stands by when it comes back', async () => {
    const url = await pg.createDatabase();
    const a = await startNode(url);
    const b = await startNode(url);
    try {
      await call(a.client, 'Alloc', { size: '4096', request_id: 'before' });
      const writerOfA = (await pg.sql<{ writer: string }>('SELECT writer FROM vmapd_change_log ORDER BY position DESC LIMIT 1', [], url))[0]!.writer;
      const epoch = (await leaseRow(pg, url)).epoch;
      assert.equal(a.server.child.kill('SIGSTOP'), true);
      await waitFor('the standby to take the lease', async () => (await leaseRow(pg, url)).advertise === b.advertise, 10 * TEST_LEASE_MS);
      const takeover = await leaseRow(pg, url);
      assert.equal(takeover.epoch, epoch + 1);
      const before = Number((await pg.sql<{ n: string }>('SELECT coalesce(max(position), 0)::text AS n FROM vmapd_change_log', [], url))[0]!.n);
      // A write sent to the paused leader is read once it runs again, and races
      // its own discovery of the takeover: either way it must not commit there.
      const sent = call(a.client, 'Alloc', { size: '4096', request_id: 'while-paused' }, { deadline: Date.now() + 10_000 }).then(
        () => 'ok',
        (e: GrpcError) => e.code,
      );
      await waitFor('the new leader to take writes', async () =>
        call(b.client, 'Alloc', { size: '4096', request_id: 'after' }).then(
          () => true,
          () => false,
        ),
      );
      assert.equal(a.server.child.kill('SIGCONT'), true);
      const outcome = await sent;
      assert.ok(outcome === 'ok' || outcome === 14, `the paused leader's write: ${outcome}`);
      // It stands by: it follows the new leader and forwards to it.
      await inStep(b, [a]);
      const viaA = await call<{ addr: string }>(a.client, 'Alloc', { size: '4096', request_id: 'via-a' });
      assert.ok(viaA.addr.length > 0);
      const later = await pg.sql<{ position: string; writer: string }>('SELECT position::text, writer FROM vmapd_change_log WHERE position > $1', [before], url);
      assert.ok(later.length >= 2);
      assert.deepEqual(later.filter((r) => r.writer === writerOfA), [], 'the paused leader committed nothing after the takeover');
      assert.equal((await leaseRow(pg, url)).epoch, epoch + 1);
      await inStep(b, [a]);
      const leaderMeminfo = JSON.stringify(await meminfoJson(b));
      await waitFor('the paused node\'s /meminfo the leader\'s', async () => JSON.stringify(await meminfoJson(a).catch(() => undefined)) === leaderMeminfo);
      const standingBy = new RegExp(`^ready\nrole standby epoch ${epoch + 1} .* leader ${b.advertise}\n$`);
      await waitFor('the paused node to say it stands by', async () => standingBy.test(await httpText(a, '/readyz')));
    } finally {
      await stopNode(b);
      await stopNode(a);
    }
  });
});
