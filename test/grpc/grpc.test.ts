import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { HealthClient } from './health-client.js';
import { call, collect, startTestServer, type TestServer } from '../helpers/server.js';

const BASE = 0xffffc90000000000n;
const PAGE = 4096n;

function isStatus(code: grpc.status, field?: string) {
  return (err: unknown): boolean => {
    const e = err as grpc.ServiceError;
    assert.equal(e.code, code, `expected ${grpc.status[code]}, got ${grpc.status[e.code]}: ${e.details}`);
    if (field !== undefined) {
      assert.match(e.details, new RegExp(`^${field}: `));
      assert.deepEqual(e.metadata.get('vmap-field'), [field]);
    }
    return true;
  };
}

describe('gRPC vmap.v1.Vmap', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ lazyMaxPages: 8 });
  });
  after(async () => {
    await s.stop();
  });

  it('allocates lowest-first with a guard page, finds, frees lazily and purges', async () => {
    const a = await call(s.client, 'Alloc', { size: '8192', caller: 'first' });
    assert.deepEqual(a, { addr: BASE.toString(), size: '8192', area_size: '12288', caller: 'first', owner: 'anonymous', lazy: false, request_id: '' });
    const b = await call(s.client, 'Alloc', { size: '1' });
    assert.equal(b.addr, (BASE + 3n * PAGE).toString(), 'the next area starts right after the first one and its guard page');
    assert.equal(b.size, '4096');

    const found = await call(s.client, 'Find', { addr: (BASE + 4096n + 17n).toString() });
    assert.equal(found.addr, a.addr, 'Find takes any address inside the area');
    const atGuard = call(s.client, 'Find', { addr: (BASE + 2n * PAGE).toString() });
    assert.equal((await atGuard).addr, a.addr, 'the guard page belongs to the area');

    const freed = await call(s.client, 'Free', { addr: a.addr });
    assert.deepEqual(freed, { freed_bytes: '12288', purged: false });
    await assert.rejects(call(s.client, 'Find', { addr: a.addr }), isStatus(grpc.status.NOT_FOUND));
    await assert.rejects(call(s.client, 'Free', { addr: a.addr }), isStatus(grpc.status.NOT_FOUND), 'a lazy area cannot be freed twice');

    const listed = await collect(s.client, 'ListAreas', { include_lazy: true });
    assert.deepEqual(
      listed.map((x) => [x.addr, x.lazy]),
      [
        [a.addr, true],
        [b.addr, false],
      ],
    );
    // The lazy range still reserves its pages: a new area goes after b.
    const c = await call(s.client, 'Alloc', { size: '4096' });
    assert.equal(c.addr, (BASE + 5n * PAGE).toString());

    const purged = await call(s.client, 'Purge', {});
    assert.deepEqual(purged, { purged_areas: '1', purged_bytes: '12288' });
    const d = await call(s.client, 'Alloc', { size: '4096' });
    assert.equal(d.addr, BASE.toString(), 'after the purge the lowest range is free again');
    for (const x of [b, c, d]) await call(s.client, 'Free', { addr: x.addr });
    await call(s.client, 'Purge', {});
  });

  it('purges on free once the lazy pages exceed lazy-max-pages', async () => {
    // lazyMaxPages is 8: four 1-page areas (2 pages with guard) reach 8, a fifth exceeds it.
    const areas = [];
    for (let i = 0; i < 5; i++) areas.push(await call(s.client, 'Alloc', { size: '4096' }));
    const results = [];
    for (const x of areas) results.push(await call(s.client, 'Free', { addr: x.addr }));
    assert.deepEqual(
      results.map((r) => r.purged),
      [false, false, false, false, true],
    );
    const m = await call(s.client, 'MemInfo', {});
    assert.equal(m.nr_lazy_areas, '0');
    assert.equal(m.vmalloc_lazy_kb, '0');
  });

  it('honours align, vstart, vend and no_guard', async () => {
    // The space is empty here: a fit below vend may end exactly at vend, one page more does not fit.
    const vend = BASE + 64n * PAGE;
    await assert.rejects(
      call(s.client, 'Alloc', { size: String(64n * PAGE), vend: vend.toString() }),
      isStatus(grpc.status.RESOURCE_EXHAUSTED),
      '64 pages and a guard page do not fit below vend',
    );
    const fits = await call(s.client, 'Alloc', { size: String(63n * PAGE), vend: vend.toString() });
    assert.equal(BigInt(fits.addr as string), BASE);
    assert.equal(BigInt(fits.addr as string) + BigInt(fits.area_size as string), vend, 'a fit may end exactly at vend');
    // BASE is 1 GiB aligned but taken, so the next 1 GiB boundary is the lowest aligned fit.
    const aligned = await call(s.client, 'Alloc', { size: '4096', align: String(1n << 30n) });
    assert.equal(BigInt(aligned.addr as string), BASE + (1n << 30n));
    const vstart = BASE + (1n << 32n) + 100n;
    const ranged = await call(s.client, 'Alloc', { size: '4096', vstart: vstart.toString(), no_guard: true });
    assert.equal(BigInt(ranged.addr as string), BASE + (1n << 32n) + PAGE, 'vstart rounds up to a page');
    assert.equal(ranged.area_size, '4096');
    for (const x of [aligned, ranged, fits]) await call(s.client, 'Free', { addr: x.addr });
    await call(s.client, 'Purge', {});
  });

  it('rejects bad arguments with INVALID_ARGUMENT naming the field, changing nothing', async () => {
    const before = await call(s.client, 'MemInfo', {});
    const cases: [object, string][] = [
      [{ size: '0' }, 'size'],
      [{ size: String(1n << 50n) }, 'size'],
      [{ size: '4096', align: '3' }, 'align'],
      [{ size: '4096', vstart: '4096' }, 'vstart'],
      [{ size: '4096', vend: '18446744073709551615' }, 'vend'],
      [{ size: '4096', vstart: (BASE + 8192n).toString(), vend: (BASE + 4096n).toString() }, 'vstart'],
      [{ size: '4096', caller: 'x'.repeat(300) }, 'caller'],
    ];
    for (const [req, field] of cases) {
      await assert.rejects(call(s.client, 'Alloc', req), isStatus(grpc.status.INVALID_ARGUMENT, field), JSON.stringify(req).slice(0, 80));
    }
    const afterwards = await call(s.client, 'MemInfo', {});
    assert.deepEqual(afterwards, before);
  });

  it('answers NOT_FOUND for Free of a non-start address and Find outside any area', async () => {
    const a = await call(s.client, 'Alloc', { size: '8192' });
    await assert.rejects(call(s.client, 'Free', { addr: (BigInt(a.addr as string) + PAGE).toString() }), isStatus(grpc.status.NOT_FOUND));
    await assert.rejects(call(s.client, 'Free', { addr: '1' }), isStatus(grpc.status.NOT_FOUND));
    await assert.rejects(call(s.client, 'Find', { addr: (BASE + (1n << 44n)).toString() }), isStatus(grpc.status.NOT_FOUND));
    await call(s.client, 'Free', { addr: a.addr });
    await call(s.client, 'Purge', {});
  });

  it('MemInfo counts areas and grows its generation with every published write', async () => {
    const m0 = await call(s.client, 'MemInfo', {});
    const a = await call(s.client, 'Alloc', { size: '8192' });
    const m1 = await call(s.client, 'MemInfo', {});
    assert.equal(Number(m1.generation), Number(m0.generation) + 1);
    assert.equal(Number(m1.vmalloc_used_kb), Number(m0.vmalloc_used_kb) + 12);
    assert.equal(Number(m1.nr_areas), Number(m0.nr_areas) + 1);
    // The kernel's VmallocTotal: (VMALLOC_END - VMALLOC_START) >> 10, one byte short of 32 TiB.
    assert.equal(m1.vmalloc_total_kb, String(32 * 1024 ** 3 - 1));
    // A failed write publishes nothing.
    await assert.rejects(call(s.client, 'Free', { addr: '1' }));
    assert.equal((await call(s.client, 'MemInfo', {})).generation, m1.generation);
    await call(s.client, 'Free', { addr: a.addr });
    await call(s.client, 'Purge', {});
  });

  it('ListAreas pages with from_addr and limit', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await call(s.client, 'Alloc', { size: '4096' }));
    const all = await collect(s.client, 'ListAreas', {});
    assert.deepEqual(
      all.map((x) => x.addr),
      made.map((x) => x.addr),
    );
    const page = await collect(s.client, 'ListAreas', { from_addr: made[2]!.addr, limit: 2 });
    assert.deepEqual(
      page.map((x) => x.addr),
      [made[2]!.addr, made[3]!.addr],
    );
    for (const x of made) await call(s.client, 'Free', { addr: x.addr });
    await call(s.client, 'Purge', {});
  });

  it('serves the standard health service and reflection', async () => {
    const health = new HealthClient(s.grpcTarget);
    try {
      assert.equal(await health.check(''), 'SERVING');
      assert.equal(await health.check('vmap.v1.Vmap'), 'SERVING');
      const services = await health.listServices();
      assert.ok(services.includes('vmap.v1.Vmap'), services.join(','));
    } finally {
      health.close();
    }
  });
});
