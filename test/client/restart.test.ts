/**
 * A retry that crosses a restart returns the same area: vmapd (SQLite in a
 * temporary directory) behind a proxy that passes an Alloc on and cuts the
 * connection as the reply starts, so the area is committed and the client
 * never hears of it; vmapd is killed and started again on the same data
 * directory and port, and the client's retry, with the request id it
 * generated, gets the area the first attempt made.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { VmapClient, type Area } from '../../src/client/index.js';
import { GrpcProxy } from '../helpers/grpc-proxy.js';
import { spawnVmapd, stopChild, type ChildServer } from '../helpers/server.js';

/** Short reconnect backoff, so the retry finds the restarted vmapd without grpc-js's default second of waiting. */
const QUICK_RECONNECT = { 'grpc.initial_reconnect_backoff_ms': 50, 'grpc.max_reconnect_backoff_ms': 200 };

/** Every area `target` lists, lazy ones included. */
async function listed(target: string): Promise<Area[]> {
  const c = new VmapClient({ targets: target });
  try {
    const out: Area[] = [];
    for await (const a of c.listAreas({ includeLazy: true })) out.push(a);
    return out;
  } finally {
    c.close();
  }
}

describe('VmapClient retry across a restart', () => {
  it('an Alloc whose reply was lost, retried after vmapd restarted, returns the area the first attempt made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmap-client-restart-'));
    const servers: ChildServer[] = [];
    let proxy: GrpcProxy | undefined;
    let client: VmapClient | undefined;
    try {
      const first = await spawnVmapd(['--data-dir', dir]);
      servers.push(first);
      proxy = await GrpcProxy.start(first.grpcPort);
      client = new VmapClient({ targets: proxy.target, callTimeoutMs: 20_000, deadlineMs: 60_000, retry: { attempts: 5, baseDelayMs: 20, maxDelayMs: 100 }, channelOptions: QUICK_RECONNECT });
      await client.alloc('4k', { caller: 'before' });

      const cut = proxy.cutNextReply();
      const pending = client.alloc('8k', { caller: 'across-restart' });
      // The reply has started: the area is committed. New connections are held from now on.
      await cut;
      first.child.kill('SIGKILL');
      await first.exited;
      const committed = (await listed(`127.0.0.1:${first.grpcPort}`).catch(() => undefined)) ?? [];
      assert.deepEqual(committed, [], 'nothing answers on the old port');

      const second = await spawnVmapd(['--data-dir', dir, '--grpc-port', String(first.grpcPort)]);
      servers.push(second);
      assert.equal(second.grpcPort, first.grpcPort);
      const restored = await listed(`127.0.0.1:${second.grpcPort}`);
      const made = restored.find((a) => a.caller === 'across-restart');
      assert.ok(made !== undefined, 'the first attempt committed its area before the cut');

      proxy.release();
      const area = await pending;
      assert.deepEqual(area, made, 'the retry returned the area the first attempt made');
      assert.match(area.requestId, /^[0-9a-f-]{36}$/);
      assert.ok(proxy.connections >= 2, 'the retry came on a new connection');
      assert.equal((await listed(`127.0.0.1:${second.grpcPort}`)).length, 2, 'and made no other');
    } finally {
      client?.close();
      await proxy?.close();
      for (const s of servers) await stopChild(s);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
