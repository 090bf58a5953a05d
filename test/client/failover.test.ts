/**
 * Several targets used as one: a dead first target is passed over, a node
 * stopped mid-use is left for the next, calls stay where they work; and
 * the rule for frees: retried when never sent, never after a reply was lost.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VmapClient, VmapClientError } from '../../src/client/index.js';
import { deadPort } from '../cli/vmapctl-run.js';
import { GrpcProxy } from '../helpers/grpc-proxy.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

/** A client of `s` alone; closed when its listing ends (one use). */
function directListing(s: TestServer): { listAreas: () => AsyncGenerator<{ caller: string; requestId: string }> } {
  return {
    async *listAreas() {
      const c = new VmapClient({ targets: s.grpcTarget });
      try {
        yield* c.listAreas();
      } finally {
        c.close();
      }
    },
  };
}

/** Busy areas on `s`, asked directly. */
async function areasOn(s: TestServer): Promise<number> {
  return Number((await call<{ nr_areas: string }>(s.client, 'MemInfo', {})).nr_areas);
}

describe('VmapClient failover', () => {
  let live: TestServer;
  let dead: string;
  before(async () => {
    live = await startTestServer();
    dead = `127.0.0.1:${await deadPort()}`;
  });
  after(async () => {
    await live.stop();
  });

  it('targets [a dead port, a live vmapd]: every method reaches the live one, and calls stay there', async () => {
    const vmap = new VmapClient({ targets: [dead, live.grpcTarget] });
    try {
      const n = await areasOn(live);
      const a = await vmap.alloc('8k', { caller: 'failover' });
      assert.equal(await areasOn(live), n + 1);
      assert.deepEqual(await vmap.find(a.addr), a);
      assert.equal((await vmap.memInfo()).nrAreas, n + 1);
      await vmap.free(a.addr);
      await vmap.purge();
    } finally {
      vmap.close();
    }
    // Without retries the failing call is the caller's; the next call goes to the next target.
    const once = new VmapClient({ targets: [dead, live.grpcTarget], retry: false });
    try {
      await assert.rejects(once.memInfo(), (e: unknown) => e instanceof VmapClientError && e.code === 'UNAVAILABLE' && e.target === dead);
      assert.equal(typeof (await once.memInfo()).generation, 'number');
    } finally {
      once.close();
    }
    // A free is retried when it was never sent: a fresh client tries the dead port first.
    const direct = new VmapClient({ targets: live.grpcTarget });
    const fresh = new VmapClient({ targets: [dead, live.grpcTarget] });
    try {
      const a = await direct.alloc('4k');
      assert.equal((await fresh.free(a.addr)).freedBytes, 8192n, 'a free that never left passes to the next target');
    } finally {
      direct.close();
      fresh.close();
    }
  });

  it('the first node stopped mid-use: the next call moves to the second and stays', async () => {
    const a = await startTestServer();
    const b = await startTestServer();
    const vmap = new VmapClient({ targets: [a.grpcTarget, b.grpcTarget], retry: { attempts: 4, baseDelayMs: 10, maxDelayMs: 50 } });
    try {
      for (let i = 0; i < 3; i++) await vmap.alloc('4k', { caller: 'on-a' });
      assert.equal(await areasOn(a), 3);
      assert.equal(await areasOn(b), 0);
      await a.stop();
      // The call that finds a gone is retried on b, at once.
      assert.equal((await vmap.memInfo()).nrAreas, 0, 'answered by b');
      const moved = await vmap.alloc('4k', { caller: 'on-b' });
      assert.equal(await areasOn(b), 1);
      assert.deepEqual(await vmap.find(moved.addr), moved);
    } finally {
      vmap.close();
      await b.stop();
    }
  });

  it('a free whose reply was lost is not sent again (the area may already be someone’s new one); an alloc is', async () => {
    const proxy = await GrpcProxy.start(live.vmapd.grpcPort);
    const vmap = new VmapClient({ targets: proxy.target, retry: { attempts: 5, baseDelayMs: 10, maxDelayMs: 50 } });
    try {
      const area = await vmap.alloc('8k', { caller: 'lost-free' });
      const cut = proxy.cutNextReply();
      const freed = vmap.free(area.addr);
      await cut;
      proxy.release();
      await assert.rejects(freed, (e: unknown) => e instanceof VmapClientError && e.code === 'UNAVAILABLE' && e.attempts === 1);
      // vmapd did free it: a retry would have been answered NOT_FOUND.
      const lazy = new VmapClient({ targets: live.grpcTarget });
      try {
        const states: boolean[] = [];
        for await (const x of lazy.listAreas({ from: area.addr, limit: 1, includeLazy: true })) states.push(x.addr === area.addr && x.lazy);
        assert.deepEqual(states, [true]);
      } finally {
        lazy.close();
      }

      const cutAlloc = proxy.cutNextReply();
      const allocated = vmap.alloc('8k', { caller: 'lost-alloc' });
      await cutAlloc;
      proxy.release();
      const got = await allocated;
      const found = await call<{ addr: string; request_id: string }>(live.client, 'Find', { addr: got.addr.toString() });
      assert.equal(found.request_id, got.requestId, 'the retry got the area the lost attempt made');
      const made: string[] = [];
      for await (const x of directListing(live).listAreas()) if (x.caller === 'lost-alloc') made.push(x.requestId);
      assert.deepEqual(made, [got.requestId], 'and no second one');
    } finally {
      vmap.close();
      await proxy.close();
    }
  });
});
