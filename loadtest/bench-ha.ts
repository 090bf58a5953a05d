#!/usr/bin/env node
/**
 * bench-ha: what running on PostgreSQL with a standby costs and gives,
 * measured on this machine in one run (`npm run bench:ha`; prints figures,
 * asserts nothing on time), on a throwaway PostgreSQL cluster it starts:
 *
 * 1. Alloc+Free ops/s through gRPC, the same closed loop against the SQLite
 *    store and against a PostgreSQL leader with one standby, and the ratio.
 * 2. The standby's lag during that PostgreSQL load: its /meminfo generation
 *    (the change-log position) polled against the leader's, in commits and
 *    in ms from the leader publishing a generation to the standby publishing it.
 * 3. /meminfo req/s over both nodes at once ÷ over the leader alone.
 * 4. Failover: the leader killed (SIGKILL) → the first write acknowledged
 *    by the new leader, a write sent to the standby right after the kill.
 *
 * Traffic goes to 127.0.0.1 only; every phase and loop is bounded in count
 * and time, and every process is stopped by its pid.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { TestPostgres } from '../test/helpers/postgres.js';
import { intIn, secondsUpTo } from './lib/cli.js';
import { makeVmapClient } from './lib/grpc.js';
import { startVmapd, stopAllServers, stopServerProcess, type ServerProcess } from './lib/server-process.js';
import { runFlood, type FloodResult } from './meminfo-flood.js';
import { runWriters, stopAllWriters, type WritersResult } from './writers.js';

interface Options {
  /** Seconds per measured phase. */
  duration: number;
  clients: number;
  procs: number;
  /** Lag samples per second at most. */
  pollMs: number;
}

/** The published generation of `server` (its change-log position on PostgreSQL). */
async function generation(server: ServerProcess): Promise<number> {
  const res = await fetch(`${server.httpUrl}/meminfo?format=json`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`/meminfo answered ${res.status}`);
  return ((await res.json()) as { generation: number }).generation;
}

/** The value below which `share` of `values` lie (nearest rank). */
function quantile(values: readonly number[], share: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)]!;
}

/** What the standby's lag was while `until` ran. */
interface Lag {
  readonly samples: number;
  readonly commitsP50: number;
  readonly commitsP99: number;
  readonly commitsMax: number;
  readonly msP50: number;
  readonly msP99: number;
  readonly msMax: number;
}

/**
 * Polls the leader's and the standby's generations until `until` settles
 * (at most `maxSamples` rounds): commits behind is the leader's generation
 * less the standby's read just after it; ms behind, for each generation the
 * leader was seen at, the time from that sighting to the standby's first
 * sighting of it or a later one (both sightings are late by up to a polling
 * period, so it is exact only to within one).
 */
async function pollLag(leader: ServerProcess, standby: ServerProcess, until: Promise<unknown>, pollMs: number, maxSamples: number): Promise<Lag> {
  let done = false;
  void until.finally(() => (done = true));
  const commits: number[] = [];
  const ms: number[] = [];
  const seenOnLeader: { gen: number; at: number }[] = [];
  for (let i = 0; i < maxSamples && !done; i++) {
    const started = performance.now();
    const l = await generation(leader);
    if (seenOnLeader.length === 0 || seenOnLeader[seenOnLeader.length - 1]!.gen < l) seenOnLeader.push({ gen: l, at: performance.now() });
    const s = await generation(standby);
    const now = performance.now();
    commits.push(Math.max(0, l - s));
    while (seenOnLeader.length > 0 && seenOnLeader[0]!.gen <= s) ms.push(now - seenOnLeader.shift()!.at);
    const left = pollMs - (performance.now() - started);
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
  }
  return {
    samples: commits.length,
    commitsP50: quantile(commits, 0.5),
    commitsP99: quantile(commits, 0.99),
    commitsMax: Math.max(...commits),
    msP50: quantile(ms, 0.5),
    msP99: quantile(ms, 0.99),
    msMax: Math.max(...ms),
  };
}

