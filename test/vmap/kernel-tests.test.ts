import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KERNEL_BENCH_LOOPS, parseBenchOptions } from '../../loadtest/bench/options.js';
import { LAZY_MAX_PAGES, SPACE_SHAPE } from '../../loadtest/bench/workloads.js';
import type { SyncBackend } from '../../loadtest/kernel/backend.js';
import { TEST_CASES, selectedCases } from '../../loadtest/kernel/cases.js';
import { runKernelTestsOverGrpc } from '../../loadtest/kernel/grpc-run.js';
import { modelBackend } from '../../loadtest/kernel/model-backend.js';
import { INT_MAX, KERNEL_DEFAULTS, parseMask, type KernelParams } from '../../loadtest/kernel/params.js';
import { skipLines, summaryLine, summaryLines, workerLine } from '../../loadtest/kernel/report.js';
import { runKernelTests, type RunResult } from '../../loadtest/kernel/runner.js';
import { VmapSpace } from '../../src/vmap/space.js';
import { call, startTestServer, type TestServer } from '../helpers/server.js';

/** Small runs: a few loops, three interleaved workers, two repeats. */
const SMALL: KernelParams = { ...KERNEL_DEFAULTS, nrThreads: 3, testLoopCount: 40, testRepeatCount: 2, nrCpus: 1, seed: 7 };

/** The case the kernel means to fail. */
const ALIGN_SHIFT = TEST_CASES.findIndex((c) => c.name === 'align_shift_alloc_test');
/** Its calls alone in the default space: 46 aligned pages (1 B to 2^45) allocated and freed, then 2^46, which fits nowhere. */
const ALIGN_SHIFT_OPS = 46 * 2 + 1;

function defaultSpace(): VmapSpace {
  return new VmapSpace({ ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES });
}

/** Invariants hold and, once purged, the space holds nothing. */
function assertEmpty(space: VmapSpace, what: string): void {
  assert.equal(space.checkInvariants(), null, what);
  space.purge();
  assert.equal(space.checkInvariants(), null, what);
  const m = space.meminfo();
  assert.deepEqual({ nrAreas: m.nrAreas, nrLazyAreas: m.nrLazyAreas, used: m.used, lazy: m.lazy, freeBlocks: space.freeBlocks }, { nrAreas: 0, nrLazyAreas: 0, used: 0, lazy: 0, freeBlocks: 1 }, what);
  assert.deepEqual(space.meminfo(), space.walkMeminfo(), what);
}

function assertClean(r: RunResult): void {
  for (const w of r.workers) {
    assert.deepEqual(w.errors, []);
    assert.equal(w.misaligned, 0);
  }
}

