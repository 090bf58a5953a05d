/**
 * A reader thread's change feed fills its replica from the stream's whole
 * list in slices, in the background: the thread can listen meanwhile. A
 * read that needs the replica (catchUp) finishes the fill at once, and a
 * batch queued behind the list is applied after it, in order, whichever of
 * the two gets there first.
 */
import assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { describe, it } from 'node:test';
import { encodeAreaList } from '../../src/store/area-list-codec.js';
import { encodeChanges } from '../../src/store/change-codec.js';
import { ChangeFeed } from '../../src/threads/reader-backend.js';
import type { ChangeMessage } from '../../src/threads/protocol.js';
import { makeArea, type VmapArea } from '../../src/vmap/vmap-area.js';

/** More areas than one background slice takes. */
const AREAS = 50_000;

const areas: VmapArea[] = Array.from({ length: AREAS }, (_, i) => makeArea(i * 3, 2, true, `caller-${i % 7}`, `owner-${i % 3}`, i % 11 === 0, i % 11 === 0 || i % 2 === 1 ? '' : `req-${i}`));
const list = encodeAreaList({ each: (visit) => areas.forEach((va) => visit(va)) }, areas.length);
const newArea = makeArea(AREAS * 3, 1, false, 'late', 'owner-0', false, 'late-1');

/** A port with the whole list at generation 5, then the batch of generation 6 inserting `newArea`, queued on it. */
function stream(): MessagePort {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage({ type: 'reset', generation: 5, areas: list } satisfies ChangeMessage);
  port1.postMessage({ type: 'changes', generation: 6, changes: encodeChanges([{ op: 'insert', area: newArea }]), last: true } satisfies ChangeMessage);
  port1.close();
  return port2;
}

const listed = (feed: ChangeFeed, generation: number): VmapArea[] => {
  const out: VmapArea[] = [];
  feed.catchUp(generation).view().each((va) => void out.push({ ...va }));
  return out;
};

/** Event-loop turns until the background has brought `feed` to `generation` (at most 100). */
async function turnsUntil(feed: ChangeFeed, generation: number): Promise<number> {
  let turns = 0;
  for (; feed.replica.generation < generation; turns++) {
    assert.ok(turns < 100, `still at generation ${feed.replica.generation} after ${turns} turns`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return turns;
}

const outOfStep = (err: Error): never => {
  throw err;
};

/** A feed on stream(), made once the stream's messages are in its port's queue. */
async function fedFeed(): Promise<{ port: MessagePort; feed: ChangeFeed }> {
  const port = stream();
  await new Promise((resolve) => setImmediate(resolve));
  return { port, feed: new ChangeFeed(port, outOfStep) };
}

describe('change feed', () => {
  it('is not filled when made: the list is taken in background slices, and the batch behind it after it', async () => {
    const port = stream();
    // The messages are delivered to the port's queue before the feed reads it.
    await new Promise((resolve) => setImmediate(resolve));
    const feed = new ChangeFeed(port, outOfStep);
    assert.equal(feed.replica.generation, 0, 'nothing is applied while the feed is made');
    // Turn by turn, the background gets to generation 6 by itself, the list taking several turns.
    const turns = await turnsUntil(feed, 6);
    assert.ok(turns >= Math.ceil(AREAS / 20_000), `filled in ${turns} turns`);
    assert.deepEqual(listed(feed, 6), [...areas, newArea]);
    port.close();
  });

  it('finishes the fill and the batch at once when a read needs them', async () => {
    const { port, feed } = await fedFeed();
    // One background slice in, then a read at the published generation 6.
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(feed.replica.generation < 6);
    assert.deepEqual(listed(feed, 6), [...areas, newArea]);
    port.close();
  });

  it('takes nothing in the background while paused, but a read still gets the replica whole', async () => {
    const { port, feed } = await fedFeed();
    feed.pause();
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(feed.replica.generation, 0, 'paused: nothing taken');
    feed.resume();
    await turnsUntil(feed, 6);
    const paused = new ChangeFeed(stream(), outOfStep);
    paused.pause();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(listed(paused, 6), [...areas, newArea]);
    port.close();
  });

  it('clears its nudge word once it finds the stream empty; batches published while it is set need no nudge of their own', async () => {
    const { port1, port2 } = new MessageChannel();
    port1.postMessage({ type: 'reset', generation: 5, areas: list } satisfies ChangeMessage);
    await new Promise((resolve) => setImmediate(resolve));
    const nudges = new Int32Array(new SharedArrayBuffer(8));
    // The writer nudged thread 1 for the list: its word is set.
    Atomics.store(nudges, 1, 1);
    const feed = new ChangeFeed(port2, outOfStep);
    feed.nudgedBy(nudges, 1);
    await turnsUntil(feed, 5);
    for (let i = 0; i < 3 && Atomics.load(nudges, 1) !== 0; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(Atomics.load(nudges, 1), 0, 'the stream was found empty: the word is clear, the next batch nudges');
    assert.equal(Atomics.load(nudges, 0), 0, "another thread's word is not touched");
    // The next batch, as the writer publishes it: posted, then a nudge only if the word was clear.
    let nudged = 0;
    const publish = (generation: number, area: VmapArea): void => {
      port1.postMessage({ type: 'changes', generation, changes: encodeChanges([{ op: 'insert', area }]), last: true } satisfies ChangeMessage);
      if (Atomics.exchange(nudges, 1, 1) === 0) {
        nudged++;
        feed.queued();
      }
    };
    const second = makeArea(AREAS * 3 + 10, 1, false, 'late', 'owner-0', false, 'late-2');
    publish(6, newArea);
    // Before the feed has taken it: the word is set, so this one brings no nudge; the feed takes both in the background.
    publish(7, second);
    assert.equal(nudged, 1);
    await turnsUntil(feed, 7);
    assert.deepEqual(listed(feed, 7), [...areas, newArea, second]);
    for (let i = 0; i < 3 && Atomics.load(nudges, 1) !== 0; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(Atomics.load(nudges, 1), 0, 'empty again: the word is clear');
    port1.close();
    port2.close();
  });

  it('says out of step when the stream ends before the published generation', async () => {
    const { port1, port2 } = new MessageChannel();
    port1.postMessage({ type: 'reset', generation: 5, areas: list } satisfies ChangeMessage);
    await new Promise((resolve) => setImmediate(resolve));
    const feed = new ChangeFeed(port2, outOfStep);
    assert.throws(() => feed.catchUp(6), /replica at generation 5 after draining, published 6/);
    port1.close();
    port2.close();
  });
});
