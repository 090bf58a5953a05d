/**
 * What a run prints, in the kernel's words: test_vmalloc's pr_info lines
 *
 *   "Summary: %s passed: %d failed: %d repeat: %d loops: %d avg: %llu usec\n"
 *   "All test took worker%d=%lu cycles\n"
 *
 * (the second in microseconds here: there is no cycle counter to read), one
 * line per case that does not apply, and the per-case ops/s table.
 */
import { fmtInt, table } from '../bench/tables.js';
import { skippedCases, TEST_CASES } from './cases.js';
import { maskSelects, type KernelParams } from './params.js';
import type { RunResult, WorkerData } from './runner.js';

/** The kernel's Summary line for one worker and one case. */
export function summaryLine(name: string, passed: number, failed: number, repeat: number, loops: number, avgUs: number): string {
  return `Summary: ${name} passed: ${passed} failed: ${failed} repeat: ${repeat} loops: ${loops} avg: ${avgUs} usec`;
}

/** The kernel's last line per worker, its time in microseconds rather than cycles. */
export function workerLine(worker: number, tookUs: number): string {
  return `All test took worker${worker}=${tookUs} usec`;
}

/** One line per case `mask` selects that does not apply, saying so and why. */
export function skipLines(mask: number): string[] {
  return skippedCases(mask).map((c) => `Skipped: ${c.name} (id: ${c.id}): ${c.skip ?? ''}`);
}

/** What one worker's report adds to the kernel's: misaligned addresses and errors, if any. */
function extraLines(w: WorkerData, worker: number): string[] {
  const out: string[] = [];
  if (w.misaligned > 0) out.push(`worker${worker}: ${w.misaligned} address(es) not aligned as asked (each failed its case)`);
  for (const e of w.errors) out.push(`worker${worker}: error: ${e}`);
  return out;
}

/**
 * The kernel's report of do_concurrent_test(): per worker, a Summary line
 * for every selected case that ran, in test_case_array order, then its
 * total time.
 */
export function summaryLines(r: RunResult): string[] {
  const p = r.params;
  const out: string[] = [];
  r.workers.forEach((w, i) => {
    TEST_CASES.forEach((c, j) => {
      const d = w.data[j];
      if (!maskSelects(p.runTestMask, j) || d === undefined) return;
      out.push(summaryLine(c.name, d.passed, d.failed, p.testRepeatCount, p.testLoopCount, d.timeUs));
    });
    out.push(workerLine(i, w.tookUs), ...extraLines(w, i));
  });
  return out;
}

/** The parameters as the kernel names them. */
export function paramsLine(p: KernelParams): string {
  return (
    `nr_threads=${p.nrThreads} sequential_test_order=${p.sequentialTestOrder ? 1 : 0} test_repeat_count=${p.testRepeatCount} ` +
    `test_loop_count=${p.testLoopCount} nr_pages=${p.nrPages} run_test_mask=${p.runTestMask} (num_online_cpus=${p.nrCpus}, seed ${p.seed})`
  );
}

/** Per case over all workers: runs passed and failed, allocs + frees, the span and ops/s. */
export function casesTable(r: RunResult): string {
  return table(
    ['case', 'id', 'passed', 'failed', 'allocs+frees', 'ms', 'ops/s'],
    r.cases.map((c) => [c.name, String(1 << c.index), String(c.passed), String(c.failed), fmtInt(c.ops), c.spanMs.toFixed(1), fmtInt(c.opsPerSec)]),
  );
}

/** What casesTable's columns mean. */
export const CASES_LEGEND =
  '  passed/failed: runs over all workers and repeats; ms: from the first worker starting the case to the last ending it\n' +
  '  (with shuffled orders other cases run inside that span too: --sequential for clean per-case figures); ops/s: allocs + frees / ms.';

/** Whether every case that ran passed, but align_shift_alloc_test, which the kernel expects to fail. */
export function allPassedButExpected(r: RunResult): boolean {
  return r.cases.every((c) => c.failed === 0 || c.name === 'align_shift_alloc_test') && r.workers.every((w) => w.errors.length === 0 && w.misaligned === 0);
}
