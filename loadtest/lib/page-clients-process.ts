/**
 * Simulated pages in a child process of their own (page-clients.js,
 * forked with an IPC channel), so that their JavaScript does not share an
 * event loop with the load generator's: what compare's phase 7 runs. Every
 * child is killed by its pid if it has not reported in time.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { LOADTEST_DIST } from './paths.js';
import { DEFAULT_MAP_BUCKETS, type PageClientsOptions, type PageClientsResult } from '../page-clients.js';

/** compare waits at most this long for every page to open. */
const READY_TIMEOUT_MS = 20_000;

/** Messages between compare and a page-clients child process. */
export type ChildMessage = { type: 'ready'; opened: number } | { type: 'done'; result: PageClientsResult } | { type: 'failed'; error: string };

/** Every page-clients process running, so an interrupted run can stop them by pid. */
const running = new Set<ChildProcess>();

/** Kills every page-clients process still running (SIGKILL by pid): for an interrupted run. */
export function stopAllPageClients(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }
  running.clear();
}

/** Pages running in a child process. */
export interface PageClientsProcess {
  /** Resolves once every page has its history (with how many do). */
  readonly ready: Promise<number>;
  /** Resolves with the figures once the pages stop. */
  readonly done: Promise<PageClientsResult>;
  /** Stops the pages now (they stop by themselves at durationSec). */
  stop(): void;
}

/**
 * Runs the pages in a child process of their own (this script, compiled),
 * killed by its pid if it has not reported within its duration and a margin.
 */
export function runPageClientsProcess(options: Omit<PageClientsOptions, 'onReady' | 'signal'>): PageClientsProcess {
  const args = ['--url', options.url, '--pages', String(options.pages), '--duration', String(options.durationSec), '--buckets', String(options.mapBuckets ?? DEFAULT_MAP_BUCKETS), '--ipc'];
  const child = fork(join(LOADTEST_DIST, 'page-clients.js'), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  running.add(child);
  const exited = once(child, 'exit');
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  };
  const limitMs = options.durationSec * 1000 + 30_000;
  let onReady: (n: number) => void = () => undefined;
  let onFail: (err: Error) => void = () => undefined;
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`page clients: not every page open within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    onReady = (n) => {
      clearTimeout(timer);
      resolve(n);
    };
    onFail = (err) => {
      clearTimeout(timer);
      reject(err);
    };
  });
  // Handled here too: a failure after the caller stopped waiting for it is the done promise's to report.
  ready.catch(() => undefined);
  const done = new Promise<PageClientsResult>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`page-clients process ${child.pid} sent no result within ${limitMs} ms`)), limitMs);
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') onReady(m.opened);
      else if (m.type === 'done') resolve(m.result);
      else reject(new Error(`page clients: ${m.error}`));
    });
    void exited.then(([code, signal]) => reject(new Error(`page-clients process ${child.pid} exited (${signal ?? code}) without a result`)));
    // Whatever happened, the child is gone afterwards.
    void exited.finally(() => clearTimeout(timer));
  }).finally(async () => {
    kill();
    await exited;
    running.delete(child);
  });
  done.catch((err: Error) => onFail(err));
  return { ready, done, stop: () => child.connected && child.send({ type: 'stop' }) };
}
