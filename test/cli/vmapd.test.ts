import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { VmapClient } from '../../src/grpc/proto.js';
import { call, cliPath, collect, spawnVmapd, stopChild, withVmapd, type TestServer } from '../helpers/server.js';

describe('vmapd process', () => {
  it('starts on its defaults but for the ports, and --help lists every option', async () => {
    const help = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [cliPath('vmapd'), '--help'], { timeout: 10000 }, (err, stdout) => (err ? reject(err) : resolve(stdout))),
    );
    for (const opt of ['--host', '--grpc-port', '--http-port', '--http-threads', '--space-base', '--space-size', '--lazy-max-pages', '--read-mode', '--log-level']) {
      assert.ok(help.includes(opt), `--help mentions ${opt}`);
    }
    assert.ok(help.includes('VMAPD_GRPC_PORT'), 'options also come from env vars');
    for (const opt of ['--advertise', 'VMAPD_ADVERTISE', '--lease-ms', 'VMAPD_LEASE_MS']) assert.ok(help.includes(opt), `--help mentions ${opt}`);
  });

  it('refuses a bad --lease-ms or --advertise, naming it', async () => {
    const refused = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(process.execPath, [cliPath('vmapd'), ...args], { timeout: 10000 }, (err, _stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stderr })),
      );
    for (const ms of ['100', '1.5', 'x', '600001']) {
      const r = await refused(['--lease-ms', ms]);
      assert.notEqual(r.code, 0, `--lease-ms ${ms}`);
      assert.match(r.stderr, /--lease-ms.*must be a whole number of ms from 200 to 600000/);
    }
    for (const addr of ['nohost', 'h:0', ':50051', 'h:65536']) {
      const r = await refused(['--advertise', addr]);
      assert.notEqual(r.code, 0, `--advertise ${addr}`);
      assert.match(r.stderr, /--advertise.*must be host:port/);
    }
  });

  it('refuses a bad option with a clear message', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
      execFile(process.execPath, [cliPath('vmapd'), '--space-size', '12345'], { timeout: 10000 }, (err, _stdout, stderr) =>
        resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stderr }),
      ),
    );
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /space-size/);
    for (const threads of ['0', '1.5', '-1', '257']) {
      const bad = await new Promise<{ code: number | null; stderr: string }>((resolve) =>
        execFile(process.execPath, [cliPath('vmapd'), '--http-threads', threads], { timeout: 10000 }, (err, _stdout, stderr) =>
          resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stderr }),
        ),
      );
      assert.notEqual(bad.code, 0, `--http-threads ${threads}`);
      assert.match(bad.stderr, /--http-threads.*must be a whole number from 1 to 256/, `--http-threads ${threads}`);
    }
  });

  it('takes options from the environment and reports the real ports', async () => {
    const server = await spawnVmapd(['--log-level', 'info']);
    try {
      const res = await fetch(`http://127.0.0.1:${server.httpPort}/meminfo?format=json`);
      assert.equal(res.status, 200);
      const m = (await res.json()) as { vmalloc_total_kb: number };
      assert.equal(m.vmalloc_total_kb, 32 * 1024 ** 3 - 1);
    } finally {
      assert.equal(await stopChild(server), 0);
    }
    const env = await spawnVmapd([], { env: { VMAPD_SPACE_SIZE: '1G', VMAPD_READ_MODE: 'rcu-walk' } });
    try {
      const m = (await (await fetch(`http://127.0.0.1:${env.httpPort}/meminfo?format=json`)).json()) as { vmalloc_total_kb: number };
      assert.equal(m.vmalloc_total_kb, 1024 * 1024 - 1);
      assert.equal(env.logs.find((l) => l.msg === 'vmapd listening')?.readMode, 'rcu-walk');
    } finally {
      assert.equal(await stopChild(env), 0);
    }
    const threads = await spawnVmapd([], { env: { VMAPD_HTTP_THREADS: '3' } });
    try {
      assert.equal(threads.logs.find((l) => l.msg === 'vmapd listening')?.httpThreads, 3, 'VMAPD_HTTP_THREADS is read');
      for (let i = 0; i < 6; i++) assert.equal((await fetch(`http://127.0.0.1:${threads.httpPort}/healthz`)).status, 200);
    } finally {
      assert.equal(await stopChild(threads), 0);
    }
  });

  it('on SIGTERM answers every write it accepted, commits them and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmapd-sigterm-'));
    try {
      const server = await spawnVmapd(['--data-dir', dir]);
      const client = new VmapClient(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure()) as TestServer['client'];
      let results: PromiseSettledResult<Record<string, unknown>>[];
      try {
        await call(client, 'Alloc', { size: '4096' }); // connected
        const writes = Array.from({ length: 300 }, () => call(client, 'Alloc', { size: '4096' }, { deadline: Date.now() + 20000 }));
        // SIGTERM lands while writes are in flight: the first is answered, the rest are not yet.
        await Promise.race(writes);
        server.child.kill('SIGTERM');
        results = await Promise.allSettled(writes);
        const codes = new Set(results.map((r) => (r.status === 'fulfilled' ? 'OK' : grpc.status[(r.reason as grpc.ServiceError).code])));
        // Every call is answered: applied, or refused as the server goes away; never INTERNAL, never hung.
        for (const c of codes) assert.ok(['OK', 'UNAVAILABLE', 'CANCELLED'].includes(c!), `unexpected ${c}`);
        assert.equal(await server.exited, 0);
        assert.ok(server.logs.some((l) => l.msg === 'vmapd stopped'));
      } finally {
        client.close();
        await stopChild(server);
      }
      const ok = results.filter((r) => r.status === 'fulfilled').map((r) => r.value.addr as string);
      assert.ok(ok.length >= 1, 'writes were accepted before SIGTERM');
      assert.equal(new Set(ok).size, ok.length, 'no range handed out twice');
      // Every write it answered OK was committed: it is there after a restart.
      await withVmapd(['--data-dir', dir], async (c) => {
        const live = new Set((await collect(c, 'ListAreas', {})).map((a) => a.addr as string));
        for (const addr of ok) assert.ok(live.has(addr), `acknowledged ${addr} survived SIGTERM`);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