/** Waits (bounded) until `server`'s /readyz names it `role`. */
async function waitRole(server: ServerProcess, role: 'leader' | 'standby', timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await fetch(`${server.httpUrl}/readyz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text(), () => '');
    if (text.includes(`role ${role} `)) return;
    if (Date.now() > deadline) throw new Error(`${server.httpUrl} is not ${role} after ${timeoutMs} ms: ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const o = new Command()
    .name('bench-ha')
    .addOption(new Option('--duration <s>', 'seconds per measured phase').default(10).argParser(secondsUpTo(120)))
    .addOption(new Option('--clients <n>', 'concurrent gRPC writer loops').default(64).argParser(intIn(1, 1024)))
    .addOption(new Option('--procs <n>', 'writer processes').default(2).argParser(intIn(1, 16)))
    .addOption(new Option('--poll-ms <ms>', "how often the standby's lag is sampled").default(20).argParser(intIn(5, 1000)))
    .parse()
    .opts<Options>();
  const dir = mkdtempSync(join(tmpdir(), 'vmapd-bench-ha-'));
  let pg: TestPostgres | undefined;
  const writers = (target: string): Promise<WritersResult> =>
    runWriters({ target, procs: o.procs, clients: o.clients, durationSec: o.duration, maxOps: 50_000_000, rate: 0 });
  const flood = (server: ServerProcess): Promise<FloodResult> =>
    runFlood({ url: server.httpUrl, connections: 16, pipelining: 1, durationSec: o.duration, maxRequests: 50_000_000 });
  try {
    console.log(`bench-ha: ${o.clients} gRPC clients in ${o.procs} processes, ${o.duration} s per phase, 127.0.0.1\n`);

    const sqliteServer = await startVmapd({ readMode: 'snapshot', extraArgs: ['--data-dir', dir] });
    let sqlite: WritersResult;
    try {
      sqlite = await writers(sqliteServer.grpc);
    } finally {
      await stopServerProcess(sqliteServer);
    }

    pg = await TestPostgres.start();
    const url = await pg.createDatabase();
    const nodeArgs = ['--store', 'postgres', '--postgres-url', url];
    const leader = await startVmapd({ readMode: 'snapshot', extraArgs: nodeArgs });
    await waitRole(leader, 'leader');
    const standby = await startVmapd({ readMode: 'snapshot', extraArgs: nodeArgs });
    await waitRole(standby, 'standby');
    try {
      const load = writers(leader.grpc);
      const lag = await pollLag(leader, standby, load, o.pollMs, Math.ceil((o.duration * 1000 * 2) / o.pollMs));
      const postgres = await load;
      const ratio = postgres.opsPerSec / sqlite.opsPerSec;
      console.log('store                 Alloc+Free ops/s   p50 ms   p99 ms');
      for (const [name, r] of [['sqlite', sqlite], ['postgres (+1 standby)', postgres]] as const) {
        console.log(`${name.padEnd(21)} ${fmt(r.opsPerSec).padStart(17)} ${r.latency.p50.toFixed(2).padStart(8)} ${r.latency.p99.toFixed(2).padStart(8)}`);
      }
      console.log(`postgres / sqlite: ${(ratio * 100).toFixed(0)}%\n`);
      console.log(`standby lag under that load (${lag.samples} samples every ${o.pollMs} ms):`);
      console.log(`  commits behind  p50 ${fmt(lag.commitsP50)}  p99 ${fmt(lag.commitsP99)}  max ${fmt(lag.commitsMax)}`);
      console.log(`  ms behind       p50 ${fmt(lag.msP50, 1)}  p99 ${fmt(lag.msP99, 1)}  max ${fmt(lag.msMax, 1)}  (to within the polling period)\n`);

      const one = await flood(leader);
      const [a, b] = await Promise.all([flood(leader), flood(standby)]);
      const two = a.reqPerSec + b.reqPerSec;
      console.log('/meminfo (16 connections per node)   req/s');
      console.log(`leader alone                  ${fmt(one.reqPerSec).padStart(12)}`);
      console.log(`leader + standby at once      ${fmt(two).padStart(12)}   (${fmt(a.reqPerSec)} + ${fmt(b.reqPerSec)})`);
      console.log(`two nodes / one: ${(two / one.reqPerSec).toFixed(2)}\n`);

      // Failover: a write sent to the standby just after the kill waits for it to lead, then is answered by it.
      const client = makeVmapClient(standby.grpc);
      try {
        await client.ready(10_000);
        const t0 = performance.now();
        leader.child.kill('SIGKILL');
        let acked = NaN;
        for (let tries = 0; tries < 100 && performance.now() - t0 < 30_000; tries++) {
          try {
            await client.alloc(4096, { caller: 'bench-ha', requestId: 'failover' }, { deadlineMs: 15_000 });
            acked = performance.now() - t0;
            break;
          } catch {
            // Not yet (the standby's forward to the dead leader failed): send it again, same request_id.
          }
        }
        await stopServerProcess(leader);
        console.log(`failover: leader killed -> first acknowledged write on the new leader ${Number.isNaN(acked) ? 'none within 30 s' : `${fmt(acked)} ms`} (default lease, 2000 ms)`);
      } finally {
        client.close();
      }
    } finally {
      await stopServerProcess(standby);
      await stopServerProcess(leader);
    }
  } finally {
    stopAllWriters();
    await stopAllServers();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
