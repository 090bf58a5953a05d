/**
 * What goes wrong inside a write batch is undone exactly: a failed commit
 * undoes its batch (and only it), a bug undoes its one write, a deadline that
 * passes before the commit leaves its write out. VmapService in-process, with
 * a store that fails on demand.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { pino } from 'pino';
import type { Identity } from '../../src/auth/tokens.js';
import type { AllocInput } from '../../src/service/alloc-input.js';
import type { AreaView } from '../../src/service/area-view.js';
import type { ServiceOptions } from '../../src/service/service-options.js';
import { VmapService } from '../../src/service/vmap-service.js';
import type { Change, Store } from '../../src/store/store.js';
import { DeadlineExceeded, InternalFault, Unavailable } from '../../src/service/errors.js';
import { StoreFailure } from '../../src/store/errors.js';
import { SpaceGeometry } from '../../src/vmap/geometry.js';
import { Stall } from '../helpers/stall.js';

/** A store that keeps nothing and fails every commit while `failing` is set. */
class FailingStore implements Store {
  readonly kind = 'failing';
  failing: StoreFailure | null = null;
  committed = 0;
  commit(_changes: readonly Change[]): Promise<void> {
    if (this.failing !== null) return Promise.reject(this.failing);
    this.committed++;
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const geometry = new SpaceGeometry(0xffffc90000000000n, 1n << 30n);

function service(options: Partial<ServiceOptions> = {}): VmapService {
  return new VmapService({ geometry, logger: pino({ level: 'silent' }), lazyMaxPages: 64, ...options });
}

function input(size: number, extra: Partial<AllocInput> = {}): AllocInput {
  return { size: BigInt(size), align: 0n, vstart: 0n, vend: 0n, noGuard: false, caller: '', owner: 'alice', requestId: '', ...extra };
}

const alice: Identity = { owner: 'alice', role: 'client' };

/** The page an area starts at, relative to the space's base. */
function page(v: AreaView): number {
  return Number((BigInt(v.addr) - geometry.base) / 4096n);
}

/** Everything a reader can see of the state, for comparing two states. */
function state(s: VmapService): unknown {
  const snap = s.snapshot();
  return { meminfo: snap.meminfo, freeBlocks: snap.freeBlocks, areas: [...s.areas(snap, 0n, true)].map((v) => ({ ...v })) };
}

describe('write batches', () => {
  it('a failed commit undoes exactly its batch: space, request ids and quotas as before', async () => {
    const store = new FailingStore();
    const s = service({ store, quotaAreas: 6 });
    // A state with busy and lazy areas and live request ids.
    const kept = await s.alloc(input(8192, { requestId: 'kept' }), { identity: alice });
    const doomed = await s.alloc(input(4096, { requestId: 'doomed' }), { identity: alice });
    await s.alloc(input(4096), { identity: alice });
    await s.free(BigInt(doomed.addr), { identity: alice });
    const before = state(s);
    const generation = s.snapshot().generation;

    // One batch of every kind of write, refused by the store.
    store.failing = new StoreFailure('the disk holding the store is full', false);
    const results = await Promise.allSettled([
      s.alloc(input(4096, { requestId: 'new' }), { identity: alice }),
      s.free(BigInt(kept.addr), { identity: alice }),
      s.purge(),
      s.allocBatch([input(4096), input(16384, { requestId: 'batch' })], { identity: alice }),
    ]);
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.ok((r as PromiseRejectedResult).reason instanceof Unavailable);
    }
    assert.deepEqual(state(s), before, 'the space is exactly as committed');
    assert.equal(s.snapshot().generation, generation, 'nothing was published');
    assert.match(s.notReadyReason ?? '', /full/);

    // Writes fail at once while the store is known full, saying when it is tried again.
    const committed = store.committed;
    const fast = await s.alloc(input(4096), { identity: alice }).then(
      () => assert.fail('a write went through while the store was known full'),
      (e: Error) => e,
    );
    assert.ok(fast instanceof Unavailable);
    const due = /tried again in (\d+) ms$/.exec(fast.message);
    assert.ok(due, fast.message);
    assert.equal(store.committed, committed, 'the store was not tried');
    store.failing = null;
    await delay(Number(due[1]) + 5);
    // The request ids the failed batch made are gone, the kept one still names its area.
    assert.deepEqual(await s.alloc(input(8192, { requestId: 'kept' }), { identity: alice }), kept);
    const fresh = await s.alloc(input(4096, { requestId: 'new' }), { identity: alice });
    assert.equal(s.notReadyReason, null, 'ready again after a good commit');
    // Quotas count what stands: alice holds kept, one page and fresh: 3 more fit under 6.
    await s.allocBatch([input(4096), input(4096), input(4096)], { identity: alice });
    await assert.rejects(s.alloc(input(4096), { identity: alice }), /quota-areas/);
    assert.ok(page(fresh) > page(kept));
  });

  it('an unexpected error in one write fails that write alone with an internal error', async () => {
    const stall = new Stall();
    const s = service({
      hooks: {
        beforeCommit: stall.hook,
        afterApply: (result) => {
          if ((result as { caller?: string }).caller === 'boom') throw new TypeError('a bug half way through a write');
        },
      },
    });
    stall.arm();
    const first = s.alloc(input(4096, { caller: 'a' }));
    await stall.entered;
    // These three queue behind the stalled batch and are applied as one batch.
    const batch = Promise.allSettled([s.alloc(input(4096, { caller: 'b' })), s.alloc(input(4096, { caller: 'boom', requestId: 'r' })), s.alloc(input(4096, { caller: 'c' }))]);
    stall.release();
    await first;
    const [b, boom, c] = await batch;
    assert.equal(b!.status, 'fulfilled');
    assert.equal(c!.status, 'fulfilled');
    assert.equal(boom!.status, 'rejected');
    const err = (boom as PromiseRejectedResult).reason as Error;
    assert.ok(err instanceof InternalFault);
    assert.equal(err.message, 'internal error: the write was not applied', 'the reply names no internals');
    // b took the page after a; c the range boom had taken before it was undone.
    const areas = [...s.areas(s.snapshot(), 0n, true)];
    assert.deepEqual(
      areas.map((va) => [va.caller, page(va)]),
      [
        ['a', 0],
        ['b', 2],
        ['c', 4],
      ],
    );
    assert.equal(s.snapshot().meminfo.nrAreas, 3);
    // Nothing of boom stands, its request id included.
    const again = await s.alloc(input(4096, { caller: 'again', requestId: 'r' }));
    assert.equal(page(again), 6);
  });

  it('a write whose deadline passes while its batch waits for the commit is left out', async () => {
    const stall = new Stall();
    const store = new FailingStore();
    const s = service({ store, hooks: { beforeCommit: stall.hook } });
    stall.arm();
    const deadline = Date.now() + 100;
    const late = s.alloc(input(4096, { caller: 'late', requestId: 'late' }), { deadline });
    const after = s.alloc(input(4096, { caller: 'after' }));
    await stall.entered;
    // Both were applied in memory; now the late one's client gives up.
    await delay(deadline - Date.now() + 1);
    stall.release();
    await assert.rejects(late, (e: unknown) => e instanceof DeadlineExceeded);
    const a = await after;
    assert.equal(page(a), 0, 'the write after it was applied again, into the range the late one had');
    assert.deepEqual(
      [...s.areas(s.snapshot(), 0n, true)].map((va) => va.caller),
      ['after'],
    );
    assert.equal(store.committed, 1);
    assert.equal(page(await s.alloc(input(4096, { requestId: 'late' }))), 2, 'nothing stands under the late request id');
  });
});
