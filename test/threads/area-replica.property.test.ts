import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { ANONYMOUS } from '../../src/auth/tokens.js';
import type { AllocInput } from '../../src/service/alloc-input.js';
import { VmapService } from '../../src/service/vmap-service.js';
import { AreaReplica } from '../../src/threads/area-replica.js';
import { decodeAreaList, encodeAreaList } from '../../src/store/area-list-codec.js';
import { decodeChanges, encodeChanges } from '../../src/store/change-codec.js';
import { SpaceGeometry } from '../../src/vmap/geometry.js';
import { walkMeminfo } from '../../src/vmap/meminfo.js';
import type { AreaList, VmapArea } from '../../src/vmap/vmap-area.js';

/*
 * A reader thread's replica, fed only by the committed change stream, is the
 * writer's published list: after any history of writes (allocs, batches that
 * fail half way and are given back, frees, purges, the purges they trigger,
 * writes that hit a bug and are undone alone, several writes per batch), it
 * holds exactly the snapshot's areas, at the snapshot's generation, and a
 * walk of it gives the snapshot's meminfo. A view taken earlier never changes,
 * and a batch applied in parts is seen whole or not at all.
 */

const PAGES = 512;
const geometry = new SpaceGeometry(0xffffc90000000000n, BigInt(PAGES * 4096));

type Op =
  | { kind: 'alloc'; pages: number; align: number; buggy: boolean }
  | { kind: 'batch'; sizes: number[] }
  | { kind: 'free'; pick: number }
  | { kind: 'purge' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('alloc' as const), pages: fc.integer({ min: 1, max: 40 }), align: fc.constantFrom(0, 65536), buggy: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('batch' as const), sizes: fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 6 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('purge' as const) }) },
);

function input(pages: number, align: number, caller: string): AllocInput {
  return { size: BigInt(pages * 4096), align: BigInt(align), vstart: 0n, vend: 0n, noGuard: false, caller, owner: 'o', requestId: '' };
}

function listed(areas: AreaList): VmapArea[] {
  const out: VmapArea[] = [];
  areas.each((va) => void out.push({ ...va }));
  return out;
}

describe('area replica', () => {
  it('fed by the committed change stream, equals the published list after any history', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 4 }), async (rounds, partSize) => {
        // A write whose caller is 'bug' throws after it was applied: it alone is undone.
        const svc = new VmapService({
          geometry,
          logger: pino({ level: 'silent' }),
          lazyMaxPages: 48,
          hooks: { afterApply: (r) => void ((r as { caller?: string }).caller === 'bug' && assert.fail('a bug half way through a write')) },
        });
        const replica = new AreaReplica();
        replica.reset(decodeAreaList(encodeAreaList(svc.snapshot().areas, 0)), svc.snapshot().generation);
        // Batches come in parts, as the writer posts big ones: between parts reads see the last whole batch.
        let published = listed(svc.snapshot().areas);
        svc.onPublish((snapshot, changes) => {
          for (const c of changes) seen.add(c.op);
          for (let at = 0; at < changes.length; at += partSize) {
            const last = at + partSize >= changes.length;
            // Through the wire form the reader threads receive.
            replica.apply(decodeChanges(encodeChanges(changes.slice(at, at + partSize))), snapshot.generation, last);
            if (!last) {
              assert.equal(replica.generation, snapshot.generation - 1);
              assert.deepEqual(listed(replica.view()), published, 'part of a batch is never seen');
            }
          }
          published = listed(snapshot.areas);
        });
        const views: { view: AreaList; areas: VmapArea[] }[] = [];
        for (const round of rounds) {
          // The writes of one round are queued together: they share batches.
          await Promise.allSettled(
            round.map((op) => {
              const busy = listed(svc.snapshot().areas).filter((va) => !va.lazy);
              switch (op.kind) {
                case 'alloc':
                  return svc.alloc(input(op.pages, op.align, op.buggy ? 'bug' : 'c'));
                case 'batch':
                  return svc.allocBatch(op.sizes.map((n) => input(n, 0, 'b')));
                case 'free':
                  return busy.length === 0 ? Promise.resolve() : svc.free(geometry.base + BigInt(busy[op.pick % busy.length]!.start * 4096), { identity: ANONYMOUS });
                case 'purge':
                  return svc.purge();
              }
            }),
          );
          const s = svc.snapshot();
          assert.equal(replica.generation, s.generation);
          assert.deepEqual(listed(replica.view()), listed(s.areas));
          assert.deepEqual(walkMeminfo(replica.view(), geometry.pages), s.meminfo);
          const view = replica.view();
          views.push({ view, areas: listed(view) });
          // A thread started now gets the whole list through the wire form, and holds the same.
          const fresh = new AreaReplica();
          fresh.reset(decodeAreaList(structuredClone(encodeAreaList(s.areas, s.meminfo.nrAreas + s.meminfo.nrLazyAreas))), s.generation);
          assert.deepEqual(listed(fresh.view()), listed(s.areas));
        }
        for (const { view, areas } of views) assert.deepEqual(listed(view), areas, 'a view never changes');
        await svc.close();
      }),
      { numRuns: 150 },
    );
    assert.deepEqual([...seen].sort(), ['delete', 'insert', 'lazy', 'purge'], 'the histories made every kind of change');
  });

  it('refuses a batch out of order: a lost batch would make it lie', () => {
    const replica = new AreaReplica();
    replica.reset([], 4);
    assert.throws(() => replica.apply([], 6), { name: 'ReplicaOutOfStep', message: /generation 6 after generation 4/ });
    assert.throws(() => replica.apply([{ op: 'lazy', start: 3 }], 5), { name: 'ReplicaOutOfStep', message: /no busy area at page 3/ });
  });
});
