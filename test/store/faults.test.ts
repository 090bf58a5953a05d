/**
 * Storage faults against a real vmapd process: a full disk (a small tmpfs) and
 * a failing fsync (libfiu's fiu-run). Both need root or fiu-utils, which CI
 * has (.ci/run installs fiu-utils); elsewhere the tests say why they skip.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { call, callOnceStoreDue, collect, grpcClient, spawnVmapd, stopChild, type TestServer } from '../helpers/server.js';

const isRoot = process.getuid?.() === 0;
const hasFiu = spawnSync('fiu-run', { stdio: 'ignore' }).error === undefined;
// In CI the tools are installed, so a missing one is a failure, not a skip.
const inCi = process.env.CI === 'true';

interface Acked {
  readonly requestId: string;
  readonly addr: string;
}

/** Allocates one page at a time with request ids until a write fails (at most `max`). */
async function allocUntilFailure(c: TestServer['client'], max: number): Promise<{ acked: Acked[]; error: { code: number; details: string } }> {
  const acked: Acked[] = [];
  for (let i = 0; i < max; i++) {
    const requestId = `fill-${i}`;
    try {
      const a = await call(c, 'Alloc', { size: '4096', caller: 'x'.repeat(200), request_id: requestId });
      acked.push({ requestId, addr: a.addr as string });
    } catch (err) {
      return { acked, error: err as { code: number; details: string } };
    }
  }
  throw new Error(`no write failed in ${max} tries`);
}

async function checkAllPresent(port: number, acked: readonly Acked[]): Promise<void> {
  const c = grpcClient(port);
  try {
    const live = new Map((await collect(c, 'ListAreas', {})).map((a) => [a.request_id, a.addr]));
    for (const a of acked) assert.equal(live.get(a.requestId), a.addr, `acknowledged ${a.requestId} survived`);
  } finally {
    c.close();
  }
}

describe('storage faults', () => {
  it('disk full: writes fail UNAVAILABLE saying so, reads work, nothing acknowledged is lost', { skip: !isRoot && !inCi && 'needs root to mount a tmpfs' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmapd-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=640k', 'tmpfs', dir]);
    try {
      const s = await spawnVmapd(['--data-dir', dir]);
      const c = grpcClient(s.grpcPort);
      let acked: Acked[];
      try {
        const filled = await allocUntilFailure(c, 20000);
        acked = filled.acked;
        assert.ok(acked.length > 0, 'some writes fit before the disk filled');
        assert.equal(filled.error.code, 14, `UNAVAILABLE, got ${filled.error.code}: ${filled.error.details}`);
        assert.match(filled.error.details, /write not applied: the disk holding the store is full/);

        const ready = await fetch(`http://127.0.0.1:${s.httpPort}/readyz`);
        assert.equal(ready.status, 503);
        assert.match(await ready.text(), /full/);
        const m = (await (await fetch(`http://127.0.0.1:${s.httpPort}/meminfo?format=json`)).json()) as { nr_areas: number };
        assert.equal(m.nr_areas, acked.length, 'reads work and show exactly the acknowledged areas');
        const rpc = await call(c, 'MemInfo', {});
        assert.equal(Number(rpc.nr_areas), acked.length);

        // Known full: the next write fails at once, without trying the disk,
        // and says when the store is tried again.
        // Each real try that finds the disk still full doubles the wait, so
        // within a few writes one lands inside it, however slow this machine.
        // Each is a write of the size that did not fit: a smaller one may still fit
        // in the pages the disk has left, and would rightly go through.
        let fast: { code: number; details: string } | undefined;
        for (let i = 0; i < 8 && !/tried again/.test(fast?.details ?? ''); i++) {
          fast = await call(c, 'Alloc', { size: '4096', caller: 'x'.repeat(200), request_id: `full-${i}` }).then(
            () => assert.fail('a write went through on a full disk'),
            (err: { code: number; details: string }) => err,
          );
          assert.equal(fast.code, 14);
          assert.match(fast.details, /the disk holding the store is full/);
        }
        assert.match(fast?.details ?? '', /the disk holding the store is full .*; the store is tried again in \d+ ms$/);

        // Room again: once the store is due for another try, the write goes through and vmapd is ready again.
        execFileSync('mount', ['-o', 'remount,size=32m', dir]);
        const more = await callOnceStoreDue(c, 'Alloc', { size: '4096', request_id: 'after-room' });
        acked.push({ requestId: 'after-room', addr: more.addr as string });
        assert.equal((await fetch(`http://127.0.0.1:${s.httpPort}/readyz`)).status, 200);
      } finally {
        c.close();
        await stopChild(s);
      }
      const again = await spawnVmapd(['--data-dir', dir]);
      try {
        await checkAllPresent(again.grpcPort, acked);
      } finally {
        await stopChild(again);
      }
    } finally {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fsync failure: writes stop until restart, reads work, nothing acknowledged is lost', { skip: !hasFiu && !inCi && 'needs fiu-run (Debian fiu-utils)' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmapd-fsync-'));
    const ctl = join(dir, 'fiu-ctrl');
    try {
      const s = await spawnVmapd(['--data-dir', join(dir, 'data')], { wrapper: ['fiu-run', '-x', '-f', ctl] });
      const c = grpcClient(s.grpcPort);
      const acked: Acked[] = [];
      try {
        for (let i = 0; i < 20; i++) {
          const a = await call(c, 'Alloc', { size: '8192', request_id: `ok-${i}` });
          acked.push({ requestId: `ok-${i}`, addr: a.addr as string });
        }
        await call(c, 'Free', { addr: acked[0]!.addr });
        acked.shift();
        execFileSync('fiu-ctrl', ['-c', 'enable name=posix/io/sync/*', '-f', ctl, String(s.child.pid)]);

        await assert.rejects(call(c, 'Alloc', { size: '4096', request_id: 'doomed' }), (e: { code: number; details: string }) => {
          assert.equal(e.code, 14);
          assert.match(e.details, /write outcome unknown: the store's disk failed \(SQLITE_IOERR_FSYNC/);
          return true;
        });
        // After a failed fsync the files are not trusted again: even a free is refused.
        await assert.rejects(call(c, 'Free', { addr: acked[1]!.addr }), (e: { code: number; details: string }) => e.code === 14 && /until restart/.test(e.details));
        const ready = await fetch(`http://127.0.0.1:${s.httpPort}/readyz`);
        assert.equal(ready.status, 503);
        const m = (await (await fetch(`http://127.0.0.1:${s.httpPort}/meminfo?format=json`)).json()) as { nr_areas: number };
        assert.equal(m.nr_areas, acked.length, 'readers never saw the failed write');
      } finally {
        c.close();
        await stopChild(s);
      }
      const again = await spawnVmapd(['--data-dir', join(dir, 'data')]);
      const c2 = grpcClient(again.grpcPort);
      try {
        await checkAllPresent(again.grpcPort, acked);
        // The doomed alloc may or may not have reached the disk; a retry is safe either way.
        const before = await collect(c2, 'ListAreas', {});
        const doomed = before.find((a) => a.request_id === 'doomed');
        const retry = await call(c2, 'Alloc', { size: '4096', request_id: 'doomed' });
        if (doomed) assert.equal(retry.addr, doomed.addr);
        const after = await collect(c2, 'ListAreas', {});
        assert.equal(after.filter((a) => a.request_id === 'doomed').length, 1);
      } finally {
        c2.close();
        await stopChild(again);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
