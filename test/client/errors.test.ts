/**
 * Every error code vmapd gives, as a VmapClientError: the status name and
 * number, vmapd's own code (`vmap-error`), the field (`vmap-field`), the
 * details, and how many attempts the client made (which failures it retries).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { VmapClient, VmapClientError } from '../../src/client/index.js';
import { deadPort } from '../cli/vmapctl-run.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { Stall } from '../helpers/stall.js';

const BASE = 0xffffc90000000000n;

/** A matcher for assert.rejects: a VmapClientError with these properties. */
function clientError(expected: Partial<Pick<VmapClientError, 'code' | 'vmapCode' | 'field' | 'attempts'>> & { details?: RegExp }) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof VmapClientError, `not a VmapClientError: ${String(err)}`);
    const { details, ...rest } = expected;
    assert.deepEqual(Object.fromEntries(Object.keys(rest).map((k) => [k, err[k as keyof typeof rest]])), rest, err.message);
    assert.equal(err.status, (grpc.status as unknown as Record<string, number>)[err.code]);
    if (details !== undefined) assert.match(err.details, details);
    return true;
  };
}

describe('VmapClient errors', () => {
  let s: TestServer;
  let vmap: VmapClient;
  const stall = new Stall();
  before(async () => {
    // A space of 1 MiB: room runs out quickly.
    s = await startTestServer({ spaceSize: 1n << 20n }, { hooks: { beforeCommit: stall.hook } });
    vmap = new VmapClient({ targets: s.grpcTarget, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 } });
  });
  after(async () => {
    vmap.close();
    await s.stop();
  });

  it('INVALID_ARGUMENT names the field; not retried', async () => {
    await assert.rejects(vmap.alloc('8k', { align: 3 }), clientError({ code: 'INVALID_ARGUMENT', vmapCode: 'VMAP_ERR_INVALID_ARGUMENT', field: 'align', attempts: 1, details: /^align: / }));
    await assert.rejects(vmap.allocBatch([{ size: '4k' }, { size: '4k', align: 5 }]), clientError({ code: 'INVALID_ARGUMENT', field: 'requests[1].align', attempts: 1 }));
  });

  it('NOT_FOUND for a free or find where no busy area is', async () => {
    await assert.rejects(vmap.find(BASE + 0x80000n), clientError({ code: 'NOT_FOUND', vmapCode: 'VMAP_ERR_NO_SUCH_AREA', attempts: 1 }));
    await assert.rejects(vmap.free(BASE + 0x80000n), clientError({ code: 'NOT_FOUND', vmapCode: 'VMAP_ERR_NO_SUCH_AREA', attempts: 1 }));
  });

  it('RESOURCE_EXHAUSTED: out of space, or over the quota; not retried', async () => {
    const big = await vmap.alloc('600k');
    await assert.rejects(vmap.alloc('600k'), clientError({ code: 'RESOURCE_EXHAUSTED', vmapCode: 'VMAP_ERR_OUT_OF_SPACE', attempts: 1 }));
    await vmap.free(big.addr);
    await vmap.purge();
    // Two areas per owner, on a server of its own.
    const quota = await startTestServer({ quotaAreas: 2 });
    const client = new VmapClient({ targets: quota.grpcTarget });
    try {
      await client.alloc('4k');
      await client.alloc('4k');
      await assert.rejects(client.alloc('4k'), clientError({ code: 'RESOURCE_EXHAUSTED', vmapCode: 'VMAP_ERR_QUOTA_EXCEEDED', attempts: 1 }));
    } finally {
      client.close();
      await quota.stop();
    }
  });

  it('RESOURCE_EXHAUSTED from a busy server (too many listings) is retried, and a break frees the listing', async () => {
    // A server of its own, with room for a listing long enough to stay open.
    const many = await startTestServer({ maxListings: 1 });
    const client = new VmapClient({ targets: many.grpcTarget, retry: { attempts: 50, baseDelayMs: 5, maxDelayMs: 20 } });
    try {
      await client.allocBatch(Array.from({ length: 5000 }, () => ({ size: '4k', noGuard: true })));
      const first = client.listAreas();
      assert.equal((await first.next()).done, false, 'the first listing holds the only slot');
      await assert.rejects(client.listAreas({}, { retry: false }).next(), clientError({ code: 'RESOURCE_EXHAUSTED', vmapCode: 'VMAP_ERR_BUSY', attempts: 1 }));
      // The second listing retries while the first holds the slot; returning from the first (as a break does) cancels its stream.
      const second = client.listAreas({ limit: 3 });
      const next = second.next();
      await first.return();
      assert.equal((await next).done, false);
      let n = 1;
      for await (const _ of second) n++;
      assert.equal(n, 3);
    } finally {
      client.close();
      await many.stop();
    }
  });

  it('UNAUTHENTICATED without a token, PERMISSION_DENIED for another owner’s area; not retried', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmap-client-auth-'));
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, 'alice-client-token-0123456789 alice\nbob-client-token-0123456789ab bob\n');
    const authed = await startTestServer({ tokens });
    const anonymous = new VmapClient({ targets: authed.grpcTarget });
    const alice = new VmapClient({ targets: authed.grpcTarget, token: 'alice-client-token-0123456789' });
    const bob = new VmapClient({ targets: authed.grpcTarget, token: 'bob-client-token-0123456789ab' });
    try {
      await assert.rejects(anonymous.alloc('8k'), clientError({ code: 'UNAUTHENTICATED', vmapCode: 'VMAP_ERR_UNAUTHENTICATED', attempts: 1 }));
      const mine = await alice.alloc('8k');
      assert.equal(mine.owner, 'alice');
      await assert.rejects(bob.free(mine.addr), clientError({ code: 'PERMISSION_DENIED', vmapCode: 'VMAP_ERR_PERMISSION_DENIED', attempts: 1, details: /another owner/ }));
      const listed: string[] = [];
      for await (const a of alice.listAreas()) listed.push(a.owner);
      assert.deepEqual(listed, ['alice'], 'the token reaches listings too');
    } finally {
      for (const c of [anonymous, alice, bob]) c.close();
      await authed.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('DEADLINE_EXCEEDED when the write is not committed in time; no retry runs past the call’s deadline', async () => {
    stall.arm();
    await assert.rejects(vmap.alloc('4k', {}, { retry: false, deadlineMs: 200 }), clientError({ code: 'DEADLINE_EXCEEDED', attempts: 1 }));
    await stall.entered;
    stall.release();
    // The call's deadline bounds its attempts: no retry runs past it.
    stall.arm();
    const retried = vmap.alloc('4k', { requestId: 'late' }, { deadlineMs: 300 });
    await stall.entered;
    const t0 = Date.now();
    await assert.rejects(retried, clientError({ code: 'DEADLINE_EXCEEDED' }));
    assert.ok(Date.now() - t0 < 1000, 'ended by its deadline');
    stall.release();
  });

  it('CANCELLED when the caller aborts', async () => {
    stall.arm();
    const abort = new AbortController();
    const p = vmap.alloc('4k', {}, { signal: abort.signal });
    await stall.entered;
    abort.abort();
    await assert.rejects(p, clientError({ code: 'CANCELLED' }));
    stall.release();
  });

  it('UNAVAILABLE where nothing listens: retried (it was never sent) until the attempts run out, naming the target', async () => {
    const target = `127.0.0.1:${await deadPort()}`;
    const once = new VmapClient({ targets: target, retry: false });
    const thrice = new VmapClient({ targets: target, retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 10 } });
    try {
      await assert.rejects(once.memInfo(), clientError({ code: 'UNAVAILABLE', attempts: 1, vmapCode: undefined, details: /No connection established/ }));
      await assert.rejects(thrice.free(BASE), clientError({ code: 'UNAVAILABLE', attempts: 3 }));
      await assert.rejects(thrice.memInfo(), (e: unknown) => e instanceof VmapClientError && e.target === target);
    } finally {
      once.close();
      thrice.close();
    }
  });
});
