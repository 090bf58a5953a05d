#!/usr/bin/env node
/**
 * bench-recovery: how long vmapd takes from spawn to listening on a data
 * directory (SQLite store) holding N areas, after a clean stop (it reads
 * the area image), after a crash (the image and the rows changed since) and
 * with no image (every row), the median of a few starts
 * (`node dist/loadtest/bench-recovery.js --areas 100000,1000000`; prints
 * figures, asserts nothing on time). 127.0.0.1 only; every vmapd is stopped
 * by its pid.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { intIn } from './lib/cli.js';
import { stopAllServers } from './lib/server-process.js';
import { benchRecovery } from './bench/recovery-figures.js';

/** Most areas one run may build: a 1M directory takes seconds, 10M about a minute. */
const MAX_AREAS = 10_000_000;

interface Options {
  areas: number[];
  runs: number;
  httpThreads?: number;
  json?: string;
}

function areaCounts(value: string): number[] {
  const counts = value.split(',').map(Number);
  if (counts.some((n) => !Number.isSafeInteger(n) || n < 0 || n > MAX_AREAS)) throw new InvalidArgumentError(`must be counts from 0 to ${MAX_AREAS}, comma separated`);
  return counts;
}

const o = new Command()
  .name('bench-recovery')
  .addOption(new Option('--areas <list>', 'area counts to time recovery for').default([100_000, 1_000_000], '100000,1000000').argParser(areaCounts))
  .addOption(new Option('--runs <n>', 'timed starts per count').default(3).argParser(intIn(1, 20)))
  .addOption(new Option('--http-threads <n>', "vmapd's --http-threads (default: its own default)").argParser(intIn(1, 16)))
  .addOption(new Option('--json <file>', 'also write the figures as JSON'))
  .parse()
  .opts<Options>();

try {
  console.log(`bench-recovery: ${o.runs} starts per count, SQLite store, 127.0.0.1\n`);
  console.log('areas        lazy   changed   after        spawn to listening (median)   runs');
  const figures = await benchRecovery(o.areas, { runs: o.runs, ...(o.httpThreads === undefined ? {} : { httpThreads: o.httpThreads }) });
  for (const f of figures) {
    const line = (after: string, changed: number, medianMs: number, runsMs: readonly number[]): string =>
      `${f.areas.toLocaleString('en-US').padStart(9)} ${f.lazy.toLocaleString('en-US').padStart(8)} ${changed.toLocaleString('en-US').padStart(9)}   ${after.padEnd(12)} ${(medianMs / 1000).toFixed(3).padStart(12)} s          ${runsMs.map((ms) => ms.toFixed(0)).join(', ')} ms`;
    console.log(line('clean stop', 0, f.medianMs, f.runsMs));
    console.log(line('crash', f.changed, f.crashMedianMs, f.crashRunsMs));
    console.log(line('no image', f.areas, f.rowsMedianMs, f.rowsRunsMs));
  }
  if (o.json !== undefined) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(o.json, JSON.stringify({ node: process.version, figures }, null, 2));
  }
} finally {
  await stopAllServers();
}
