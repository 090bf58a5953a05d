/**
 * Failover under load, with vmapd's default lease: three nodes, 16 clients
 * spread over all of them doing Alloc and Free with request ids, retrying a
 * call that failed UNAVAILABLE or DEADLINE_EXCEEDED on the next node with
 * the same request id. The leader is killed (-9), later the new leader is
 * paused past its lease and let go on. At the end every acknowledged alloc
 * is there (unless acknowledged freed), no acknowledged free is undone, no
 * two areas overlap, every node's /meminfo equals the leader's, and the
 * paused leader committed nothing after it lost the lease. The failover
 * time (leader killed → first acknowledged write) is printed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresSkip, TestPostgres, waitFor } from '../helpers/postgres.js';
import { call, collect } from '../helpers/server.js';
import { leaseRow, meminfoJson, startNode, stopNode, writersOf, type Node } from '../helpers/cluster-nodes.js';

interface GrpcError {
  readonly code: number;
  readonly details: string;
}

const CLIENTS = 16;
/** Codes after which a write may or may not have been applied: retried, same request id, next node. */
const RETRIED = new Set([4, 14]);
/** The default lease (config.ts). */
const DEFAULT_LEASE_MS = 2000;

interface Ledger {
  /** request id → the area acknowledged for it. */
  readonly allocated: Map<string, string>;
  /** Request ids of the areas whose free was acknowledged (or found done on a retry). */
  readonly freed: Set<string>;
  /** performance.now() of every acknowledged write. */
  readonly acks: number[];
  /** When each acknowledged write was sent (its last try), in the order of acks. */
  readonly sent: number[];
  /** Unexpected failures (not retried). */
  readonly errors: string[];
  /** Request ids of areas whose free was cut short by the end of the run: freed or not. */
  readonly unknownFrees: Set<string>;
}

