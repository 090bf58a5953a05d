/**
 * Every VmapClient method against a real vmapd on 127.0.0.1: bigints out,
 * sizes in as bigint, number or '8k', request ids generated for retried
 * allocs only, and the listing read lazily.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VmapClient, VmapClientError } from '../../src/client/index.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

const BASE = 0xffffc90000000000n;
const PAGE = 4096n;

describe('VmapClient methods', () => {
  let s: TestServer;
  let vmap: VmapClient;
  before(async () => {
    s = await startTestServer();
    vmap = new VmapClient({ targets: s.grpcTarget });
  });
  after(async () => {
    vmap.close();
    await s.stop();
  });

  it('alloc takes sizes as strings, numbers and bigints, and answers bigints', async () => {
    const a = await vmap.alloc('8k', { caller: 'methods' });
    assert.deepEqual({ ...a, requestId: undefined }, { addr: BASE, size: 8192n, areaSize: 12288n, caller: 'methods', owner: 'anonymous', lazy: false, requestId: undefined });
    assert.match(a.requestId, /^[0-9a-f-]{36}$/, 'a retried alloc carries a generated request id');
    const b = await vmap.alloc(4096, { noGuard: true, align: '64k' });
    assert.equal(b.addr % 0x10000n, 0n);
    assert.equal(b.areaSize, 4096n);
    const c = await vmap.alloc(1n, { vstart: BASE + 0x100000n, requestId: 'mine' });
    assert.equal(c.addr, BASE + 0x100000n);
    assert.equal(c.requestId, 'mine');
    const again = await vmap.alloc(1n, { vstart: BASE + 0x100000n, requestId: 'mine' });
    assert.deepEqual(again, c, 'the same request id names the same area');
  });

  it('an alloc made once carries no generated request id', async () => {
    const a = await vmap.alloc('4k', {}, { retry: false });
    assert.equal(a.requestId, '');
    const once = new VmapClient({ targets: s.grpcTarget, retry: false });
    try {
      assert.equal((await once.alloc('4k')).requestId, '');
    } finally {
      once.close();
    }
  });

  it('allocBatch places every request in order, each with its own request id', async () => {
    const areas = await vmap.allocBatch([{ size: '4k', caller: 'batch' }, { size: 8192, caller: 'batch' }, { size: 2n * PAGE, noGuard: true }]);
    assert.deepEqual(
      areas.map((a) => [a.size, a.areaSize, a.caller]),
      [
        [4096n, 8192n, 'batch'],
        [8192n, 12288n, 'batch'],
        [8192n, 8192n, ''],
      ],
    );
    assert.equal(new Set(areas.map((a) => a.requestId)).size, 3);
    assert.ok(areas[0]!.addr < areas[1]!.addr && areas[1]!.addr < areas[2]!.addr);
  });

  it('find takes any address inside, as bigint, number-free string or hex', async () => {
    const a = await vmap.alloc('8k', { caller: 'find' });
    assert.deepEqual(await vmap.find(a.addr + 4097n), a);
    assert.deepEqual(await vmap.find(`0x${(a.addr + 1n).toString(16)}`), a);
    assert.deepEqual(await vmap.find((a.addr + 2n).toString()), a);
  });

  it('free, listAreas with lazy areas, purge and memInfo through an area’s life', async () => {
    const before = await vmap.memInfo();
    const a = await vmap.alloc('8k', { caller: 'life' });
    const freed = await vmap.free(a.addr);
    assert.deepEqual(freed, { freedBytes: 12288n, purged: false });
    await assert.rejects(vmap.find(a.addr), (e: unknown) => e instanceof VmapClientError && e.code === 'NOT_FOUND');

    const lazy: bigint[] = [];
    for await (const x of vmap.listAreas({ includeLazy: true })) if (x.lazy) lazy.push(x.addr);
    assert.deepEqual(lazy, [a.addr]);
    const busy: bigint[] = [];
    for await (const x of vmap.listAreas()) busy.push(x.addr);
    assert.ok(!busy.includes(a.addr) && busy.length > 3);
    assert.deepEqual(busy, [...busy].sort((x, y) => (x < y ? -1 : 1)), 'ascending');
    const page: bigint[] = [];
    for await (const x of vmap.listAreas({ from: busy[1]!, limit: 2 })) page.push(x.addr);
    assert.deepEqual(page, busy.slice(1, 3));

    const info = await vmap.memInfo();
    assert.equal(info.nrAreas, before.nrAreas);
    assert.equal(info.nrLazyAreas, before.nrLazyAreas + 1);
    assert.equal(info.vmallocLazyKb, before.vmallocLazyKb + 12n);
    assert.equal(info.generation, before.generation + 2);
    assert.equal(typeof info.vmallocTotalKb, 'bigint');
    // The client's numbers are the wire's, field for field.
    const wire = await call(s.client, 'MemInfo', {});
    assert.deepEqual(info, {
      vmallocTotalKb: BigInt(wire.vmalloc_total_kb as string),
      vmallocUsedKb: BigInt(wire.vmalloc_used_kb as string),
      vmallocChunkKb: BigInt(wire.vmalloc_chunk_kb as string),
      vmallocLazyKb: BigInt(wire.vmalloc_lazy_kb as string),
      nrAreas: Number(wire.nr_areas),
      nrLazyAreas: Number(wire.nr_lazy_areas),
      generation: Number(wire.generation),
    });

    const purged = await vmap.purge();
    assert.deepEqual(purged, { purgedAreas: 1, purgedBytes: 12288n });
    assert.deepEqual(await vmap.purge(), { purgedAreas: 0, purgedBytes: 0n });
    assert.equal((await vmap.memInfo()).nrLazyAreas, 0);
  });

  it('refuses a bad argument before sending anything: INVALID_ARGUMENT naming it, no attempt', async () => {
    const dead = new VmapClient({ targets: '127.0.0.1:1' });
    try {
      for (const [p, field] of [
        [dead.alloc('8x'), 'size'],
        [dead.alloc(-1), 'size'],
        [dead.alloc(1.5), 'size'],
        [dead.alloc('8k', { align: 'lots' }), 'align'],
        [dead.allocBatch([{ size: 1 }, { size: '1q' }]), 'requests[1].size'],
        [dead.free('-5'), 'addr'],
        [dead.find(2n ** 64n), 'addr'],
      ] as const) {
        await assert.rejects(p, (e: unknown) => e instanceof VmapClientError && e.code === 'INVALID_ARGUMENT' && e.field === field && e.attempts === 0 && e.vmapCode === undefined);
      }
      await assert.rejects(dead.listAreas({ limit: -1 }).next(), (e: unknown) => e instanceof VmapClientError && e.field === 'limit');
    } finally {
      dead.close();
    }
    for (const [options, field] of [
      [{ targets: [] }, 'targets'],
      [{ targets: ' ' }, 'targets'],
      [{ targets: 'x:1', token: 'with space' }, 'token'],
      [{ targets: 'x:1', callTimeoutMs: 0 }, 'callTimeoutMs'],
      [{ targets: 'x:1', retry: { attempts: 0 } }, 'retry.attempts'],
      [{ targets: 'x:1', tls: { cert: Buffer.from('x') } }, 'tls'],
      [{ targets: 'x:1', tls: { ca: '/nonexistent/ca.pem' } }, 'tls.ca'],
    ] as const) {
      assert.throws(() => new VmapClient(options), (e: unknown) => e instanceof VmapClientError && e.code === 'INVALID_ARGUMENT' && e.field === field);
    }
  });
});
