#!/usr/bin/env node
/**
 * bench-purge: what a purge's commit costs the SQLite store when it holds N
 * areas (`node dist/loadtest/bench-purge.js --areas 1000000`). Builds a
 * directory of N areas (loadtest/bench/recovery-data.ts), then, `--runs`
 * times, frees 100 busy areas in one commit and times the commit of the
 * purge that follows; prints each time and the median, asserts nothing on
 * time. A purge removes only the lazy rows: with the `areas_lazy` index it
 * reads only them, without it every row of the table.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, Option } from 'commander';
import { pino } from 'pino';
import { DEFAULT_CONFIG } from '../src/config.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { LAZY } from '../src/store/area-list-codec.js';
import { SpaceGeometry } from '../src/vmap/geometry.js';
import { buildRecoveryData } from './bench/recovery-data.js';
import { intIn } from './lib/cli.js';

/** Areas freed before each timed purge. */
const FREED = 100;

const o = new Command()
  .name('bench-purge')
  .addOption(new Option('--areas <n>', 'areas in the store').default(1_000_000).argParser(intIn(FREED, 10_000_000)))
  .addOption(new Option('--runs <n>', 'timed purges').default(5).argParser(intIn(1, 50)))
  .parse()
  .opts<{ areas: number; runs: number }>();

const dir = mkdtempSync(join(tmpdir(), 'vmapd-bench-purge-'));
try {
  const built = await buildRecoveryData(dir, o.areas, 3);
  const geometry = new SpaceGeometry(DEFAULT_CONFIG.spaceBase, DEFAULT_CONFIG.spaceSize);
  const { store, list } = await SqliteStore.open(dir, geometry, pino({ level: 'silent' }), { imageAfterChanges: 0 });
  if (list === undefined) throw new Error('the SQLite store handed over no columns');
  // Busy areas spread over the table, FREED for each run: the first busy one at or after every step-th.
  const n = list.starts.length;
  const step = Math.max(1, Math.floor(n / (2 * FREED * o.runs)));
  const busy: number[] = [];
  for (let i = 0, last = -1; i < n && busy.length < FREED * o.runs; i += step) {
    let j = Math.max(i, last + 1);
    while (j < n && (list.flags[j]! & LAZY) !== 0) j++;
    if (j < n) busy.push(list.starts[(last = j)]!);
  }
  if (busy.length < FREED * o.runs) throw new Error(`only ${busy.length} busy areas to free`);
  // The lazy rows the build left go first: every timed purge removes FREED rows.
  await store.commit([{ op: 'purge' }]);
  const ms: number[] = [];
  for (let r = 0; r < o.runs; r++) {
    await store.commit(busy.slice(r * FREED, (r + 1) * FREED).map((start) => ({ op: 'lazy' as const, start })));
    const t = performance.now();
    await store.commit([{ op: 'purge' }]);
    ms.push(performance.now() - t);
  }
  await store.close();
  const median = [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
  console.log(`bench-purge: SQLite store of ${built.areas.toLocaleString('en-US')} areas, a purge of ${FREED} lazy areas in its own commit (fsync included)`);
  console.log(`purge commit: median ${median.toFixed(1)} ms; runs ${ms.map((v) => v.toFixed(1)).join(', ')} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