/** One client: Alloc, and every third call Free of one of its own areas, until `stop()` says so. */
async function client(id: number, nodes: readonly Node[], ledger: Ledger, stop: () => boolean): Promise<void> {
  let at = id % nodes.length;
  const mine: { addr: string; requestId: string }[] = [];
  /** Calls `method` on the nodes in turn until it is answered (not UNAVAILABLE or DEADLINE_EXCEEDED). */
  const write = async <T,>(method: string, request: object): Promise<T | GrpcError> => {
    for (;;) {
      const sentAt = performance.now();
      try {
        const r = await call<T>(nodes[at]!.client, method, request, { deadline: Date.now() + 3000 });
        ledger.acks.push(performance.now());
        ledger.sent.push(sentAt);
        return r;
      } catch (err) {
        const e = err as GrpcError;
        // Not a gRPC status at all: a bug somewhere, shown as it is.
        if (typeof e.code !== 'number') return { code: -1, details: `${String(err)} ${(err as Error).stack ?? ''}` };
        if (!RETRIED.has(e.code)) return e;
        at = (at + 1) % nodes.length;
        // Stopping: this write's outcome stays unknown (the caller knows by the code).
        if (stop()) return e;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  for (let n = 0; !stop(); n++) {
    if (n % 3 === 2 && mine.length > 0) {
      const { addr, requestId } = mine.shift()!;
      const r = await write<{ freed_bytes: string }>('Free', { addr: BigInt(addr).toString() });
      // NOT_FOUND on a retry: the first try was applied (nobody else frees this client's areas).
      if (!('code' in r) || r.code === 5) ledger.freed.add(requestId);
      else if (RETRIED.has(r.code) && stop()) ledger.unknownFrees.add(requestId);
      else ledger.errors.push(`Free ${addr}: ${r.code} ${r.details}`);
      continue;
    }
    const requestId = `c${id}-${n}`;
    const r = await write<{ addr: string; request_id: string }>('Alloc', { size: String(4096 * (1 + (n % 4))), caller: `client${id}`, request_id: requestId });
    if ('code' in r) {
      if (!RETRIED.has(r.code)) ledger.errors.push(`Alloc ${requestId}: ${r.code} ${r.details}`);
      continue;
    }
    assert.equal(r.request_id, requestId, JSON.stringify(r));
    ledger.allocated.set(requestId, r.addr);
    mine.push({ addr: r.addr, requestId });
  }
}

/** The node whose advertise address the lease names. */
async function leaderOf(pg: TestPostgres, url: string, nodes: readonly Node[]): Promise<Node> {
  const { advertise } = await leaseRow(pg, url);
  const leader = nodes.find((n) => n.advertise === advertise);
  assert.ok(leader !== undefined, `the lease names ${advertise}`);
  return leader;
}

describe('failover under load', { skip: postgresSkip }, () => {
  let pg: TestPostgres;
  before(async () => {
    pg = await TestPostgres.start();
  });
  after(async () => {
    await pg?.stop();
  });

  it('kill -9 the leader, then pause the next one past its lease: nothing acknowledged lost, no overlap, every node agrees', async () => {
    const url = await pg.createDatabase();
    const nodes: Node[] = [];
    let stopping = false;
    let clients: Promise<void>[] = [];
    try {
      for (let i = 0; i < 3; i++) nodes.push(await startNode(url, [], 'default'));
      const first = await leaderOf(pg, url, nodes);
      const kept = await call<{ addr: string }>(first.client, 'Alloc', { size: '4096', request_id: 'kept-across-failover' });

      const ledger: Ledger = { allocated: new Map(), freed: new Set(), acks: [], sent: [], errors: [], unknownFrees: new Set() };
      clients = Array.from({ length: CLIENTS }, (_, i) => client(i, nodes, ledger, () => stopping));
      await waitFor('writes under way', () => ledger.acks.length >= 50);

      const killedAt = performance.now();
      first.server.child.kill('SIGKILL');
      await first.server.exited;
      // A write sent after the kill can only be committed by the new leader
      // (one answered just after it may have been committed just before).
      const afterKill = (): number[] => ledger.acks.filter((_, i) => ledger.sent[i]! > killedAt);
      await waitFor('a write sent after the kill acknowledged', () => afterKill().length > 0, 15_000);
      const failoverMs = Math.min(...afterKill()) - killedAt;
      console.log(`failover: leader killed -> first acknowledged write in ${Math.round(failoverMs)} ms (lease ${DEFAULT_LEASE_MS} ms, ${CLIENTS} clients)`);

      const live = nodes.filter((n) => n !== first);
      await waitFor('a standby to hold the lease', async () => (await leaseRow(pg, url)).advertise !== first.advertise);
      const second = await leaderOf(pg, url, live);
      const retried = await call<{ addr: string }>(second.client, 'Alloc', { size: '4096', request_id: 'kept-across-failover' });
      assert.equal(retried.addr, kept.addr, 'the retry returns the area the old leader acknowledged');
      assert.deepEqual(retried, await call(second.client, 'Find', { addr: kept.addr }));

      // The new leader paused past its lease: the third node takes over.
      const acked = ledger.acks.length;
      await waitFor('more writes on the new leader', () => ledger.acks.length >= acked + 50);
      const pausedEpoch = (await leaseRow(pg, url)).epoch;
      second.server.child.kill('SIGSTOP');
      const third = live.find((n) => n !== second)!;
      await waitFor('the third node to take the lease', async () => (await leaseRow(pg, url)).advertise === third.advertise, 15_000);
      const takeover = await leaseRow(pg, url);
      assert.equal(takeover.epoch, pausedEpoch + 1);
      const pausedAt = performance.now();
      await waitFor('writes acknowledged by the third node', () => ledger.acks.filter((t) => t > pausedAt).length >= 50, 15_000);
      second.server.child.kill('SIGCONT');
      const resumed = ledger.acks.length;
      await waitFor('writes go on after the paused leader came back', () => ledger.acks.length >= resumed + 50, 15_000);

      stopping = true;
      await Promise.all(clients);
      assert.deepEqual(ledger.errors, []);

      // Every live node's /meminfo the leader's. The node that was paused may
      // shed load (503) for a moment: its event loop was seen to stall.
      const leaderMeminfo = await meminfoJson(third);
      const generation = leaderMeminfo.generation;
      await waitFor(`every node's /meminfo the leader's at generation ${String(generation)}`, async () => {
        for (const n of live) {
          const m = await meminfoJson(n).catch(() => undefined);
          if (m === undefined || JSON.stringify(m) !== JSON.stringify(leaderMeminfo)) return false;
        }
        return true;
      });

      const areas = await collect<{ addr: string; area_size: string; request_id: string; lazy: boolean }>(third.client, 'ListAreas', { include_lazy: true });
      const busy = new Map(areas.filter((a) => !a.lazy).map((a) => [BigInt(a.addr), a]));
      const busyIds = new Set([...busy.values()].map((a) => a.request_id));
      for (const [requestId, addr] of ledger.allocated) {
        if (ledger.unknownFrees.has(requestId)) continue;
        if (ledger.freed.has(requestId)) assert.ok(!busyIds.has(requestId), `acknowledged free of ${requestId} at ${addr} stands`);
        else assert.equal(busy.get(BigInt(addr))?.request_id, requestId, `acknowledged alloc ${requestId} at ${addr} is there`);
      }
      assert.equal(busy.get(BigInt(kept.addr))?.request_id, 'kept-across-failover');
      const sorted = areas.map((a) => [BigInt(a.addr), BigInt(a.addr) + BigInt(a.area_size)] as const).sort((x, y) => (x[0] < y[0] ? -1 : 1));
      for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]![0] >= sorted[i - 1]![1], `areas at ${sorted[i - 1]![0]} and ${sorted[i]![0]} overlap`);

      // The paused leader committed nothing after the takeover.
      const writers = writersOf(second);
      assert.equal(writers.length, 1);
      const lastOfPaused = await pg.sql<{ n: string }>('SELECT coalesce(max(position), 0)::text AS n FROM vmapd_change_log WHERE writer = $1', [writers[0]], url);
      const firstOfThird = await pg.sql<{ n: string }>('SELECT min(position)::text AS n FROM vmapd_change_log WHERE writer = $1', [writersOf(third)[0]], url);
      assert.ok(Number(lastOfPaused[0]!.n) < Number(firstOfThird[0]!.n), `the paused leader's last commit (${lastOfPaused[0]!.n}) precedes the takeover's first (${firstOfThird[0]!.n})`);
      console.log(`failover under load: ${ledger.allocated.size} allocs and ${ledger.freed.size} frees acknowledged, ${ledger.acks.length} writes in all, generation ${String(generation)}`);
    } catch (err) {
      // What the nodes said, for whoever reads the failure.
      for (const n of nodes) {
        const said = n.server.logs.filter((l) => Number(l.level) >= 40 || /lease|recovered/.test(String(l.msg))).slice(-20).map((l) => JSON.stringify(l));
        console.log(`node ${n.advertise} (exit ${String(n.server.child.exitCode)}):\n${said.join('\n')}`);
      }
      throw err;
    } finally {
      stopping = true;
      await Promise.allSettled(clients);
      for (const n of nodes) await stopNode(n);
    }
  });
});
