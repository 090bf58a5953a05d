import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { ActivitySample } from '../../src/service/activity-view.js';
import { EventStreams } from '../../src/http/event-stream.js';

/*
 * The slow-client rule of /v1/events, on real Node streams: a client whose
 * stream is full is sent nothing more (nothing queues up behind it) and is
 * dropped after the stall timeout, while a client that reads goes on getting
 * every generation.
 */

const meminfo = { total: 2 ** 45, used: 0, chunk: 2 ** 45, lazy: 0, nrAreas: 0, nrLazyAreas: 0 };

/** A client's end of the stream: takes what it is sent into `text`, or, stalled, takes nothing after its first bytes. */
function client(stalled: boolean): Writable & { text: string; writes: number } {
  const w = new Writable({
    // A stalled client's buffer fills with its first write.
    highWaterMark: stalled ? 64 : 1 << 20,
    write(chunk: Buffer, _enc, done) {
      w.writes++;
      w.text += chunk.toString();
      // A stalled reader never says it took the bytes.
      if (!stalled) done();
    },
  }) as Writable & { text: string; writes: number };
  w.text = '';
  w.writes = 0;
  return w;
}

describe('event streams', () => {
  it('drop a client that stops reading after the stall timeout, and keep sending to one that reads', async () => {
    let generation = 0;
    const sample = (): ActivitySample => ({ generation, meminfo, at: Date.now(), writes: generation, reads: 0 });
    const streams = new EventStreams({ sample, stallTimeoutMs: 300, logger: pino({ level: 'silent' }) });
    const slow = client(true);
    const fast = client(false);
    try {
      streams.add(slow);
      streams.add(fast);
      assert.equal(streams.open, 2);
      assert.match(slow.text, /^retry: 2000\n\nevent: history\ndata: \[/);
      // Publishes keep coming while the slow client reads nothing.
      const publisher = setInterval(() => generation++, 20);
      await once(slow, 'close');
      clearInterval(publisher);
      assert.equal(streams.dropped, 1);
      assert.equal(streams.open, 1);
      // Its stream took the first write only (the rest waited for room that never came).
      assert.equal(slow.writes, 1);
      assert.ok(slow.writableLength < 4096, `${slow.writableLength} bytes queued for the stalled client`);
      // The reading client got the generations as they came, coalesced.
      const ids = [...fast.text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      assert.ok(ids.length >= 2, fast.text);
      assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), `ids ${ids.join(' ')}`);
      assert.ok(ids.length < generation, `${ids.length} events for ${generation} generations`);
    } finally {
      streams.close();
    }
    assert.equal(fast.writableEnded, true, 'closing ends the streams');
  });
});
