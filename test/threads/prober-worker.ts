/**
 * The other side of read-while-blocked.test.ts, on a thread of its own: the
 * test's main thread is vmapd's writer, and the test blocks it for real, so
 * whatever must happen meanwhile (HTTP reads, releasing the writer) happens
 * here. Flags live in shared memory; Atomics.wait blocks only this thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ENTERED, RELEASED, type ProbeData, type ProbeResult } from './probe.js';

const data = workerData as ProbeData;
const flags = new Int32Array(data.flags);
const calls = new Int32Array(data.callsBuffer);
/** A safety bound only: a read that waits for the blocked writer fails the test instead of hanging it. */
const signal = (): AbortSignal => AbortSignal.timeout(10_000);

type Meminfo = ProbeResult['after'];

async function meminfo(): Promise<Meminfo> {
  const body = (await (await fetch(`${data.url}/meminfo?format=json`, { signal: signal() })).json()) as { nr_areas: number; generation: number };
  return { nrAreas: body.nr_areas, generation: body.generation };
}

/** Waits (blocking this thread only) until flags[index] is not `value`, for at most 30 s. */
function waitWhile(words: Int32Array, index: number, value: number, what: string): void {
  const until = Date.now() + 30_000;
  while (Atomics.load(words, index) === value) {
    if (Date.now() > until) throw new Error(`gave up waiting: ${what}`);
    Atomics.wait(words, index, value, 1000);
  }
}

function release(): void {
  Atomics.store(flags, RELEASED, 1);
  Atomics.notify(flags, RELEASED);
}

async function probe(): Promise<ProbeResult> {
  waitWhile(flags, ENTERED, 0, 'the writer to block');
  if (data.mode === 'locked-walk') {
    // The locked read goes to the writer, which is blocked: it must not be answered until the release.
    let answeredWhileBlocked = false;
    const read = meminfo().then((m) => {
      if (Atomics.load(flags, RELEASED) === 0) answeredWhileBlocked = true;
      return m;
    });
    // The reader thread has forwarded it to the writer: its call is counted in shared memory.
    const total = (): number => calls.reduce((a, b) => a + b, 0);
    const until = Date.now() + 30_000;
    while (total() === 0 && Date.now() < until) await new Promise((resolve) => setImmediate(resolve));
    const forwarded = total() > 0;
    const liveness = (await fetch(`${data.url}/healthz`, { signal: signal() })).status;
    release();
    return { during: undefined, forwarded, answeredWhileBlocked, liveness, listing: '', after: await read };
  }
  // While the writer is blocked mid-write, on the reader threads:
  const during = await meminfo();
  const listing = await (await fetch(`${data.url}/vmallocinfo`, { signal: signal() })).text();
  const liveness = (await fetch(`${data.url}/readyz`, { signal: signal() })).status;
  release();
  // After the release the write is published; poll a bounded number of times until it shows.
  let after = await meminfo();
  for (let i = 0; i < 1000 && after.generation === during.generation; i++) after = await meminfo();
  return { during, forwarded: false, answeredWhileBlocked: false, liveness, listing, after };
}

probe().then(
  (result) => parentPort!.postMessage({ ok: true, result }),
  (err: unknown) => {
    release();
    parentPort!.postMessage({ ok: false, error: String(err) });
  },
);
