/**
 * The sync layer on its own: the writer mutex (FIFO, exclusive across
 * awaits, released on failure), group commit (batches what queues behind the
 * running batch, in order, bounded, refusals from its owner) and publication
 * (readers take whole, frozen values).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit, type Outcome } from '../../src/sync/group-commit.js';
import { Published } from '../../src/sync/published.js';
import { WriterMutex, type MutexObserver } from '../../src/sync/writer-mutex.js';

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

const REFUSALS = { closed: () => new Error('closed'), full: (n: number) => new Error(`full at ${n}`) };

describe('WriterMutex', () => {
  it('lets one holder in at a time, across awaits, in the order asked', async () => {
    const mutex = new WriterMutex();
    const order: string[] = [];
    const first = gate();
    const entered = gate();
    const a = mutex.run(async () => {
      order.push('a in');
      entered.open();
      await first.opened;
      order.push('a out');
    });
    const b = mutex.run(() => void order.push('b'));
    const c = mutex.run(() => void order.push('c'));
    await entered.opened;
    // Every microtask that could run has run: b and c would be in by now if they could.
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(order, ['a in'], 'b and c wait while a holds it across an await');
    first.open();
    await Promise.all([a, b, c]);
    assert.deepEqual(order, ['a in', 'a out', 'b', 'c']);
  });

  it('is released when the holder throws, and reports wait and hold times', async () => {
    const seen: string[] = [];
    const observer: MutexObserver = { waited: (s) => void seen.push(`wait ${s >= 0}`), held: (s) => void seen.push(`held ${s >= 0}`) };
    const mutex = new WriterMutex(observer);
    await assert.rejects(
      mutex.run(() => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await mutex.run(() => 42), 42);
    assert.deepEqual(seen, ['wait true', 'held true', 'wait true', 'held true']);
  });
});

describe('GroupCommit', () => {
  /** A group commit whose runner records its batches and can be held. */
  function harness(limits: { maxBatch?: number; maxPending?: number } = {}) {
    const batches: number[][] = [];
    let hold: Promise<void> | null = null;
    let started = gate();
    const gc = new GroupCommit<number, number>(
      new WriterMutex(),
      async (ops) => {
        batches.push([...ops]);
        started.open();
        started = gate();
        if (hold) await hold;
        return ops.map((op): Outcome<number> => (op < 0 ? { ok: false, error: new Error(`bad ${op}`) } : { ok: true, value: op * 10 }));
      },
      REFUSALS,
      limits,
    );
    return { gc, batches, holdWith: (p: Promise<void> | null) => (hold = p), started: () => started.opened };
  }

  it('runs what queues behind a running batch as the next batch, each write answered by its own outcome', async () => {
    const { gc, batches, holdWith, started } = harness();
    const g = gate();
    holdWith(g.opened);
    const running = started();
    const first = gc.submit(1);
    await running;
    const rest = [gc.submit(2), gc.submit(-3), gc.submit(4)];
    holdWith(null);
    g.open();
    assert.equal(await first, 10);
    const settled = await Promise.allSettled(rest);
    assert.deepEqual(
      settled.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      [20, 'bad -3', 40],
    );
    assert.deepEqual(batches, [[1], [2, -3, 4]]);
  });

  it('splits at maxBatch, keeping arrival order', async () => {
    const { gc, batches } = harness({ maxBatch: 2 });
    const all = await Promise.all([1, 2, 3, 4, 5].map((n) => gc.submit(n)));
    assert.deepEqual(all, [10, 20, 30, 40, 50]);
    assert.deepEqual(batches.flat(), [1, 2, 3, 4, 5]);
    assert.ok(batches.every((b) => b.length <= 2));
  });

  it('refuses past maxPending and after close, with the errors its owner gave, and drains what it accepted', async () => {
    const { gc, holdWith, started } = harness({ maxPending: 2 });
    const g = gate();
    holdWith(g.opened);
    const inBatch = started();
    const running = gc.submit(1);
    await inBatch;
    const queued = [gc.submit(2), gc.submit(3)];
    assert.equal(gc.pendingCount, 2);
    await assert.rejects(gc.submit(4), /^Error: full at 2$/);
    const closed = gc.close();
    await assert.rejects(gc.submit(5), /^Error: closed$/);
    holdWith(null);
    g.open();
    await closed;
    assert.deepEqual(await Promise.all([running, ...queued]), [10, 20, 30], 'close waits for every accepted write');
  });

  it('fails every write of a batch whose runner throws', async () => {
    const gc = new GroupCommit<number, number>(
      new WriterMutex(),
      () => Promise.reject(new Error('store down')),
      REFUSALS,
    );
    const results = await Promise.allSettled([gc.submit(1), gc.submit(2)]);
    assert.deepEqual(
      results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'ok')),
      ['store down', 'store down'],
    );
  });
});

describe('Published', () => {
  it('hands readers whole values, frozen, the newest after each publish', () => {
    const p = new Published({ generation: 0 });
    const old = p.current();
    p.publish({ generation: 1 });
    assert.equal(old.generation, 0, 'a reader keeps the value it took');
    assert.equal(p.current().generation, 1);
    assert.ok(Object.isFrozen(p.current()));
    assert.throws(() => {
      (p.current() as { generation: number }).generation = 2;
    }, TypeError);
  });
});
