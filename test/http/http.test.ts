import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

const BASE = 0xffffc90000000000n;

async function post(s: TestServer, path: string, body: unknown, contentType = 'application/json'): Promise<Response> {
  return fetch(`${s.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('HTTP edge', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('GET /meminfo prints the kernel /proc/meminfo lines', async () => {
    const a = (await (await post(s, '/v1/areas', { size: 8192 })).json()) as { addr: string };
    const b = (await (await post(s, '/v1/areas', { size: '4096' })).json()) as { addr: string };
    const res = await fetch(`${s.httpUrl}/meminfo`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    // The kernel's figures: VMALLOC_END is VMALLOC_START + 32 TiB - 1, and its last page is never allocated.
    const chunkKb = 34359738364 - 20;
    assert.equal(
      await res.text(),
      [
        'VmallocTotal:   34359738367 kB',
        'VmallocUsed:          20 kB',
        `VmallocChunk:   ${chunkKb} kB`,
        'VmallocLazy:           0 kB',
        'VmallocAreas:          2',
        'VmallocLazyAreas:       0',
        '',
      ].join('\n'),
    );
    await fetch(`${s.httpUrl}/v1/areas/${a.addr}`, { method: 'DELETE' });
    await fetch(`${s.httpUrl}/v1/areas/${b.addr}`, { method: 'DELETE' });
    await post(s, '/v1/purge', {});
  });

  it('GET /meminfo answers JSON for Accept: application/json and ?format=json', async () => {
    const viaQuery = (await (await fetch(`${s.httpUrl}/meminfo?format=json`)).json()) as Record<string, unknown>;
    const viaAccept = await fetch(`${s.httpUrl}/meminfo`, { headers: { accept: 'application/json' } });
    assert.match(viaAccept.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(await viaAccept.json(), viaQuery);
    assert.deepEqual(Object.keys(viaQuery).sort(), [
      'generation',
      'nr_areas',
      'nr_lazy_areas',
      'vmalloc_chunk_kb',
      'vmalloc_lazy_kb',
      'vmalloc_total_kb',
      'vmalloc_used_kb',
    ]);
    assert.equal(viaQuery.vmalloc_total_kb, 32 * 1024 ** 3 - 1);
    assert.equal(typeof viaQuery.generation, 'number');
  });

  it('POST, GET and DELETE /v1/areas behave like Alloc, Find and Free', async () => {
    const created = await post(s, '/v1/areas', { size: 8192, align: '0x10000', caller: 'curl' });
    assert.equal(created.status, 201);
    const area = (await created.json()) as Record<string, unknown>;
    assert.equal(BigInt(area.addr as string) % 0x10000n, 0n);
    assert.deepEqual({ ...area, addr: undefined }, { addr: undefined, size: 8192, area_size: 12288, caller: 'curl', owner: 'anonymous', lazy: false, request_id: '' });
    const inside = `0x${(BigInt(area.addr as string) + 5000n).toString(16)}`;
    const found = await fetch(`${s.httpUrl}/v1/areas/${inside}`);
    assert.equal(found.status, 200);
    assert.equal(((await found.json()) as { addr: string }).addr, area.addr);
    const decimal = await fetch(`${s.httpUrl}/v1/areas/${BigInt(area.addr as string).toString()}`);
    assert.equal(decimal.status, 200, 'addresses may be decimal too');
    const del = await fetch(`${s.httpUrl}/v1/areas/${area.addr}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.deepEqual(await del.json(), { freed_bytes: 12288, purged: false });
    const again = await fetch(`${s.httpUrl}/v1/areas/${area.addr}`, { method: 'DELETE' });
    assert.equal(again.status, 404);
    assert.equal(((await again.json()) as { error: string }).error, 'NoSuchArea');
    assert.equal((await fetch(`${s.httpUrl}/v1/areas/${area.addr}`)).status, 404);
    const purge = await post(s, '/v1/purge', {});
    assert.deepEqual(await purge.json(), { purged_areas: 1, purged_bytes: 12288 });
  });

  it('answers 400 naming the field, 404 and 507 like the gRPC codes', async () => {
    const before = await (await fetch(`${s.httpUrl}/meminfo?format=json`)).text();
    const bad: [unknown, string][] = [
      [{ size: 0 }, 'size'],
      [{ size: -4096 }, 'size'],
      [{ size: 'lots' }, 'size'],
      [{ size: '18446744073709551616' }, 'size'],
      [{ size: 4096, align: 12288 }, 'align'],
      [{ size: 4096, vstart: '0x1000' }, 'vstart'],
      [{ size: 4096, no_guard: 'yes' }, 'no_guard'],
      [{ size: 4096, colour: 'red' }, 'colour'],
      [{}, 'size'],
    ];
    for (const [body, field] of bad) {
      const res = await post(s, '/v1/areas', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      const err = (await res.json()) as { field: string; message: string };
      assert.equal(err.field, field, JSON.stringify(body));
      assert.match(err.message, new RegExp(`^${field}: `));
    }
    const malformed = await post(s, '/v1/areas', '{"size": 40', 'application/json');
    assert.equal(malformed.status, 400);
    const wrongType = await post(s, '/v1/areas', 'size=4096', 'text/plain');
    assert.equal(wrongType.status, 415);
    const tooBig = await post(s, '/v1/areas', { size: 4096, vend: `0x${(BASE + 4096n).toString(16)}` });
    assert.equal(tooBig.status, 507);
    assert.equal((await fetch(`${s.httpUrl}/v1/areas/notanaddress`, { method: 'DELETE' })).status, 400);
    assert.equal(await (await fetch(`${s.httpUrl}/meminfo?format=json`)).text(), before, 'rejected requests change nothing');
  });

  it('GET /vmallocinfo lists areas in the kernel format, lazily freed ones as unpurged', async () => {
    const a = (await (await post(s, '/v1/areas', { size: 8192, caller: 'driver_probe' })).json()) as { addr: string };
    const b = (await (await post(s, '/v1/areas', { size: 4096, no_guard: true })).json()) as { addr: string };
    const c = (await (await post(s, '/v1/areas', { size: 4096 })).json()) as { addr: string };
    await fetch(`${s.httpUrl}/v1/areas/${b.addr}`, { method: 'DELETE' });
    const text = await (await fetch(`${s.httpUrl}/vmallocinfo`)).text();
    assert.equal(
      text,
      [
        '0xffffc90000000000-0xffffc90000003000   12288 driver_probe pages=2 vmalloc owner=anonymous',
        '0xffffc90000003000-0xffffc90000004000    4096 unpurged vm_area',
        '0xffffc90000004000-0xffffc90000006000    8192 pages=1 vmalloc owner=anonymous',
        '',
      ].join('\n'),
    );
    const paged = await (await fetch(`${s.httpUrl}/vmallocinfo?from=${b.addr}&limit=1`)).text();
    assert.equal(paged, '0xffffc90000003000-0xffffc90000004000    4096 unpurged vm_area\n');
    assert.equal((await fetch(`${s.httpUrl}/vmallocinfo?limit=-1`)).status, 400);
    for (const x of [a, c]) await fetch(`${s.httpUrl}/v1/areas/${x.addr}`, { method: 'DELETE' });
    await post(s, '/v1/purge', {});
  });

  it('GET /vmallocinfo streams a large listing', async () => {
    const n = 3000;
    const made: string[] = [];
    for (let i = 0; i < n; i++) made.push(((await (await post(s, '/v1/areas', { size: 4096 })).json()) as { addr: string }).addr);
    const lines = (await (await fetch(`${s.httpUrl}/vmallocinfo`)).text()).trimEnd().split('\n');
    assert.equal(lines.length, n);
    assert.deepEqual(
      lines.map((l) => l.slice(0, 18)),
      made,
    );
    for (const addr of made) await fetch(`${s.httpUrl}/v1/areas/${addr}`, { method: 'DELETE' });
    await post(s, '/v1/purge', {});
  });

  it('serves /healthz, /readyz and Prometheus /metrics', async () => {
    // The writes whose counters are looked for below, made here: no test depends on another's.
    const made = (await (await post(s, '/v1/areas', { size: 4096 })).json()) as { addr: string };
    assert.equal((await fetch(`${s.httpUrl}/v1/areas/0xffffc9ffff000000`, { method: 'DELETE' })).status, 404);
    assert.equal((await fetch(`${s.httpUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${s.httpUrl}/readyz`)).status, 200);
    await fetch(`${s.httpUrl}/meminfo`);
    const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
    for (const name of [
      'vmapd_writes_total{kind="alloc",result="ok"}',
      'vmapd_writes_total{kind="free",result="NoSuchArea"}',
      'vmapd_writer_mutex_wait_seconds_bucket',
      'vmapd_writer_mutex_hold_seconds_bucket',
      'vmapd_snapshot_generation',
      'vmapd_snapshot_age_seconds',
      'vmapd_reads_total{mode="snapshot",endpoint="http"}',
    ]) {
      assert.ok(metrics.includes(name), `missing ${name}`);
    }
    const generation = /^vmapd_snapshot_generation (\d+)$/m.exec(metrics);
    const meminfo = (await (await fetch(`${s.httpUrl}/meminfo?format=json`)).json()) as { generation: number };
    assert.equal(Number(generation?.[1]), meminfo.generation);
    await fetch(`${s.httpUrl}/v1/areas/${made.addr}`, { method: 'DELETE' });
  });
});
