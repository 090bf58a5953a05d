#!/usr/bin/env node
/**
 * bench-durable: what durability costs, measured on this machine in one run
 * (`npm run bench:durable`; prints figures, asserts nothing on time).
 *
 * 1. Alloc+Free ops/s through gRPC with 64 concurrent clients against
 *    `--store memory` and against the SQLite store, the ratio, and the mean
 *    batch size per commit (from vmapd's own /metrics).
 * 2. /meminfo p99 with and without concurrent durable writes: the fsync runs
 *    on the store's worker thread, so readers should not feel it.
 * 3. Recovery: time from spawn to "vmapd listening" for 100k and 1M areas.
 *
 * Traffic goes to 127.0.0.1 only; every phase is bounded in time and every
 * process is stopped by its pid.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { intIn, secondsUpTo } from './lib/cli.js';
import { makeVmapClient } from './lib/grpc.js';
import { prefill } from './lib/prefill.js';
import { startVmapd, stopAllServers, stopServerProcess, type ServerProcess } from './lib/server-process.js';
import { runFlood } from './meminfo-flood.js';
import { runWriters, stopAllWriters, type WritersResult } from './writers.js';

interface Options {
  /** Seconds per measured phase. */
  duration: number;
  clients: number;
  procs: number;
  recovery: number[];
  json?: string;
}

/** Mean of vmapd_write_batch_size from a /metrics page. */
async function meanBatch(server: ServerProcess): Promise<number> {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  const sum = Number(/^vmapd_write_batch_size_sum (\S+)$/m.exec(text)?.[1] ?? NaN);
  const count = Number(/^vmapd_write_batch_size_count (\S+)$/m.exec(text)?.[1] ?? NaN);
  return count > 0 ? sum / count : NaN;
}

async function writersAgainst(args: string[], o: Options): Promise<{ w: WritersResult; batch: number }> {
  const server = await startVmapd({ readMode: 'snapshot', extraArgs: args });
  try {
    const w = await runWriters({ target: server.grpc, procs: o.procs, clients: o.clients, durationSec: o.duration, maxOps: 50_000_000, rate: 0 });
    return { w, batch: await meanBatch(server) };
  } finally {
    await stopServerProcess(server);
  }
}

async function main(): Promise<void> {
  const o = new Command()
    .name('bench-durable')
    .addOption(new Option('--duration <s>', 'seconds per measured phase').default(10).argParser(secondsUpTo(120)))
    .addOption(new Option('--clients <n>', 'concurrent gRPC writer loops').default(64).argParser(intIn(1, 1024)))
    .addOption(new Option('--procs <n>', 'writer processes').default(2).argParser(intIn(1, 16)))
    .addOption(new Option('--recovery <list>', 'area counts to time recovery for').default([100_000, 1_000_000], '100000,1000000').argParser((v) => v.split(',').map(Number)))
    .addOption(new Option('--json <file>', 'also write the figures as JSON'))
    .parse()
    .opts<Options>();
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'vmapd-bench-'));
    dirs.push(d);
    return d;
  };
  const out: Record<string, unknown> = { node: process.version, clients: o.clients, procs: o.procs, durationSec: o.duration };
  try {
    console.log(`bench-durable: ${o.clients} gRPC clients in ${o.procs} processes, ${o.duration} s per phase, 127.0.0.1\n`);

    const memory = await writersAgainst(['--store', 'memory'], o);
    const sqlite = await writersAgainst(['--data-dir', tmp()], o);
    const ratio = sqlite.w.opsPerSec / memory.w.opsPerSec;
    out.throughput = { memory: memory.w.opsPerSec, sqlite: sqlite.w.opsPerSec, ratio, batchMemory: memory.batch, batchSqlite: sqlite.batch };
    console.log('store    Alloc+Free ops/s   p50 ms   p99 ms   mean batch');
    for (const [name, r] of [['memory', memory], ['sqlite', sqlite]] as const) {
      console.log(`${name.padEnd(8)} ${Math.round(r.w.opsPerSec).toLocaleString('en-US').padStart(17)} ${r.w.latency.p50.toFixed(2).padStart(8)} ${r.w.latency.p99.toFixed(2).padStart(8)} ${r.batch.toFixed(1).padStart(12)}`);
    }
    console.log(`durable / memory: ${(ratio * 100).toFixed(0)}%   (target >= 70%: ${ratio >= 0.7 ? 'pass' : 'MISS'})\n`);

    // /meminfo latency alone, then under durable writes.
    const server = await startVmapd({ readMode: 'snapshot', extraArgs: ['--data-dir', tmp()] });
    try {
      const flood = { url: server.httpUrl, connections: 16, pipelining: 1, durationSec: o.duration, maxRequests: 50_000_000 };
      const quiet = await runFlood(flood);
      const [busy, during] = await Promise.all([
        runFlood(flood),
        runWriters({ target: server.grpc, procs: 1, clients: o.clients, durationSec: o.duration, maxOps: 50_000_000, rate: 0 }),
      ]);
      out.meminfo = { quiet: quiet.latency, underDurableWrites: busy.latency, reqPerSecQuiet: quiet.reqPerSec, reqPerSecBusy: busy.reqPerSec, writerOpsPerSec: during.opsPerSec };
      console.log('/meminfo (16 connections)       req/s     p50 ms   p99 ms   p99.9 ms');
      for (const [name, f] of [['alone', quiet], ['with durable writes', busy]] as const) {
        console.log(`${name.padEnd(24)} ${Math.round(f.reqPerSec).toLocaleString('en-US').padStart(12)} ${f.latency.p50.toFixed(2).padStart(10)} ${f.latency.p99.toFixed(2).padStart(8)} ${f.latency.p999.toFixed(2).padStart(10)}`);
      }
      console.log(`  (writers meanwhile: ${Math.round(during.opsPerSec).toLocaleString('en-US')} durable ops/s)\n`);
    } finally {
      await stopServerProcess(server);
    }

    const recovery: Record<string, number> = {};
    console.log('recovery   areas      spawn to listening');
    for (const n of o.recovery) {
      const dir = tmp();
      const first = await startVmapd({ readMode: 'snapshot', extraArgs: ['--data-dir', dir], maxOldSpaceMb: 4096 });
      try {
        const client = makeVmapClient(first.grpc);
        await client.ready(10000);
        await prefill(client, n, 1);
        client.close();
      } finally {
        await stopServerProcess(first);
      }
      const t0 = performance.now();
      const again = await startVmapd({ readMode: 'snapshot', extraArgs: ['--data-dir', dir], maxOldSpaceMb: 4096 });
      const ms = performance.now() - t0;
      await stopServerProcess(again);
      recovery[n] = ms;
      console.log(`${n.toLocaleString('en-US').padStart(16)} ${(ms / 1000).toFixed(2).padStart(12)} s${n >= 1_000_000 ? `   (target < 5 s: ${ms < 5000 ? 'pass' : 'MISS'})` : ''}`);
    }
    out.recoveryMs = recovery;
    if (o.json) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(o.json, JSON.stringify(out, null, 2));
    }
  } finally {
    stopAllWriters();
    await stopAllServers();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

await main();
