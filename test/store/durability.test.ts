import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { call, cliPath, collect, grpcClient, spawnVmapd, stopChild, withVmapd } from '../helpers/server.js';
import { STORE_TARGETS } from '../helpers/store-targets.js';

/** Runs vmapd expecting it to refuse to start; returns its exit code and stderr. */
function refusal(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [cliPath('vmapd'), '--grpc-port', '0', '--http-port', '0', ...args], { timeout: 15000 }, (err, _out, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr }),
    ),
  );
}

for (const target of STORE_TARGETS) {
  describe(`durable store: ${target.name}`, { skip: target.skip }, () => {
    before(() => target.setUp());
    after(() => target.tearDown());

    it('keeps busy and lazy areas and request ids across a restart', async () => {
      const store = await target.fresh();
      const { kept, lazy } = await withVmapd(store.args, async (c) => {
        const kept = await call(c, 'Alloc', { size: '8192', caller: 'keeper', request_id: 'job-1' });
        const lazy = await call(c, 'Alloc', { size: '4096' });
        await call(c, 'Free', { addr: lazy.addr });
        const retry = await call(c, 'Alloc', { size: '8192', caller: 'keeper', request_id: 'job-1' });
        assert.deepEqual(retry, kept, 'a retry with the same request_id returns the same area');
        return { kept, lazy };
      });

      await withVmapd(store.args, async (c, second) => {
        assert.equal(second.logs.find((l) => l.msg === 'vmapd listening')?.areas, 2);
        const areas = await collect(c, 'ListAreas', { include_lazy: true });
        assert.deepEqual(
          areas.map((a) => [a.addr, a.lazy, a.request_id, a.caller]),
          [
            [kept.addr, false, 'job-1', 'keeper'],
            [lazy.addr, true, '', ''],
          ],
        );
        const retry = await call(c, 'Alloc', { size: '8192', caller: 'keeper', request_id: 'job-1' });
        assert.deepEqual(retry, kept, 'the request id still names the same area after a restart');
        await assert.rejects(call(c, 'Alloc', { size: '4096', request_id: 'job-1' }), (e: { code: number; details: string }) => e.code === 3 && /^request_id: /.test(e.details));
        const m = await call(c, 'MemInfo', {});
        assert.equal(m.nr_lazy_areas, '1', 'lazy areas are recovered as lazy');
        await call(c, 'Free', { addr: kept.addr });
        const fresh = await call(c, 'Alloc', { size: '8192', caller: 'keeper', request_id: 'job-1' });
        assert.notEqual(fresh.addr, kept.addr, 'once its area is freed, a request id allocates anew');
      });
    });

    it('keeps the purge an out-of-space alloc made before it failed', async () => {
      const store = await target.fresh();
      await withVmapd(store.args, async (c) => {
        const a = await call(c, 'Alloc', { size: '4096' });
        await call(c, 'Free', { addr: a.addr });
        // Nothing fits below vend even after purging: RESOURCE_EXHAUSTED, but the purge stands.
        await assert.rejects(call(c, 'Alloc', { size: '8192', vend: (0xffffc90000000000n + 8192n).toString() }), (e: { code: number }) => e.code === 8);
        assert.equal((await call(c, 'MemInfo', {})).nr_lazy_areas, '0', 'readers see the purge');
      });
      await withVmapd(store.args, async (c) => {
        assert.equal((await call(c, 'MemInfo', {})).nr_lazy_areas, '0', 'so does the store');
      });
    });

    it('refuses to start on a database made for another space', async () => {
      const store = await target.fresh();
      const s = await spawnVmapd(store.args);
      assert.equal(await stopChild(s), 0);
      const r = await refusal([...store.args, '--space-size', '1G']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /made for the space at 0xffffc90000000000 of 35184372088832 bytes, not the configured 0xffffc90000000000 of 1073741824 bytes/);
    });

    it('refuses to start when the stored areas do not check out', async () => {
      const store = await target.fresh();
      await withVmapd(store.args, (c) => call(c, 'Alloc', { size: '8192' }));
      if (target.name === 'postgres') {
        // PostgreSQL refuses the overlapping row itself (the exclusion constraint).
        await assert.rejects(store.insertArea(1, 4), (e: { code?: string; constraint?: string }) => e.code === '23P01' && e.constraint === 'vmapd_areas_no_overlap');
        await withVmapd(store.args, async (c) => assert.equal((await call(c, 'MemInfo', {})).nr_areas, '1', 'the refused row left nothing behind'));
      } else {
        await store.insertArea(1, 4);
        const r = await refusal(store.args);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /does not check out \(area at page 1 overlaps/);
      }

      const outside = await target.fresh();
      const s2 = await spawnVmapd([...outside.args, '--space-size', '1M']);
      assert.equal(await stopChild(s2), 0);
      await outside.insertArea(250, 10);
      const r2 = await refusal([...outside.args, '--space-size', '1M']);
      assert.equal(r2.code, 1);
      assert.match(r2.stderr, /runs past the end of the space/);
    });

    it('refuses to start on a store whose schema is newer than it knows', async () => {
      const store = await target.fresh();
      await withVmapd(store.args, (c) => call(c, 'Alloc', { size: '8192' }));
      await store.setSchemaVersion(99);
      const r = await refusal(store.args);
      assert.equal(r.code, 1);
      assert.match(r.stderr, target.newerSchema);
    });

    it('on SIGTERM commits the writes in flight before exiting', async () => {
      const store = await target.fresh();
      const s = await spawnVmapd(store.args);
      const c = grpcClient(s.grpcPort);
      await call(c, 'MemInfo', {});
      const writes = Array.from({ length: 200 }, (_, i) => call(c, 'Alloc', { size: '4096', request_id: `w${i}` }));
      await new Promise((resolve) => setImmediate(resolve));
      s.child.kill('SIGTERM');
      const results = await Promise.allSettled(writes);
      c.close();
      assert.equal(await s.exited, 0);
      const acked = results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<Record<string, unknown>>).value);
      assert.ok(acked.length > 0);

      await withVmapd(store.args, async (c2) => {
        const live = new Map((await collect(c2, 'ListAreas', {})).map((a) => [a.request_id, a.addr]));
        for (const a of acked) assert.equal(live.get(a.request_id), a.addr, `acknowledged ${String(a.request_id)} survived`);
      });
    });
  });
}
