#!/usr/bin/env node
/**
 * kernel-tests: the cases of the kernel's lib/test_vmalloc.c run against
 * vmapd over gRPC, `--threads` concurrent clients standing in for
 * nr_threads, each a loop of its cases' Alloc and Free calls, reported in
 * the kernel's Summary lines and as ops/s per case. Against a running
 * vmapd (`--target`, loopback only), or one it starts itself (`--spawn`:
 * the built vmapd with `--store memory` on ephemeral 127.0.0.1 ports,
 * stopped by its pid). Bounded: `--duration` (after which every Alloc reads
 * as NULL and the cases free what they hold), `--loops`, and a deadline per
 * call.
 */
import { Command, Option } from 'commander';
import { intIn, isMain, secondsUpTo } from './lib/cli.js';
import type { MemInfo } from '../src/client/index.js';
import { makeVmapClient } from './lib/grpc.js';
import { startVmapd, stopAllServers, stopServerProcess, type ServerProcess } from './lib/server-process.js';
import { callErrorLines, checkLoopbackTarget, runKernelTestsOverGrpc, type GrpcRunResult } from './kernel/grpc-run.js';
import { KERNEL_DEFAULTS, clampParams, parseMask, type KernelParams } from './kernel/params.js';
import { CASES_LEGEND, allPassedButExpected, casesTable, paramsLine, skipLines, summaryLines } from './kernel/report.js';
import { messageOf } from '../src/vmap/errors.js';

/** test_loop_count unless --loops says otherwise: a gRPC call costs about a thousand times a model call. */
export const KERNEL_LOAD_LOOPS = 1000;

interface Opts {
  target: string;
  spawn: boolean;
  mask: number;
  threads: number;
  loops: number;
  nrPages: number;
  repeat: number;
  sequential: boolean;
  nrCpus: number;
  seed: number;
  duration: number;
  deadlineMs: number;
}

async function memInfo(target: string): Promise<MemInfo> {
  const client = makeVmapClient(target, 10000);
  try {
    await client.ready(10000);
    return await client.memInfo();
  } finally {
    client.close();
  }
}

async function purge(target: string): Promise<void> {
  const client = makeVmapClient(target, 10000);
  try {
    await client.ready(10000);
    await client.purge();
  } finally {
    client.close();
  }
}

function memInfoText(m: MemInfo): string {
  return `${m.nrAreas} busy areas, ${m.nrLazyAreas} lazy, ${m.vmallocUsedKb} kB used`;
}

/** Prints the report of `r`; true when it passed (align_shift_alloc_test's failure is the kernel's expectation). */
function printResult(r: GrpcRunResult): boolean {
  for (const line of summaryLines(r)) console.log(line);
  for (const line of callErrorLines(r)) console.log(line);
  console.log('');
  console.log(casesTable(r));
  console.log(CASES_LEGEND);
  if (r.stopped) console.log('\n--duration ran out: every Alloc after it read as NULL, so the cases still running failed and freed what they held');
  return allPassedButExpected(r) && !r.stopped;
}

async function run(o: Opts): Promise<number> {
  const params: KernelParams = clampParams({
    ...KERNEL_DEFAULTS,
    runTestMask: o.mask,
    nrThreads: o.threads,
    testLoopCount: o.loops,
    nrPages: o.nrPages,
    testRepeatCount: o.repeat,
    sequentialTestOrder: o.sequential,
    nrCpus: o.nrCpus,
    seed: o.seed,
  });
  let server: ServerProcess | undefined;
  try {
    let target = o.target;
    if (o.spawn) {
      server = await startVmapd({ readMode: 'snapshot', extraArgs: ['--store', 'memory'], httpThreads: 1 });
      target = server.grpc;
    }
    checkLoopbackTarget(target);
    console.log(`vmapd kernel tests (lib/test_vmalloc.c) over gRPC against ${target}${server === undefined ? '' : ` (vmapd pid ${server.pid}, --store memory, started here)`}`);
    console.log(`${paramsLine(params)}; the kernel's test_loop_count default is ${KERNEL_DEFAULTS.testLoopCount}`);
    console.log(`nr_threads ${params.nrThreads}: as many concurrent gRPC clients, each on its own connection; --duration ${o.duration} s, ${o.deadlineMs} ms per call`);
    console.log(`space before: ${memInfoText(await memInfo(target))}\n`);
    for (const line of skipLines(params.runTestMask)) console.log(line);
    const r = await runKernelTestsOverGrpc(target, params, { durationSec: o.duration, deadlineMs: o.deadlineMs });
    let ok = printResult(r);
    console.log(`\nspace after: ${memInfoText(await memInfo(target))}`);
    if (server !== undefined) {
      // Our own server: purge, and nothing may be left.
      await purge(target);
      const m = await memInfo(target);
      console.log(`after a Purge: ${memInfoText(m)}`);
      ok &&= m.nrAreas === 0 && m.nrLazyAreas === 0;
    }
    return ok ? 0 : 1;
  } finally {
    if (server !== undefined) await stopServerProcess(server);
  }
}

async function main(): Promise<void> {
  const cmd = new Command()
    .name('kernel-tests')
    .description("lib/test_vmalloc.c's cases against vmapd over gRPC, --threads concurrent clients; bounded by --duration, --loops and a deadline per call.")
    .addOption(new Option('--target <host:port>', 'vmapd gRPC address (loopback only)').default('127.0.0.1:50051'))
    .addOption(new Option('--spawn', 'start a vmapd of our own (dist/, --store memory, ephemeral 127.0.0.1 ports) and stop it by pid at the end').default(false))
    .addOption(new Option('--mask <n>', 'run_test_mask: bit i runs test_case_array[i] (decimal or 0x hex)').default(KERNEL_DEFAULTS.runTestMask).argParser(parseMask))
    .addOption(new Option('--threads <n>', 'nr_threads: concurrent gRPC clients').default(1).argParser(intIn(1, 256)))
    .addOption(new Option('--loops <n>', `test_loop_count (the kernel's default is ${KERNEL_DEFAULTS.testLoopCount})`).default(KERNEL_LOAD_LOOPS).argParser(intIn(1, 1_000_000)))
    .addOption(new Option('--nr-pages <n>', 'nr_pages of fix_size_alloc_test (0: 1 page)').default(0).argParser(intIn(0, 1 << 20)))
    .addOption(new Option('--repeat <n>', 'test_repeat_count').default(1).argParser(intIn(1, 100)))
    .addOption(new Option('--sequential', 'sequential_test_order: every worker runs the cases in test_case_array order').default(false))
    .addOption(new Option('--nr-cpus <n>', "num_online_cpus() of full_fit_alloc_test's junk (fls(n) x 32 MiB of one-page areas)").default(KERNEL_DEFAULTS.nrCpus).argParser(intIn(1, 4096)))
    .addOption(new Option('--seed <n>', 'seed of the workers\' random streams').default(1).argParser(intIn(0, 2 ** 31)))
    .addOption(new Option('-d, --duration <s>', 'seconds the cases may run (at most 3600)').default(600).argParser(secondsUpTo(3600)))
    .addOption(new Option('--deadline-ms <ms>', 'deadline of each call').default(10000).argParser(intIn(1, 600_000)));
  const o = cmd.parse().opts<Opts>();
  const stop = (): void => {
    void stopAllServers().then(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.exitCode = await run(o);
}

if (isMain(import.meta.url)) {
  main().catch(async (err: unknown) => {
    process.stderr.write(`kernel-tests: ${messageOf(err)}\n`);
    await stopAllServers();
    process.exit(1);
  });
}
