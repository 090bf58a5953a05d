/**
 * The HA issue's nodes used as one: a leader and a standby on one
 * PostgreSQL, the client given both. The leader is killed (-9); the next
 * calls fail over to the standby, which takes the lease and answers, and an
 * alloc retried with its request id returns the area the old leader made.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VmapClient } from '../../src/client/index.js';
import { leaseRow, startNode, stopNode, type Node } from '../helpers/cluster-nodes.js';
import { postgresSkip, TestPostgres } from '../helpers/postgres.js';

describe('VmapClient on a group of nodes', { skip: postgresSkip }, () => {
  let pg: TestPostgres;
  before(async () => {
    pg = await TestPostgres.start();
  });
  after(async () => {
    await pg?.stop();
  });

  it('the leader killed: calls move to the standby, and a retried alloc keeps its area', async () => {
    const url = await pg.createDatabase();
    const nodes: Node[] = [];
    let vmap: VmapClient | undefined;
    try {
      for (let i = 0; i < 2; i++) nodes.push(await startNode(url));
      const { advertise } = await leaseRow(pg, url);
      const leader = nodes.find((n) => n.advertise === advertise)!;
      const standby = nodes.find((n) => n !== leader)!;
      vmap = new VmapClient({
        targets: [leader.advertise, standby.advertise],
        callTimeoutMs: 5000,
        deadlineMs: 30_000,
        retry: { attempts: 20, baseDelayMs: 50, maxDelayMs: 500 },
      });
      const kept = await vmap.alloc('8k', { caller: 'ha', requestId: 'kept' });
      assert.equal((await vmap.find(kept.addr)).requestId, 'kept');

      leader.server.child.kill('SIGKILL');
      await leader.server.exited;
      // Sent to the dead leader first, then to the standby, which answers once it leads.
      const again = await vmap.alloc('8k', { caller: 'ha', requestId: 'kept' });
      assert.deepEqual(again, kept, 'the same area, from the new leader');
      const next = await vmap.alloc('4k', { caller: 'ha' });
      assert.notEqual(next.addr, kept.addr);
      const info = await vmap.memInfo();
      assert.equal(info.nrAreas, 2);
      assert.equal((await leaseRow(pg, url)).advertise, standby.advertise, 'the standby took the lease');
    } finally {
      vmap?.close();
      for (const n of nodes) await stopNode(n);
    }
  });
});