describe('kernel vmalloc tests (lib/test_vmalloc.c) on the model', () => {
  for (const index of selectedCases(INT_MAX)) {
    const c = TEST_CASES[index]!;
    for (const sequential of [true, false]) {
      it(`${c.name} (id ${c.id}) runs on 3 interleaved workers${sequential ? '' : ', shuffled'} and leaves the space empty and consistent`, async () => {
        const space = defaultSpace();
        const r = await runKernelTests({ ...SMALL, runTestMask: c.id, sequentialTestOrder: sequential }, () => modelBackend(space));
        assertClean(r);
        assert.equal(r.cases.length, 1);
        const fig = r.cases[0]!;
        assert.equal(fig.name, c.name);
        if (index === ALIGN_SHIFT) {
          // "supposed to be failed": every run fails, at 2^46 at the latest; earlier when another
          // worker holds the one or two pages of the space aligned to 2^45 or 2^44.
          assert.deepEqual([fig.passed, fig.failed], [0, 6]);
          for (const w of r.workers) assert.ok(w.data[index]!.ops <= 2 * ALIGN_SHIFT_OPS && w.data[index]!.ops >= 2 * (2 * 40 + 1), String(w.data[index]!.ops));
        } else {
          assert.deepEqual([fig.passed, fig.failed], [6, 0], 'every worker passes every repeat');
          assert.ok(fig.ops >= 6 * 2 * SMALL.testLoopCount);
        }
        assertEmpty(space, c.name);
      });
    }
  }

  it('runs every case together, shuffled per worker, with the kernel default mask, and the space stays consistent', async () => {
    const space = defaultSpace();
    const r = await runKernelTests({ ...SMALL, testRepeatCount: 1 }, () => modelBackend(space));
    assertClean(r);
    assert.deepEqual(
      r.cases.map((c) => c.name),
      TEST_CASES.filter((c) => c.run !== undefined).map((c) => c.name),
    );
    for (const c of r.cases) assert.deepEqual([c.passed, c.failed], c.name === 'align_shift_alloc_test' ? [0, 3] : [3, 0], c.name);
    // The workers ran the cases in different orders (shuffle_array never leaves an index in place).
    assert.notDeepEqual(r.workers[0]!.order, r.workers[1]!.order);
    assertEmpty(space, 'all cases');
    const lines = summaryLines(r);
    assert.equal(lines.filter((l) => l.startsWith('Summary: ')).length, 3 * 7);
    assert.equal(lines.filter((l) => l.startsWith('All test took worker')).length, 3);
  });

  it('align_shift_alloc_test on one worker fails exactly at 2^46, the first alignment no page of the 32 TiB space meets', async () => {
    const space = defaultSpace();
    const r = await runKernelTests({ ...SMALL, runTestMask: 64, nrThreads: 1, testRepeatCount: 1 }, () => modelBackend(space));
    assert.deepEqual([r.cases[0]!.passed, r.cases[0]!.failed, r.cases[0]!.ops], [0, 1, ALIGN_SHIFT_OPS]);
    assertEmpty(space, 'align_shift alone');
  });

  it('fails a case on an address not aligned as asked, freeing it', async () => {
    const space = defaultSpace();
    const model = modelBackend(space);
    // A broken allocator: whenever the alignment is above a page, it answers one page past what it reserved.
    const skewed = new Set<number>();
    const broken: SyncBackend = {
      sync: true,
      alloc: (pages, align) => {
        const p = model.alloc(pages + 1, 0);
        if (p === null || align <= 4096) return p;
        skewed.add(p + 1);
        return p + 1;
      },
      free: (page) => model.free(skewed.delete(page) ? page - 1 : page),
    };
    const r = await runKernelTests({ ...SMALL, runTestMask: 16, nrThreads: 1, testRepeatCount: 1 }, () => broken);
    assert.deepEqual([r.cases[0]!.passed, r.cases[0]!.failed], [0, 1]);
    assert.equal(r.workers[0]!.misaligned, 1);
    assertEmpty(space, 'misaligned');
  });

  it('fix_size_alloc_test takes nr_pages, and a repeat count runs each case that many times', async () => {
    const space = defaultSpace();
    const r = await runKernelTests({ ...SMALL, runTestMask: 1, nrPages: 7, nrThreads: 1, testRepeatCount: 3 }, () => modelBackend(space));
    assert.deepEqual([r.cases[0]!.passed, r.cases[0]!.failed], [3, 0]);
    assert.equal(r.cases[0]!.ops, 3 * 2 * SMALL.testLoopCount);
    assertEmpty(space, 'nr_pages 7');
  });

  it('clamps as the kernel does: nr_threads 0 is 1, loop and repeat counts <= 0 are 1', async () => {
    const space = defaultSpace();
    const r = await runKernelTests({ ...SMALL, runTestMask: 1, nrThreads: 0, testLoopCount: 0, testRepeatCount: -2 }, () => modelBackend(space));
    assert.equal(r.workers.length, 1);
    assert.equal(r.params.testLoopCount, 1);
    assert.equal(r.params.testRepeatCount, 1);
    assert.equal(r.cases[0]!.ops, 2);
  });

  it('prints the kernel Summary line exactly, and a line for each selected case that does not apply', () => {
    assert.equal(summaryLine('fix_size_alloc_test', 1, 0, 1, 1000000, 123), 'Summary: fix_size_alloc_test passed: 1 failed: 0 repeat: 1 loops: 1000000 avg: 123 usec');
    assert.equal(workerLine(2, 99), 'All test took worker2=99 usec');
    assert.deepEqual(skipLines(0x7f), []);
    const skipped = skipLines(1 | 128 | 1024);
    assert.equal(skipped.length, 2);
    assert.match(skipped[0]!, /^Skipped: pcpu_alloc_test \(id: 128\): /);
    assert.match(skipped[1]!, /^Skipped: vm_map_ram_test \(id: 1024\): /);
    assert.deepEqual(selectedCases(1 | 128 | 1024), [0]);
  });

  it('npm run bench -- --kernel-tests takes the kernel parameters, with the kernel defaults but the loop count', () => {
    assert.equal(parseBenchOptions([]).kernel, null);
    const k = parseBenchOptions(['--kernel-tests']).kernel!;
    assert.deepEqual(
      [k.runTestMask, k.nrThreads, k.testLoopCount, k.nrPages, k.testRepeatCount, k.sequentialTestOrder],
      [INT_MAX, 0, KERNEL_BENCH_LOOPS, 0, 1, false],
    );
    const o = parseBenchOptions(['--kernel-tests', '--mask', '23', '--loops', '1000000', '--nr-pages', '4', '--threads', '8', '--repeat', '3', '--sequential', '--nr-cpus', '4']).kernel!;
    assert.deepEqual(
      [o.runTestMask, o.testLoopCount, o.nrPages, o.nrThreads, o.testRepeatCount, o.sequentialTestOrder, o.nrCpus],
      [23, 1_000_000, 4, 8, 3, true, 4],
    );
    assert.throws(() => parseBenchOptions(['--kernel-tests', '--threads', '0']), /--threads/);
    assert.throws(() => parseBenchOptions(['--kernel-tests', '--mask', 'all']), /run_test_mask/);
  });

  it('reads run_test_mask in decimal or hex, within int', () => {
    assert.equal(parseMask('23'), 23);
    assert.equal(parseMask('0x7f'), 127);
    assert.equal(parseMask(String(INT_MAX)), INT_MAX);
    assert.throws(() => parseMask('-1'));
    assert.throws(() => parseMask('2147483648'));
    assert.throws(() => parseMask('1e3'));
  });
});

