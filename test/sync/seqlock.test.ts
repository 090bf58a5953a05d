/**
 * The seqlock on its own: what is published is read back whole; refused
 * records change nothing; an unchanged sequence costs no copy; under a real
 * writer thread racing two reader threads no read is torn and none goes
 * back; a writer stuck mid-write makes a reader give up within its bound.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { SeqlockError, createSeqlock, openSeqlock, sequenceOf, type SeqlockRecord } from '../../src/sync/seqlock.js';
import { COUNTER_COUNT, JSON_CAPACITY, TEXT_CAPACITY, recordFor, tornBecause } from './seqlock-records.js';
import type { ReaderReport, StressRole, WriterReport } from './seqlock-worker.js';

const SIZES = { counterCount: 2, textCapacity: 64, jsonCapacity: 32 };
const first = { generation: 1, publishedAt: 1000.25, counters: [7, 8], text: 'hello\n', json: '{"a":1}' };

function isCode(code: SeqlockError['code'], pattern?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof SeqlockError, `a SeqlockError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (pattern) assert.match(err.message, pattern);
    return true;
  };
}

describe('seqlock, one thread', () => {
  it('reads back exactly what was published, bytes or strings, copied out of shared memory', () => {
    const { buffer, writer } = createSeqlock({ ...SIZES, initial: first });
    const reader = openSeqlock(buffer);
    const r1 = reader.read();
    assert.deepEqual({ ...r1, text: r1.text.toString(), json: r1.json.toString() }, first);
    assert.ok(Buffer.isBuffer(r1.text) && Buffer.isBuffer(r1.json));
    const text = Buffer.from('é\u0000bytes'); // UTF-8 and a NUL: bodies are bytes, not C strings
    writer.publish({ generation: 2, publishedAt: -3.5, counters: [0.5, Number.MAX_SAFE_INTEGER], text, json: new Uint8Array(0) });
    const r2 = reader.read();
    assert.equal(r2.generation, 2);
    assert.equal(r2.publishedAt, -3.5);
    assert.deepEqual(r2.counters, [0.5, Number.MAX_SAFE_INTEGER]);
    assert.ok(r2.text.equals(text));
    assert.equal(r2.json.length, 0);
    assert.equal(r1.text.toString(), 'hello\n', 'an earlier record is a copy: the next publish does not change it');
    assert.ok(!(r2.text.buffer instanceof SharedArrayBuffer), 'the body is not a view of shared memory');
  });

  it('refuses a body beyond its capacity, naming it, and leaves the published record and the sequence as they were', () => {
    const { buffer, writer } = createSeqlock({ ...SIZES, initial: first });
    const reader = openSeqlock(buffer);
    const before = reader.read();
    const seq = sequenceOf(buffer);
    assert.throws(() => writer.publish({ ...first, generation: 2, text: 'x'.repeat(65) }), isCode('SEQLOCK_BODY_TOO_LARGE', /text body of 65 bytes exceeds the capacity of 64 bytes/));
    assert.throws(() => writer.publish({ ...first, generation: 2, json: new Uint8Array(33) }), isCode('SEQLOCK_BODY_TOO_LARGE', /JSON body of 33 bytes exceeds the capacity of 32 bytes/));
    assert.throws(() => writer.publish({ ...first, generation: 2, text: 'é'.repeat(33) }), isCode('SEQLOCK_BODY_TOO_LARGE', /66 bytes/), 'capacity is in bytes, not characters');
    assert.throws(() => writer.publish({ ...first, generation: 2, counters: [1] }), isCode('SEQLOCK_BAD_RECORD', /2 counters, got 1/));
    assert.equal(sequenceOf(buffer), seq, 'no write began');
    assert.equal(reader.read(), before);
    writer.publish({ ...first, generation: 2, text: 'x'.repeat(64), json: 'y'.repeat(32) });
    assert.equal(reader.read().text.length, 64, 'exactly the capacity fits');
  });

  it('returns the same record and Buffers while nothing is published, with no copy', () => {
    const { buffer, writer } = createSeqlock({ ...SIZES, initial: first });
    const reader = openSeqlock(buffer);
    const a = reader.read();
    const b = reader.read();
    assert.equal(b, a);
    assert.equal(b.text, a.text);
    assert.equal(b.json, a.json);
    assert.equal(reader.stats.copies, 1);
    assert.ok(Object.isFrozen(a) && Object.isFrozen(a.counters));
    writer.publish({ ...first, generation: 2 });
    const c = reader.read();
    assert.notEqual(c, a);
    assert.equal(c.generation, 2);
    assert.equal(reader.read(), c);
    assert.deepEqual({ reads: reader.stats.reads, copies: reader.stats.copies, retries: reader.stats.retries }, { reads: 4, copies: 2, retries: 0 });
  });

  it('refuses a buffer that is not a seqlock', () => {
    assert.throws(() => openSeqlock(new SharedArrayBuffer(64)), isCode('SEQLOCK_BAD_BUFFER'));
    const { buffer } = createSeqlock({ ...SIZES, initial: first });
    assert.throws(() => openSeqlock(buffer.slice(0, buffer.byteLength - 1)), isCode('SEQLOCK_BAD_BUFFER'));
  });
});

type Message = { type: 'buffer'; buffer: SharedArrayBuffer } | { type: 'done'; report: unknown };

/** Starts a stress thread; `messages` yields what it posts, and rejects if it fails. */
function start(job: StressRole): { worker: Worker; next: () => Promise<Message> } {
  const worker = new Worker(new URL('./seqlock-worker.js', import.meta.url), { workerData: job });
  const queue: Message[] = [];
  let wake: (() => void) | undefined;
  let failure: unknown;
  worker.on('message', (m: Message) => (queue.push(m), wake?.()));
  worker.on('error', (err) => ((failure = err), wake?.()));
  worker.on('exit', (code) => ((failure ??= code === 0 ? undefined : new Error(`worker exited with ${code}`)), wake?.()));
  const next = async (): Promise<Message> => {
    while (queue.length === 0) {
      if (failure !== undefined) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
    }
    return queue.shift() as Message;
  };
  return { worker, next };
}

