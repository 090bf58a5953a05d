/** The machine a compare run measures on, recorded with its results so that two runs can be told apart. */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { PROJECT_ROOT } from '../lib/paths.js';
import type { MachineInfo } from '../lib/results.js';

/** The checked-out commit, or 'unknown' outside a git checkout (a Docker image has none). */
function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** Node, platform, CPUs, memory and commit; the load samples are added as the run goes. */
export function machineInfo(): MachineInfo {
  return {
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memGiB: Math.round(totalmem() / 2 ** 30),
    loadavg: [],
    gitCommit: gitCommit(),
  };
}

/** The 1-minute load average now, rounded to hundredths, as a sample labelled `at`. */
export function loadSample(at: string): { at: string; load1: number } {
  return { at, load1: Math.round(loadavg()[0]! * 100) / 100 };
}
