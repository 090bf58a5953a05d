#!/usr/bin/env node
/**
 * bench-bulk: AllocBatch of 10,000 areas end to end, over gRPC on
 * 127.0.0.1, against `--store memory` and the SQLite store
 * (loadtest/bench/bulk-figures.ts). Prints the figures; asserts nothing on
 * time (the load average is printed with them: timing on a shared machine
 * is no test).
 *
 * `node dist/loadtest/bench-bulk.js [--calls 20] [--warmup 3] [--sizes random|one-page] [--stores memory,sqlite] [--json FILE]`
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Command, InvalidArgumentError, Option } from 'commander';
import { benchBulk, DEFAULT_BULK_OPTIONS, type BulkStore } from './bench/bulk-figures.js';
import { intIn, secondsUpTo } from './lib/cli.js';
import { stopAllServers } from './lib/server-process.js';

interface Options {
  calls: number;
  warmup: number;
  batch: number;
  sizes: 'one-page' | 'random';
  stores: BulkStore[];
  timeLimit: number;
  json?: string;
}

function storeList(value: string): BulkStore[] {
  const list = value.split(',');
  for (const s of list) if (s !== 'memory' && s !== 'sqlite') throw new InvalidArgumentError(`unknown store ${JSON.stringify(s)} (memory, sqlite)`);
  return list as BulkStore[];
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const d = DEFAULT_BULK_OPTIONS;
  const o = new Command()
    .name('bench-bulk')
    .addOption(new Option('--calls <n>', 'timed AllocBatch calls per store').default(d.calls).argParser(intIn(1, 1000)))
    .addOption(new Option('--warmup <n>', 'untimed calls first').default(d.warmup).argParser(intIn(0, 100)))
    .addOption(new Option('--batch <n>', 'allocations per call').default(d.batch).argParser(intIn(1, 10_000)))
    .addOption(new Option('--sizes <kind>', 'area sizes').default(d.sizes).choices(['one-page', 'random']))
    .addOption(new Option('--stores <list>', 'stores to measure').default(d.stores, d.stores.join(',')).argParser(storeList))
    .addOption(new Option('--time-limit <s>', 'most seconds of timed calls per store').default(d.timeLimitMs / 1000).argParser(secondsUpTo(600)))
    .addOption(new Option('--json <file>', 'also write the figures as JSON'))
    .parse()
    .opts<Options>();
  console.log(`bench-bulk: ${o.calls} AllocBatch calls of ${o.batch} (${o.sizes}) per store after ${o.warmup} warm-up, 127.0.0.1; load average ${load()}\n`);
  try {
    const figures = await benchBulk({ calls: o.calls, warmup: o.warmup, batch: o.batch, sizes: o.sizes, stores: o.stores, timeLimitMs: o.timeLimit * 1000 });
    console.log('store    calls   allocs/s overall   allocs/s median call   median ms   max ms');
    for (const s of figures.stores) {
      console.log(
        `${s.store.padEnd(8)} ${String(s.calls).padStart(5)} ${fmt(s.allocsPerSec).padStart(18)} ${fmt(s.medianCallAllocsPerSec).padStart(22)} ${s.medianCallMs.toFixed(1).padStart(11)} ${s.maxCallMs.toFixed(1).padStart(8)}`,
      );
    }
    console.log(`\nload average at the end: ${load()}`);
    if (o.json !== undefined) writeFileSync(o.json, JSON.stringify({ node: process.version, loadavg: loadavg(), ...figures }, null, 2));
  } finally {
    await stopAllServers();
  }
}

await main();
