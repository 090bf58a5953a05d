/**
 * A standby's write path: the batches a leader's VmapService committed,
 * replayed by another VmapService with applyCommitted, give the same state
 * at the same generation, whatever the standby's own purge threshold; a
 * gap or a change that does not fit is refused and leaves the state as it
 * was.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { AllocInput } from '../../src/service/alloc-input.js';
import { ReplayOutOfStep } from '../../src/service/change-replay.js';
import { VmapService } from '../../src/service/vmap-service.js';
import type { Change, Store } from '../../src/store/store.js';
import { SpaceGeometry } from '../../src/vmap/geometry.js';

/** A store that keeps every committed batch, as a change log does. */
class LogStore implements Store {
  readonly kind = 'log';
  readonly batches: Change[][] = [];
  commit(changes: readonly Change[]): Promise<void> {
    this.batches.push(structuredClone([...changes]));
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const geometry = new SpaceGeometry(0xffffc90000000000n, 1n << 30n);
const logger = pino({ level: 'silent' });

function input(size: number, requestId = ''): AllocInput {
  return { size: BigInt(size), align: 0n, vstart: 0n, vend: 0n, noGuard: false, caller: 'replay', owner: 'alice', requestId };
}

/** Everything a reader sees, for comparing two states. */
function state(s: VmapService): unknown {
  const snap = s.snapshot();
  return { generation: snap.generation, meminfo: snap.meminfo, freeBlocks: snap.freeBlocks, areas: [...s.areas(snap, 0n, true)].map((v) => ({ ...v })) };
}

describe('replaying committed batches', () => {
  it('gives the leader\'s state at the leader\'s generation, purges included, whatever the standby\'s threshold', async () => {
    const log = new LogStore();
    const leader = new VmapService({ geometry, logger, lazyMaxPages: 8, store: log });
    // The standby would purge far later by its own setting: it must follow the leader's purges, not decide its own.
    const standby = new VmapService({ geometry, logger, lazyMaxPages: 1 << 20 });
    const made = [];
    for (let i = 0; i < 40; i++) made.push(await leader.alloc(input(4096 * (1 + (i % 3)), `r${i}`)));
    for (const v of made.filter((_, i) => i % 2 === 0)) await leader.free(BigInt(v.addr));
    await leader.allocBatch([input(8192), input(4096)]);
    await leader.purge();
    assert.ok(log.batches.some((b) => b.some((c) => c.op === 'purge')), 'the leader purged on its own');
    for (const [i, changes] of log.batches.entries()) await standby.applyCommitted(i + 1, changes);
    assert.deepEqual(state(standby), state(leader));
    // Request ids follow: a retry on the standby's replica finds the leader's area.
    assert.deepEqual(standby.find(BigInt(made[1]!.addr)), leader.find(BigInt(made[1]!.addr)));
  });

  it('refuses a gap, skips what it holds, and undoes a batch that does not fit', async () => {
    const log = new LogStore();
    const leader = new VmapService({ geometry, logger, store: log });
    await leader.alloc(input(4096));
    await leader.alloc(input(4096));
    const standby = new VmapService({ geometry, logger });
    await assert.rejects(standby.applyCommitted(2, log.batches[1]!), (e: unknown) => e instanceof ReplayOutOfStep && /position 2 after generation 0/.test(e.message));
    await standby.applyCommitted(1, log.batches[0]!);
    await standby.applyCommitted(1, log.batches[0]!); // held already: skipped
    const before = state(standby);
    // The second area, and then the first again: it does not fit, so neither stands.
    const bad: Change[] = [...log.batches[1]!, ...log.batches[0]!];
    await assert.rejects(standby.applyCommitted(2, bad), ReplayOutOfStep);
    assert.deepEqual(state(standby), before);
    await standby.applyCommitted(2, log.batches[1]!);
    assert.deepEqual(state(standby), state(leader));
  });
});
