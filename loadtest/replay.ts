#!/usr/bin/env node
/**
 * replay: a real /proc/vmallocinfo dump replayed into vmapd and timed
 * (`npm run loadtest:replay -- --spawn FILE [--churn N]`). With --spawn it
 * starts its own vmapd child (`--store memory`, 127.0.0.1, ephemeral ports,
 * a --lazy-max-pages that holds the dump's unpurged areas) and stops it by
 * its pid; without, it replays into the vmapd at --host/--grpc-port
 * (loopback, or the one --allow-host name). Prints the allocation and free
 * rates, then the dump's totals beside vmapd's /meminfo, as `vmapctl replay`.
 */
import { Command, Option } from 'commander';
import { hostOptions, hostPort, intIn, isMain } from './lib/cli.js';
import { makeVmapClient } from './lib/grpc.js';
import { startVmapd, stopAllServers, stopServerProcess, type ServerProcess } from './lib/server-process.js';
import { checkTargetHost } from './lib/target.js';
import { readDump, replayJson, replayText } from '../src/cli/vmapctl-replay.js';
import { replayDump, type ReplayResult } from '../src/cli/vmallocinfo-replay.js';
import { messageOf } from '../src/vmap/errors.js';
import { DEFAULT_LAZY_MAX_PAGES } from '../src/vmap/space-shape.js';
import { PAGE_SIZE } from '../src/vmap/page.js';

/** Deadline of each call: an AllocBatch of 10,000 on a loaded machine takes well under this. */
const DEADLINE_MS = 60000;

interface Options {
  spawn?: boolean;
  host: string;
  allowHost?: string;
  grpcPort: number;
  churn: number;
  seed: number;
  lazyMaxPages?: number;
  json?: boolean;
}

const perSecond = (n: number, ms: number): number => (ms > 0 ? Math.round((n / ms) * 1000) : 0);

/** The timing lines of a replay. */
export function formatTimes(r: ReplayResult): string {
  let out =
    `allocs: ${r.allocs} in ${r.batches} AllocBatch call${r.batches === 1 ? '' : 's'}, ${Math.round(r.allocMs)} ms (${perSecond(r.allocs, r.allocMs)} allocs/s)\n` +
    `lazy frees: ${r.lazyFrees} Free calls, ${Math.round(r.freeMs)} ms (${perSecond(r.lazyFrees, r.freeMs)} frees/s)\n` +
    `replay: ${Math.round(r.replayMs)} ms (${perSecond(r.allocs, r.replayMs)} entries/s)\n`;
  if (r.churn !== undefined) out += `churn: ${r.churn.rounds} rounds of Free + Alloc, ${Math.round(r.churn.ms)} ms (${perSecond(r.churn.rounds, r.churn.ms)} rounds/s)\n`;
  return out;
}

async function main(): Promise<void> {
  const cmd = new Command()
    .name('replay')
    .description("Replay a /proc/vmallocinfo dump into vmapd, time it, and print the dump's totals beside vmapd's /meminfo.")
    .argument('<file>', 'a /proc/vmallocinfo dump')
    .addOption(new Option('--spawn', 'start a vmapd child (--store memory) for the replay, and stop it after'))
    .addOption(new Option('--grpc-port <port>', 'vmapd gRPC port, without --spawn').env('LOADTEST_GRPC_PORT').default(50051).argParser(intIn(1, 65535)))
    .addOption(new Option('--churn <n>', "then N rounds of freeing a random live area and allocating one of a random entry's size").default(0).argParser(intIn(0, 10_000_000)))
    .addOption(new Option('--seed <n>', "seed of the churn's choices").default(1).argParser(intIn(0, 2 ** 32 - 1)))
    .addOption(new Option('--lazy-max-pages <n>', "the spawned vmapd's --lazy-max-pages (default: its own, or the dump's lazy pages if more)").argParser(intIn(0, 2 ** 40)))
    .addOption(new Option('--json', 'print the result as JSON'));
  for (const o of hostOptions()) cmd.addOption(o);
  cmd.parse();
  const o = cmd.opts<Options>();
  const file = cmd.args[0]!;
  const dump = readDump(file);
  let server: ServerProcess | undefined;
  let target: string;
  if (o.spawn === true) {
    const lazyMaxPages = o.lazyMaxPages ?? Math.max(DEFAULT_LAZY_MAX_PAGES, dump.lazyBytes / PAGE_SIZE);
    server = await startVmapd({ readMode: 'snapshot', httpThreads: 1, extraArgs: ['--store', 'memory', '--lazy-max-pages', String(lazyMaxPages)] });
    target = server.grpc;
  } else {
    checkTargetHost(o.host, o.allowHost);
    target = hostPort(o.host, o.grpcPort);
  }
  const client = makeVmapClient(target, DEADLINE_MS);
  try {
    await client.ready(10000);
    const r = await replayDump(client, dump, { churn: o.churn, seed: o.seed });
    if (r.purgedOnReplay) process.stderr.write(`replay: warning: vmapd purged the dump's lazy areas; its --lazy-max-pages must be at least ${r.lazyPagesNeeded}\n`);
    if (o.json) {
      process.stdout.write(JSON.stringify({ ...replayJson(file, dump, r), alloc_ms: Math.round(r.allocMs), free_ms: Math.round(r.freeMs) }, null, 2) + '\n');
    } else {
      process.stdout.write(formatTimes(r) + '\n' + replayText(file, dump, r));
    }
  } finally {
    client.close();
    if (server !== undefined) await stopServerProcess(server);
  }
}

if (isMain(import.meta.url)) {
  process.once('SIGINT', () => {
    void stopAllServers().then(() => process.exit(130));
  });
  main().catch(async (err: unknown) => {
    process.stderr.write(`replay: ${messageOf(err)}\n`);
    await stopAllServers();
    process.exit(1);
  });
}
