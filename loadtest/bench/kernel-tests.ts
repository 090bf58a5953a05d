/**
 * `npm run bench -- --kernel-tests`: the cases of the kernel's
 * lib/test_vmalloc.c (loadtest/kernel/) on one VmapSpace of the default
 * geometry, reported as the kernel reports them (the Summary lines) and as
 * the benchmark does (ops/s per case), then the space checked: invariants
 * hold, and after a purge nothing is left.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { VmapSpace } from '../../src/vmap/space.js';
import { modelBackend } from '../kernel/model-backend.js';
import { KERNEL_DEFAULTS, clampParams, type KernelParams } from '../kernel/params.js';
import { CASES_LEGEND, allPassedButExpected, casesTable, paramsLine, skipLines, summaryLines } from '../kernel/report.js';
import { runKernelTests } from '../kernel/runner.js';
import { KERNEL_BENCH_LOOPS } from './options.js';
import { LAZY_MAX_PAGES, SPACE_SHAPE } from './workloads.js';

/** What ran, and how the model stands in for the kernel's threads. */
function headerLines(p: KernelParams): string[] {
  const loops =
    p.testLoopCount === KERNEL_DEFAULTS.testLoopCount
      ? 'the kernel default'
      : `the kernel's default is ${KERNEL_DEFAULTS.testLoopCount}${p.testLoopCount === KERNEL_BENCH_LOOPS ? `; the benchmark's is ${KERNEL_BENCH_LOOPS}` : ''}; --loops N to change`;
  return [
    `vmapd kernel tests (lib/test_vmalloc.c) on the model: node ${process.version}, ${cpus().length} CPU(s)`,
    `space: basePage 0x${SPACE_SHAPE.basePage.toString(16)}, 2^33 - 1 pages, lazyMaxPages ${LAZY_MAX_PAGES}; vmalloc = alloc with guard page, vfree = lazy free`,
    `${paramsLine(p)}; test_loop_count ${p.testLoopCount}: ${loops}`,
    `nr_threads ${p.nrThreads}: the model is synchronous, so the workers are interleaved, round-robin, one alloc or free each, on one core; ` +
      `load average at start ${loadavg()[0]!.toFixed(2)}\n`,
  ];
}

/**
 * Runs the kernel tests on the model with `params` and prints the report.
 * Resolves with the exit status: 0 when every case passed (but
 * align_shift_alloc_test, which is meant to fail) and the space is left
 * empty and consistent.
 */
export async function runKernelBench(params: KernelParams): Promise<number> {
  const p = clampParams(params);
  for (const line of headerLines(p)) console.log(line);
  for (const line of skipLines(p.runTestMask)) console.log(line);
  const space = new VmapSpace({ ...SPACE_SHAPE, lazyMaxPages: LAZY_MAX_PAGES });
  const started = performance.now();
  const result = await runKernelTests(p, () => modelBackend(space));
  const elapsedSeconds = (performance.now() - started) / 1000;
  for (const line of summaryLines(result)) console.log(line);
  console.log('');
  console.log(casesTable(result));
  console.log(CASES_LEGEND);

  const broken = space.checkInvariants();
  const purged = space.purge();
  const m = space.meminfo();
  const empty = m.nrAreas === 0 && m.nrLazyAreas === 0 && m.used === 0 && space.freeBlocks === 1;
  console.log(
    `\nspace after the run: invariants ${broken === null ? 'hold' : `BROKEN: ${broken}`}; final purge returned ${purged.areas} lazy areas; ` +
      `${empty ? 'empty (one free block, no areas)' : `NOT EMPTY: ${m.nrAreas} busy areas, ${space.freeBlocks} free blocks`}`,
  );
  console.log(`total ${elapsedSeconds.toFixed(1)} s; load average at end ${loadavg()[0]!.toFixed(2)}`);
  return allPassedButExpected(result) && broken === null && empty ? 0 : 1;
}
