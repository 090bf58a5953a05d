/**
 * One vmapd per data directory, and a store that cannot be opened says why
 * and where: real processes on real directories.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { startVmapd } from '../../src/vmapd.js';
import { call, cliPath, grpcClient, spawnVmapd, stopChild } from '../helpers/server.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'vmapd-dir-'));
  dirs.push(d);
  return d;
}

/** Runs vmapd (as `uid`, if given) expecting it to refuse to start; its exit code and stderr. */
function refusal(args: string[], uid?: number): Promise<{ code: number; stderr: string }> {
  const ids = uid === undefined ? {} : { uid, gid: uid };
  return new Promise((resolve) =>
    execFile(process.execPath, [cliPath('vmapd'), '--grpc-port', '0', '--http-port', '0', ...args], { timeout: 15000, ...ids }, (err, _out, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr }),
    ),
  );
}

describe('data directory', () => {
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('refuses a second vmapd on the same --data-dir, naming the directory and the holder pid', async () => {
    const dir = tempDir();
    const first = await spawnVmapd(['--data-dir', dir]);
    const client = grpcClient(first.grpcPort);
    try {
      const before = await call(client, 'Alloc', { size: '4096' });
      const second = await refusal(['--data-dir', dir]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another vmapd \\(pid ${first.child.pid}\\)`));
      // The first one is untouched and goes on placing after its own areas.
      const next = await call(client, 'Alloc', { size: '4096' });
      assert.equal(BigInt(next.addr as string) - BigInt(before.addr as string), 8192n);
    } finally {
      client.close();
      assert.equal(await stopChild(first), 0);
    }
    // Once the holder stopped, the directory is free again.
    const third = await spawnVmapd(['--data-dir', dir]);
    assert.equal(third.logs.find((l) => l.msg === 'vmapd listening')?.areas, 2);
    assert.equal(await stopChild(third), 0);
  });

  it('is free again at once after its holder is killed with SIGKILL (the lock is the kernel’s)', async () => {
    const dir = tempDir();
    const first = await spawnVmapd(['--data-dir', dir]);
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await spawnVmapd(['--data-dir', dir]);
    assert.equal(await stopChild(second), 0);
  });

  it('refuses a second vmapd in the same process too', async () => {
    const dir = tempDir();
    const config = { ...DEFAULT_CONFIG, grpcPort: 0, httpPort: 0, store: 'sqlite' as const, dataDir: dir };
    const logger = pino({ level: 'silent' });
    const first = await startVmapd(config, { logger });
    try {
      await assert.rejects(startVmapd(config, { logger }), /is in use by another vmapd \(pid \d+\)/);
    } finally {
      await first.close();
    }
  });

  it('says why and where a store cannot be opened', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'file'), '');
    const underFile = await refusal(['--data-dir', join(root, 'file', 'data')]);
    assert.equal(underFile.code, 1);
    assert.match(underFile.stderr, new RegExp(`cannot use the data directory: a component of the path is not a directory: ${join(root, 'file', 'data')}`));

    const dir = join(root, 'data');
    mkdirSync(join(dir, 'vmapd.db'), { recursive: true });
    const isDir = await refusal(['--data-dir', dir]);
    assert.equal(isDir.code, 1);
    assert.match(isDir.stderr, new RegExp(`cannot open the store: is a directory: ${join(dir, 'vmapd.db')}`));
  });

  it('says "permission denied" and the path when the service user cannot write the directory', async (t) => {
    const nobody = 65534;
    if (process.getuid?.() !== 0) return t.skip('needs root to run vmapd as another user');
    if (spawnSync(process.execPath, ['-e', '0'], { uid: nobody, gid: nobody }).status !== 0) return t.skip(`uid ${nobody} cannot run ${process.execPath}`);
    if (spawnSync(process.execPath, [cliPath('vmapd'), '--version'], { uid: nobody, gid: nobody }).status !== 0) {
      return t.skip(`uid ${nobody} cannot read ${cliPath('vmapd')}`);
    }
    const parent = tempDir();
    chmodSync(parent, 0o711); // others may pass through, as to any data directory's parent
    const dir = join(parent, 'data');
    mkdirSync(dir);
    chmodSync(dir, 0o755); // root's: others may read, not write (the bind-mount case)
    const denied = await refusal(['--data-dir', dir], nobody);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, new RegExp(`permission denied: ${join(dir, 'vmapd.lock')} \\(vmapd runs as uid ${nobody}\\)`));
  });
});