describe('seqlock, a writer thread racing two reader threads', () => {
  it('never returns a torn record, never goes back, and sees many generations', { timeout: 60_000 }, async (t) => {
    const READERS = 2;
    const control = new SharedArrayBuffer(8);
    const writer = start({ role: 'writer', control, readers: READERS, maxPublishes: 200_000, maxMs: 3000 });
    const workers = [writer.worker];
    try {
      const got = await writer.next();
      assert.equal(got.type, 'buffer');
      const buffer = (got as { buffer: SharedArrayBuffer }).buffer;
      const readers = Array.from({ length: READERS }, () => start({ role: 'reader', control, buffer, maxReads: 100_000_000, maxMs: 20_000 }));
      workers.push(...readers.map((r) => r.worker));
      const [w, ...rs] = await Promise.all([writer, ...readers].map(async (s) => (await s.next()) as { report: unknown }));
      const wr = w?.report as WriterReport;
      const reports = rs.map((r) => r.report as ReaderReport);
      t.diagnostic(`writer: ${wr.publishes} publishes in ${wr.ms.toFixed(0)} ms (${Math.round(wr.publishes / (wr.ms / 1000))}/s)`);
      for (const [i, r] of reports.entries()) {
        t.diagnostic(
          `reader ${i}: ${r.reads} reads in ${r.ms.toFixed(0)} ms (${Math.round(r.reads / (r.ms / 1000))}/s), ` +
            `${r.distinct} distinct generations, ${r.copies} copies, ${r.retries} retries, ${r.stale} stale, torn ${r.torn}, regressions ${r.regressions}`,
        );
      }
      assert.ok(wr.startedAfterReaders, 'the writer started once both readers were reading');
      for (const r of reports) {
        assert.equal(r.torn, 0, `torn read: ${r.firstTorn}`);
        assert.equal(r.regressions, 0, 'a generation went backwards');
        assert.ok(r.distinct > 1, `saw ${r.distinct} generation(s): the reader did not run alongside the writer`);
        assert.equal(r.lastGeneration, wr.publishes, 'the read after the writer finished sees its last publish');
        // r.stale is not asserted: a writer descheduled mid-write for longer than the
        // bound (three threads on two cores) rightly makes a reader answer stale but whole.
      }
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  });
});

describe('seqlock, a writer that dies mid-write', () => {
  it('makes a reader return its last good record within its bound, then at once, and throw if it has none', () => {
    const { buffer, writer } = createSeqlock({ counterCount: COUNTER_COUNT, textCapacity: TEXT_CAPACITY, jsonCapacity: JSON_CAPACITY, initial: recordFor(0) });
    writer.publish(recordFor(1));
    const BOUND_MS = 50;
    const reader = openSeqlock(buffer, { giveUpAfterMs: BOUND_MS });
    const good = reader.read();
    assert.equal(good.generation, 1);
    // The writer "dies": the sequence goes odd, half a record is scribbled, and nothing ends the write.
    const words = new Int32Array(buffer);
    Atomics.add(words, 0, 1);
    new Uint8Array(buffer).fill(0xff, 32, 64);
    const began = performance.now();
    let got: SeqlockRecord = reader.read();
    const took = performance.now() - began;
    assert.equal(got, good, 'the last good record');
    assert.equal(tornBecause(got), undefined);
    assert.ok(took >= BOUND_MS - 1 && took < BOUND_MS + 2000, `gave up after ${took.toFixed(1)} ms, bound ${BOUND_MS} ms`);
    assert.equal(reader.stats.stale, 1);
    const retries = reader.stats.retries;
    got = reader.read();
    assert.equal(got, good);
    assert.equal(reader.stats.retries, retries, 'the same stuck sequence: gives up at once, no spinning again');
    assert.throws(() => openSeqlock(buffer, { giveUpAfterMs: 5 }).read(), isCode('SEQLOCK_STALLED', /stuck mid-write/));
    // A writer that comes back (publish resumes on a whole state) is read again.
    Atomics.sub(words, 0, 1);
    writer.publish(recordFor(2));
    assert.equal(reader.read().generation, 2);
  });
});
