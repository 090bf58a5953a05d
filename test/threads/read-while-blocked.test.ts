/**
 * The point of the reader threads, shown without timing: the writer thread
 * (this test's main thread, since vmapd runs in process) is blocked
 * synchronously in the middle of a write, spinning on an Atomics flag, not
 * awaiting anything. Meanwhile a prober thread reads over HTTP: in snapshot
 * mode it is answered, with the state from before the write; in locked-walk
 * the same read is answered only after the prober releases the writer.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { call, startTestServer, TEST_HTTP_THREADS } from '../helpers/server.js';
import { ENTERED, RELEASED, type ProbeData, type ProbeResult } from './probe.js';

/** A hook that blocks the writer thread at the next write it applies, until the prober releases it. */
function blocker(flags: Int32Array): { arm(): void; hook: (result: unknown) => void } {
  let armed = false;
  return {
    arm: () => void (armed = true),
    hook: () => {
      if (!armed) return;
      armed = false;
      Atomics.store(flags, ENTERED, 1);
      Atomics.notify(flags, ENTERED);
      // Blocked for real: no event loop turn happens on this thread until the release (30 s at most).
      const until = Date.now() + 30_000;
      while (Atomics.load(flags, RELEASED) === 0 && Date.now() < until) Atomics.wait(flags, RELEASED, 0, 1000);
    },
  };
}

async function runProbe(mode: ProbeData['mode']): Promise<{ result: ProbeResult; before: ProbeResult['after']; write: Record<string, unknown> }> {
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const block = blocker(flags);
  const s = await startTestServer({ readMode: mode }, { hooks: { afterApply: block.hook } });
  try {
    await call(s.client, 'Alloc', { size: '8192', caller: 'before' });
    const m = (await (await fetch(`${s.httpUrl}/meminfo?format=json`)).json()) as { nr_areas: number; generation: number };
    const before = { nrAreas: m.nr_areas, generation: m.generation };
    const data: ProbeData = { flags: flags.buffer as SharedArrayBuffer, callsBuffer: s.vmapd.http.callsBuffer, url: s.httpUrl, mode };
    const prober = new Worker(new URL('./prober-worker.js', import.meta.url), { workerData: data });
    const reported = once(prober, 'message') as Promise<[{ ok: boolean; result?: ProbeResult; error?: string }]>;
    block.arm();
    const write = await call(s.client, 'Alloc', { size: '4096', caller: 'during' });
    const [report] = await reported;
    await prober.terminate();
    assert.ok(report.ok, report.error);
    return { result: report.result!, before, write };
  } finally {
    await s.stop();
  }
}

describe(`reads while the writer thread is blocked (--http-threads ${TEST_HTTP_THREADS})`, () => {
  it('snapshot: /meminfo, /vmallocinfo and /readyz are answered with the state from before the write', async () => {
    const { result, before, write } = await runProbe('snapshot');
    assert.deepEqual(result.during, before, 'the read was answered while the writer was blocked, with the last published state');
    assert.equal(result.liveness, 200, '/readyz answered while blocked');
    assert.match(result.listing, / before /);
    assert.doesNotMatch(result.listing, / during /, 'the listing does not show the unfinished write');
    assert.equal(result.listing.trimEnd().split('\n').length, 1);
    assert.deepEqual(result.after, { nrAreas: 2, generation: before.generation + 1 }, 'after the release the write shows');
    assert.ok(write.addr, 'the write was answered');
  });

  it('locked-walk: the same read is answered only after the release', async () => {
    const { result, before } = await runProbe('locked-walk');
    assert.equal(result.forwarded, true, 'the read reached the writer while it was blocked');
    assert.equal(result.liveness, 200, 'the reader thread itself was alive');
    assert.equal(result.answeredWhileBlocked, false, 'the locked read waited for the writer');
    assert.deepEqual(result.after, { nrAreas: 2, generation: before.generation + 1 }, 'it walked the state after the write');
  });
});
