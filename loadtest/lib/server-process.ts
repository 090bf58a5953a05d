/**
 * Servers under test run as child processes, as in production: one process
 * with its own event loop, measured from outside. Each is started on
 * ephemeral 127.0.0.1 ports, reports them in a JSON log line, and is stopped
 * by its pid (SIGTERM, then SIGKILL after a grace period).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { createInterface } from 'node:readline';
import { VMAPD_CLI } from './paths.js';

/** A server child process and where it listens. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** gRPC target, host:port. */
  readonly grpc: string;
  /** HTTP base URL. */
  readonly httpUrl: string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string | null>;
  /** The last lines of its stderr, for error messages. */
  stderrTail(): string;
  /** Its JSON log lines up to and with the ready line. */
  readonly startupLog: readonly Record<string, unknown>[];
}

/** Every server started and not yet stopped, so an interrupted run can stop them all by pid. */
const running = new Set<ServerProcess>();

/**
 * Runs `node script ...args` and waits (at most `timeoutMs`) for the JSON log
 * line whose msg is `readyMsg` and which carries `grpc` and `http` as
 * "host:port" (the shape of vmapd's "vmapd listening" line).
 */
export async function startServerProcess(script: string, args: readonly string[], readyMsg: string, timeoutMs = 20000, nodeArgs: readonly string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`cannot start ${script}`);
  const exited = once(child, 'exit').then(([code, signal]) => (code as number | null) ?? (signal as string | null));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const lines = createInterface({ input: child.stdout! });
  const startupLog: Record<string, unknown>[] = [];
  const addrs = await new Promise<{ grpc: string; http: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not report "${readyMsg}" within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before listening: ${stderr}`));
    });
    lines.on('line', (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (startupLog.at(-1)?.msg !== readyMsg) startupLog.push(entry);
      if (entry.msg === readyMsg) {
        clearTimeout(timer);
        resolve({ grpc: String(entry.grpc), http: String(entry.http) });
      }
    });
  });
  // Keep draining stdout so a chatty server never blocks on a full pipe.
  lines.on('line', () => undefined);
  const server: ServerProcess = {
    child,
    pid: child.pid,
    grpc: addrs.grpc,
    httpUrl: `http://${addrs.http}`,
    exited,
    stderrTail: () => stderr,
    startupLog,
  };
  running.add(server);
  return server;
}

/** Stops `server` by its pid: `signal` (SIGTERM; SIGKILL for a crash), then SIGKILL if it is still there after `graceMs`. */
export async function stopServerProcess(server: ServerProcess, graceMs = 15000, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<number | string | null> {
  running.delete(server);
  if (server.child.exitCode === null && server.child.signalCode === null) {
    process.kill(server.pid, signal);
    const timer = setTimeout(() => {
      if (server.child.exitCode === null && server.child.signalCode === null) process.kill(server.pid, 'SIGKILL');
    }, graceMs);
    const code = await server.exited;
    clearTimeout(timer);
    return code;
  }
  return server.exited;
}

/** Stops every server still running (on an interrupted or failed run). */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...running].map((s) => stopServerProcess(s, 5000)));
}

/** Options of a vmapd child. */
export interface VmapdOptions {
  readonly readMode: 'locked-walk' | 'rcu-walk' | 'snapshot';
  /** Extra arguments, e.g. `--store memory` when the build has that option. */
  readonly extraArgs?: readonly string[];
  /** V8 heap limit in MB: 1M areas need more than the default on small machines. */
  readonly maxOldSpaceMb?: number;
  /** `--http-threads` (default: defaultHttpThreads()); a build without the option gets none. */
  readonly httpThreads?: number;
}

/** vmapd's own default for --http-threads: one reader thread per core but the writer's, at least 1. */
export function defaultHttpThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Whether the built vmapd has --http-threads (reader threads, issue 11). */
export async function vmapdHasHttpThreads(): Promise<boolean> {
  return (await vmapdHelp()).includes('--http-threads');
}

/**
 * Starts the built vmapd on ephemeral 127.0.0.1 ports in `readMode`, logging
 * warnings only. Every vmapd gets an explicit --http-threads when the build
 * has it, so a figure never depends on the machine's core count unawares.
 */
export async function startVmapd(options: VmapdOptions): Promise<ServerProcess> {
  const threads = (await vmapdHasHttpThreads()) ? ['--http-threads', String(options.httpThreads ?? defaultHttpThreads())] : [];
  const args = ['--host', '127.0.0.1', '--grpc-port', '0', '--http-port', '0', '--read-mode', options.readMode, ...threads, ...(options.extraArgs ?? [])];
  const nodeArgs = options.maxOldSpaceMb === undefined ? [] : [`--max-old-space-size=${options.maxOldSpaceMb}`];
  // info level: the "vmapd listening" line is an info line; vmapd logs no line per request.
  return startServerProcess(VMAPD_CLI, [...args, '--log-level', 'info'], 'vmapd listening', 20000, nodeArgs);
}

let helpText: Promise<string> | undefined;

/** The built vmapd's --help text (read once per process): tells which options this build has (e.g. --store). */
export function vmapdHelp(): Promise<string> {
  helpText ??= readHelp();
  return helpText;
}

async function readHelp(): Promise<string> {
  const child = spawn(process.execPath, [VMAPD_CLI, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
  await once(child, 'exit');
  clearTimeout(timer);
  return out;
}
