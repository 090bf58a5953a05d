/**
 * A thread of the seqlock stress test: the one writer, which makes the
 * seqlock (as vmapd's writer thread will) and publishes as fast as it can, or
 * a reader, checking every record it sees. Both are bounded in count and
 * time. The control words start the writer once every reader is reading and
 * tell the readers when the writer has finished.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSeqlock, openSeqlock, type SeqlockRecord } from '../../src/sync/seqlock.js';
import {
  COUNTER_COUNT,
  JSON_CAPACITY,
  READERS_READY,
  TEXT_CAPACITY,
  WRITER_DONE,
  recordFor,
  tornBecause,
} from './seqlock-records.js';

/** What the test passes to a stress thread. */
export type StressRole =
  | { role: 'writer'; control: SharedArrayBuffer; readers: number; maxPublishes: number; maxMs: number }
  | { role: 'reader'; control: SharedArrayBuffer; buffer: SharedArrayBuffer; maxReads: number; maxMs: number };

/** A reader's figures. */
export interface ReaderReport {
  reads: number;
  distinct: number;
  torn: number;
  firstTorn: string | undefined;
  regressions: number;
  lastGeneration: number;
  retries: number;
  copies: number;
  stale: number;
  ms: number;
}

/** The writer's figures. */
export interface WriterReport {
  publishes: number;
  ms: number;
  startedAfterReaders: boolean;
}

function writer(job: Extract<StressRole, { role: 'writer' }>): void {
  const control = new Int32Array(job.control);
  const { buffer, writer } = createSeqlock({
    counterCount: COUNTER_COUNT,
    textCapacity: TEXT_CAPACITY,
    jsonCapacity: JSON_CAPACITY,
    initial: recordFor(0),
  });
  parentPort?.postMessage({ type: 'buffer', buffer });
  // Wait (bounded) until every reader is in its loop, so the publishes race with reads.
  const waitUntil = performance.now() + 10_000;
  let ready: number;
  while ((ready = Atomics.load(control, READERS_READY)) < job.readers && performance.now() < waitUntil) {
    Atomics.wait(control, READERS_READY, ready, 100);
  }
  const start = performance.now();
  const deadline = start + job.maxMs;
  let g = 0;
  while (g < job.maxPublishes && performance.now() < deadline) writer.publish(recordFor(++g));
  Atomics.store(control, WRITER_DONE, 1);
  const report: WriterReport = { publishes: g, ms: performance.now() - start, startedAfterReaders: ready >= job.readers };
  parentPort?.postMessage({ type: 'done', report });
}

function reader(job: Extract<StressRole, { role: 'reader' }>): void {
  const control = new Int32Array(job.control);
  const seqlock = openSeqlock(job.buffer);
  const report: ReaderReport = {
    reads: 0, distinct: 0, torn: 0, firstTorn: undefined, regressions: 0,
    lastGeneration: -1, retries: 0, copies: 0, stale: 0, ms: 0,
  };
  let last: SeqlockRecord | undefined;
  Atomics.add(control, READERS_READY, 1);
  Atomics.notify(control, READERS_READY);
  const start = performance.now();
  const deadline = start + job.maxMs;
  while (report.reads < job.maxReads) {
    // Read the flag first: a read after it says done sees the writer's last record.
    const done = Atomics.load(control, WRITER_DONE) === 1;
    const r = seqlock.read();
    report.reads++;
    if (r !== last) {
      last = r;
      report.distinct++;
      const why = tornBecause(r);
      if (why !== undefined) {
        report.torn++;
        report.firstTorn ??= why;
      }
      if (r.generation < report.lastGeneration) report.regressions++;
      report.lastGeneration = Math.max(report.lastGeneration, r.generation);
    }
    if (done || (report.reads % 256 === 0 && performance.now() >= deadline)) break;
  }
  report.ms = performance.now() - start;
  Object.assign(report, { retries: seqlock.stats.retries, copies: seqlock.stats.copies, stale: seqlock.stats.stale });
  parentPort?.postMessage({ type: 'done', report });
}

const job = workerData as StressRole;
if (job.role === 'writer') writer(job);
else reader(job);
