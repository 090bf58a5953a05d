import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { post } from '../http/http-client.js';

/** The samples of `/metrics` text: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

async function scrape(s: TestServer): Promise<{ text: string; samples: Map<string, number> }> {
  const res = await fetch(`${s.httpUrl}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  return { text, samples: samples(text) };
}

/** The vmapd_writes_total series, by `kind/result`. */
function writes(m: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, v] of m) {
    const match = /^vmapd_writes_total\{kind="(\w+)",result="(\w+)"\}$/.exec(key);
    if (match) out.set(`${match[1]}/${match[2]}`, v);
  }
  return out;
}

describe('/metrics', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('counts each rejected HTTP write once, by kind and the error body’s name, refusals before the service included', async () => {
    const addr = '0xffffc90000000000';
    const rejected: [() => Promise<Response>, number][] = [
      [() => post(s, '/v1/areas', '{"size": 40'), 400],
      [() => post(s, '/v1/areas', 'size=4096', 'text/plain'), 415],
      [() => post(s, '/v1/areas', { size: 4096, caller: 'x'.repeat(70 * 1024) }), 413],
      [() => post(s, '/v1/areas', { size: ' 4096' }), 400],
      [() => post(s, '/v1/areas', { size: 0 }), 400],
      [() => post(s, '/v1/areas', { size: 4096, colour: 'red' }), 400],
      [() => post(s, '/v1/areas', '['.repeat(100) + ']'.repeat(100)), 400],
      [() => fetch(`${s.httpUrl}/v1/areas/${addr}%0a`, { method: 'DELETE' }), 400],
      [() => fetch(`${s.httpUrl}/v1/areas/%zz`, { method: 'DELETE' }), 400],
      [() => fetch(`${s.httpUrl}/v1/areas/0x1`, { method: 'DELETE' }), 404],
      [() => post(s, '/v1/purge', '{"'), 400],
      [() => post(s, '/v1/purge', 'purge', 'text/plain'), 415],
    ];
    assert.equal(rejected.length, 12);
    const before = writes((await scrape(s)).samples);
    assert.equal(before.size, 0, 'no write yet');
    for (const [send, status] of rejected) assert.equal((await send()).status, status);
    const counted = writes((await scrape(s)).samples);
    assert.deepEqual(
      Object.fromEntries([...counted].sort()),
      {
        'alloc/InvalidArgument': 4,
        'alloc/MalformedJson': 1,
        'alloc/PayloadTooLarge': 1,
        'alloc/UnsupportedMediaType': 1,
        'free/BadRequest': 1,
        'free/InvalidArgument': 1,
        'free/NoSuchArea': 1,
        'purge/MalformedJson': 1,
        'purge/UnsupportedMediaType': 1,
      },
    );
    assert.equal([...counted.values()].reduce((a, b) => a + b, 0), 12);
  });

  it('shows the space from the current snapshot, and process and Node metrics', async () => {
    const a = (await (await post(s, '/v1/areas', { size: 8192 })).json()) as { addr: string };
    const b = (await (await post(s, '/v1/areas', { size: 4096 })).json()) as { addr: string };
    await post(s, '/v1/areas', { size: 4096 });
    assert.equal((await fetch(`${s.httpUrl}/v1/areas/${b.addr}`, { method: 'DELETE' })).status, 200);
    const mi = (await (await fetch(`${s.httpUrl}/meminfo?format=json`)).json()) as Record<string, number>;
    const m = (await scrape(s)).samples;
    assert.equal(m.get('vmapd_used_bytes'), mi.vmalloc_used_kb! * 1024);
    assert.equal(m.get('vmapd_used_bytes'), 12288 + 8192);
    assert.equal(m.get('vmapd_lazy_bytes'), 8192);
    assert.equal(m.get('vmapd_largest_free_chunk_bytes'), mi.vmalloc_chunk_kb! * 1024);
    assert.equal(Math.floor(m.get('vmapd_space_bytes')! / 1024), mi.vmalloc_total_kb);
    assert.equal(m.get('vmapd_areas'), 2);
    assert.equal(m.get('vmapd_lazy_areas'), 1);
    assert.equal(m.get('vmapd_free_blocks'), 1, 'the lazy area is not free: one block above the three areas');
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.ok(m.has(name), `missing ${name}`);
    }
    // Purged, the lazy area's range is free again, and the gauges follow at the next scrape.
    await post(s, '/v1/purge', {});
    const after = (await scrape(s)).samples;
    assert.equal(after.get('vmapd_lazy_bytes'), 0);
    assert.equal(after.get('vmapd_free_blocks'), 2);
    assert.ok(a.addr);
  });

  it('passes promtool check metrics', async () => {
    const { text } = await scrape(s);
    assert.ok(text.includes('vmapd_writes_total{kind="alloc",result="ok"}'), 'the server did some writes');
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
    if (check.error && (check.error as NodeJS.ErrnoException).code === 'ENOENT') {
      assert.fail('promtool is not installed (Debian package prometheus; CI installs it): cannot check /metrics');
    }
    assert.equal(check.error, undefined);
    assert.equal(check.stdout + check.stderr, '', 'promtool has no complaints');
    assert.equal(check.status, 0);
  });
});

describe('/metrics: rate limit', () => {
  it('counts a write refused by the rate limit as TooManyRequests', async () => {
    const s = await startTestServer({ rateLimit: 1 });
    try {
      assert.equal((await post(s, '/v1/purge', {})).status, 200);
      assert.equal((await post(s, '/v1/purge', {})).status, 429);
      assert.equal(writes((await scrape(s)).samples).get('purge/TooManyRequests'), 1);
    } finally {
      await s.stop();
    }
  });
});
