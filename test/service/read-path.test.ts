import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReadMode } from '../../src/service/read-modes.js';
import { READ_MODES } from '../../src/service/read-modes.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';
import { Stall } from '../helpers/stall.js';

async function meminfoJson(s: TestServer): Promise<{ nr_areas: number; generation: number; vmalloc_used_kb: number }> {
  return (await (await fetch(`${s.httpUrl}/meminfo?format=json`)).json()) as { nr_areas: number; generation: number; vmalloc_used_kb: number };
}

async function readsCounted(s: TestServer, mode: ReadMode): Promise<number> {
  const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
  const m = new RegExp(`^vmapd_reads_total\\{mode="${mode}",endpoint="http"\\} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('read path', () => {
  it('all three read modes print the same numbers for the same state', async () => {
    const servers = await Promise.all(READ_MODES.map((readMode) => startTestServer({ readMode, lazyMaxPages: 20 })));
    try {
      // The same writes on each server, in the same order: lazy areas, purges, alignment, holes.
      for (const s of servers) {
        const addrs: string[] = [];
        for (let i = 1; i <= 40; i++) {
          const a = await call(s.client, 'Alloc', { size: String(4096 * ((i * 7) % 13 + 1)), align: i % 5 === 0 ? String(1 << 20) : '0' });
          addrs.push(a.addr as string);
        }
        for (let i = 0; i < 40; i += 3) await call(s.client, 'Free', { addr: addrs[i] });
      }
      const texts = await Promise.all(servers.map(async (s) => (await fetch(`${s.httpUrl}/meminfo`)).text()));
      const jsons = await Promise.all(servers.map(meminfoJson));
      const rpcs = await Promise.all(servers.map((s) => call(s.client, 'MemInfo', {})));
      assert.ok(jsons[0]!.nr_areas > 0 && (rpcs[0]!.nr_lazy_areas as string) !== '0', 'the state has busy and lazy areas');
      for (let i = 1; i < servers.length; i++) {
        assert.equal(texts[i], texts[0], `${READ_MODES[i]} text`);
        assert.deepEqual(jsons[i], jsons[0], `${READ_MODES[i]} JSON`);
        assert.deepEqual(rpcs[i], rpcs[0], `${READ_MODES[i]} MemInfo RPC`);
      }
      for (const s of servers) {
        const mode = s.vmapd.service.readMode;
        assert.ok((await readsCounted(s, mode)) >= 2, `reads are counted by mode (${mode})`);
      }
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  it('snapshot mode answers while a writer holds the mutex, showing the state from before that write', async () => {
    const stall = new Stall();
    const s = await startTestServer({ readMode: 'snapshot' }, { hooks: { beforeCommit: stall.hook } });
    try {
      await call(s.client, 'Alloc', { size: '8192' });
      const before = await meminfoJson(s);
      assert.equal(before.nr_areas, 1);

      stall.arm();
      const write = call(s.client, 'Alloc', { size: '4096' });
      await stall.entered; // the write is applied in memory and holds the writer mutex

      // Reads complete now, while the writer is stalled: they never wait for it.
      const during = await meminfoJson(s);
      assert.deepEqual(during, before, 'readers see the last published state, not the unfinished write');
      const rpc = await call(s.client, 'MemInfo', {});
      assert.equal(Number(rpc.nr_areas), 1);
      assert.equal(Number(rpc.generation), before.generation);
      const next = 0xffffc90000000000n + 3n * 4096n;
      assert.equal((await fetch(`${s.httpUrl}/v1/areas/0x${next.toString(16)}`)).status, 404, 'Find does not see the unfinished write');
      const listing = await (await fetch(`${s.httpUrl}/vmallocinfo`)).text();
      assert.equal(listing.trimEnd().split('\n').length, 1);

      stall.release();
      const area = await write;
      assert.equal(BigInt(area.addr as string), next);
      const afterwards = await meminfoJson(s);
      assert.equal(afterwards.nr_areas, 2);
      assert.equal(afterwards.generation, before.generation + 1);
    } finally {
      stall.release();
      await s.stop();
    }
  });

  it('locked-walk mode makes the same read wait for the writer', async () => {
    const stall = new Stall();
    const s = await startTestServer({ readMode: 'locked-walk' }, { hooks: { beforeCommit: stall.hook } });
    try {
      await call(s.client, 'Alloc', { size: '8192' });
      const before = await meminfoJson(s);
      const readsBefore = await readsCounted(s, 'locked-walk');

      stall.arm();
      const write = call(s.client, 'Alloc', { size: '4096' });
      await stall.entered;

      let answered = false;
      const read = meminfoJson(s).then((m) => {
        answered = true;
        return m;
      });
      // Wait until the read has reached its handler (it is counted on entry)...
      for (let i = 0; i < 1000 && (await readsCounted(s, 'locked-walk')) === readsBefore; i++) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(await readsCounted(s, 'locked-walk'), readsBefore + 1, 'the read reached the server');
      // ...where it queues for the writer mutex the stalled write holds.
      assert.equal(answered, false, 'the locked read is still waiting for the writer');

      stall.release();
      await write;
      const m = await read;
      assert.equal(m.nr_areas, 2, 'the read ran after the write it waited for');
      // Proof it waited: a walk without the mutex would have reported the
      // generation published before the stalled write; this one is the next.
      assert.equal(m.generation, before.generation + 1, 'the read took the mutex after the write had been published');
    } finally {
      stall.release();
      await s.stop();
    }
  });

  it('groups writes that arrive while the mutex is held into one batch', async () => {
    const stall = new Stall();
    const s = await startTestServer({}, { hooks: { beforeCommit: stall.hook } });
    try {
      stall.arm();
      const first = call(s.client, 'Alloc', { size: '4096' });
      await stall.entered;
      const queued = Array.from({ length: 20 }, () => call(s.client, 'Alloc', { size: '4096' }));
      // Wait until all 20 are queued behind the stalled batch.
      const pending = (): number => s.vmapd.service.pendingWrites;
      for (let i = 0; i < 1000 && pending() < 20; i++) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(pending(), 20);
      const gen0 = (await meminfoJson(s)).generation;
      stall.release();
      await first;
      const areas = await Promise.all(queued);
      assert.equal(new Set(areas.map((a) => a.addr)).size, 20, 'every write got its own range');
      const m = await meminfoJson(s);
      assert.equal(m.nr_areas, 21);
      assert.equal(m.generation, gen0 + 2, 'the stalled write and the 20 queued behind it were published in two batches');
    } finally {
      stall.release();
      await s.stop();
    }
  });

  it('close() answers the writes in flight, then refuses new ones', async () => {
    const stall = new Stall();
    const s = await startTestServer({}, { hooks: { beforeCommit: stall.hook } });
    try {
      stall.arm();
      const inflight = call(s.client, 'Alloc', { size: '4096' });
      await stall.entered;
      const closing = s.vmapd.close();
      await assert.rejects(s.vmapd.service.alloc({ size: 4096n, align: 0n, vstart: 0n, vend: 0n, noGuard: false, caller: '', owner: 'x', requestId: '' }), {
        name: 'Unavailable',
      });
      stall.release();
      const area = await inflight;
      assert.equal(BigInt(area.addr as string), 0xffffc90000000000n, 'the in-flight write was answered');
      await closing;
    } finally {
      stall.release();
      await s.stop();
    }
  });

  it('a batch whose commit fails is rolled back and answered UNAVAILABLE', async () => {
    let fail = false;
    const s = await startTestServer(
      {},
      {
        hooks: {
          beforeCommit: async () => {
            if (fail) throw new Error('disk on fire');
          },
        },
      },
    );
    try {
      const kept = await call(s.client, 'Alloc', { size: '4096' });
      const before = await meminfoJson(s);
      fail = true;
      await assert.rejects(call(s.client, 'Alloc', { size: '4096' }), (e: { code: number; details: string }) => e.code === 14 && /disk on fire/.test(e.details));
      await assert.rejects(call(s.client, 'Free', { addr: kept.addr }), (e: { code: number }) => e.code === 14);
      fail = false;
      assert.deepEqual(await meminfoJson(s), before, 'readers never saw the failed batches');
      // The failed alloc's range was given back: the next alloc gets it.
      const next = await call(s.client, 'Alloc', { size: '4096' });
      assert.equal(BigInt(next.addr as string), BigInt(kept.addr as string) + 8192n);
      await call(s.client, 'Free', { addr: kept.addr });
    } finally {
      await s.stop();
    }
  });
});
