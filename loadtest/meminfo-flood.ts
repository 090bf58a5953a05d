#!/usr/bin/env node
/**
 * meminfo-flood: autocannon against /meminfo, the monitoring loop of the seed
 * thread turned up to eleven. Bounded by time and by a request count;
 * loopback only (or an explicitly allowed compose service name). Latency is
 * taken from each response in microseconds, not from autocannon's
 * whole-millisecond histogram.
 */
import autocannon from 'autocannon';
import { Command, Option } from 'commander';
import { hostOptions, hostPort, intIn, isMain, secondsUpTo } from './lib/cli.js';
import { selfCores } from './lib/cpu.js';
import { newHistogram, recordMs, summarize, type LatencySummary } from './lib/histogram.js';
import { checkTargetHost } from './lib/target.js';
import { messageOf } from '../src/vmap/errors.js';

/** What one flood does. */
export interface FloodOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 (its host must pass the target policy). */
  readonly url: string;
  /** Path to request. */
  readonly path?: string;
  readonly connections: number;
  readonly pipelining: number;
  readonly durationSec: number;
  /** Stop after this many responses even if time is left. */
  readonly maxRequests: number;
  /** Per-request timeout, seconds. */
  readonly timeoutSec?: number;
  /** Non-loopback host allowed (compose service name), if any. */
  readonly allowHost?: string;
}

/** What one flood measured. */
export interface FloodResult {
  readonly url: string;
  readonly connections: number;
  readonly pipelining: number;
  /** Wall time of the run, seconds (autocannon's own measure). */
  readonly durationSec: number;
  /** 2xx responses. */
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** 2xx responses per second. */
  readonly reqPerSec: number;
  /** Bytes of the last 2xx response (headers included), to compare body sizes. */
  readonly responseBytes: number;
  /** Latency of 2xx responses, ms. */
  readonly latency: LatencySummary;
  /** Cores the flooding process used (autocannon runs in it). */
  readonly clientCores: number;
}

/** Floods `options.url + path` and resolves with what it measured. */
export async function runFlood(options: FloodOptions): Promise<FloodResult> {
  const target = new URL(options.path ?? '/meminfo', options.url);
  checkTargetHost(target.hostname, options.allowHost);
  const hist = newHistogram();
  let ok = 0;
  let responseBytes = 0;
  const cpu0 = process.cpuUsage();
  let instance: autocannon.Instance | undefined;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    // The callback form returns the instance, whose events give per-response timings.
    instance = autocannon(
      {
        url: target.href,
        connections: options.connections,
        pipelining: options.pipelining,
        duration: options.durationSec,
        timeout: options.timeoutSec ?? 10,
      },
      (err: unknown, res: autocannon.Result) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(res)),
    );
    instance.on('response', (_client: unknown, statusCode: number, resBytes: number, responseTime: number) => {
      // Only 2xx count: an error page would be a cheaper, wrong measurement.
      if (statusCode < 200 || statusCode >= 300) return;
      ok++;
      responseBytes = resBytes;
      recordMs(hist, responseTime);
      if (ok === options.maxRequests) instance?.stop();
    });
  });
  const durationSec = result.duration > 0 ? result.duration : options.durationSec;
  return {
    url: target.href,
    connections: options.connections,
    pipelining: options.pipelining,
    durationSec,
    ok,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    reqPerSec: ok / durationSec,
    responseBytes,
    latency: summarize(hist),
    clientCores: selfCores(cpu0, durationSec),
  };
}

/** One line for a terminal. */
export function formatFlood(r: FloodResult): string {
  const l = r.latency;
  return (
    `${r.url}: ${Math.round(r.reqPerSec)} req/s over ${r.durationSec}s (${r.connections} connections, pipelining ${r.pipelining}); ` +
    `latency ms p50 ${l.p50} p99 ${l.p99} p99.9 ${l.p999} max ${l.max}; non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}`
  );
}

async function main(): Promise<void> {
  const cmd = new Command()
    .name('meminfo-flood')
    .description('Flood vmapd /meminfo with autocannon; bounded by --duration and --max-requests.')
    .addOption(new Option('--http-port <port>', 'vmapd HTTP port').env('LOADTEST_HTTP_PORT').default(8080).argParser(intIn(1, 65535)))
    .addOption(new Option('--path <path>', 'path to request').default('/meminfo'))
    .addOption(new Option('-c, --connections <n>', 'concurrent connections').default(10).argParser(intIn(1, 1000)))
    .addOption(new Option('-p, --pipelining <n>', 'requests in flight per connection').default(1).argParser(intIn(1, 100)))
    .addOption(new Option('-d, --duration <s>', 'seconds to run (at most 3600)').env('LOADTEST_DURATION').default(10).argParser(secondsUpTo(3600)))
    .addOption(new Option('--max-requests <n>', 'stop after this many responses').default(50_000_000).argParser(intIn(1, 1_000_000_000)))
    .addOption(new Option('--json', 'print the result as JSON'));
  for (const o of hostOptions()) cmd.addOption(o);
  const o = cmd.parse().opts<{ host: string; allowHost?: string; httpPort: number; path: string; connections: number; pipelining: number; duration: number; maxRequests: number; json?: boolean }>();
  checkTargetHost(o.host, o.allowHost);
  const result = await runFlood({
    url: `http://${hostPort(o.host, o.httpPort)}`,
    path: o.path,
    connections: o.connections,
    pipelining: o.pipelining,
    durationSec: o.duration,
    maxRequests: o.maxRequests,
    allowHost: o.allowHost,
  });
  process.stdout.write((o.json ? JSON.stringify(result, null, 2) : formatFlood(result)) + '\n');
}

if (isMain(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`meminfo-flood: ${messageOf(err)}\n`);
    process.exit(1);
  });
}