describe('kernel vmalloc tests over gRPC', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('fix_size_alloc_test and random_size_align_alloc_test pass with 2 concurrent clients, leaving no areas after a purge', async () => {
    const r = await runKernelTestsOverGrpc(s.grpcTarget, { ...SMALL, runTestMask: 1 | 32, nrThreads: 2, testLoopCount: 25, testRepeatCount: 1 }, { durationSec: 120, deadlineMs: 10000 });
    assert.equal(r.stopped, false);
    assert.deepEqual(r.callErrors, [{}, {}]);
    assertClean(r);
    assert.deepEqual(
      r.cases.map((c) => [c.name, c.passed, c.failed, c.ops]),
      [
        ['fix_size_alloc_test', 2, 0, 100],
        ['random_size_align_alloc_test', 2, 0, 100],
      ],
    );
    await call(s.client, 'Purge', {});
    const m = await call<{ nr_areas: string; nr_lazy_areas: string }>(s.client, 'MemInfo', {});
    assert.deepEqual([m.nr_areas, m.nr_lazy_areas], ['0', '0']);
  });

  it('align_shift_alloc_test fails over gRPC where it fails on the model, and frees what it got', async () => {
    const one = await runKernelTestsOverGrpc(s.grpcTarget, { ...SMALL, runTestMask: 64, nrThreads: 1, testRepeatCount: 1 }, { durationSec: 120, deadlineMs: 10000 });
    assert.deepEqual(
      one.cases.map((c) => [c.passed, c.failed, c.ops]),
      [[0, 1, ALIGN_SHIFT_OPS]],
    );
    // vmapd refuses an alignment no address of the space meets as an invalid argument; vmalloc's NULL.
    assert.deepEqual(one.callErrors, [{ 'Alloc INVALID_ARGUMENT': 1 }]);
    const two = await runKernelTestsOverGrpc(s.grpcTarget, { ...SMALL, runTestMask: 64, nrThreads: 2, testRepeatCount: 1 }, { durationSec: 120, deadlineMs: 10000 });
    assert.deepEqual([two.cases[0]!.passed, two.cases[0]!.failed], [0, 2]);
    for (const errors of two.callErrors) assert.equal(Object.values(errors).reduce((a, b) => a + b, 0), 1, JSON.stringify(errors));
    await call(s.client, 'Purge', {});
    const m = await call<{ nr_areas: string }>(s.client, 'MemInfo', {});
    assert.equal(m.nr_areas, '0');
  });
});
