/**
 * Where the CPU went during a measurement: the server process's cores (from
 * /proc/<pid>/stat) and the whole machine's (from /proc/stat). On a 2-core
 * machine the server, autocannon and the writer processes share the same
 * cores, and these figures say whether a throughput was limited by the
 * server's one event loop or by the machine. Linux only; null elsewhere.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc times (USER_HZ, 100 on Linux everywhere that matters). */
const CLK_TCK = 100;

/** CPU seconds (user + system) used so far by process `pid`, or null when /proc is not there. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Busy and total CPU seconds of the whole machine so far, or null. */
function machineCpuSeconds(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: (total - idle) / CLK_TCK, total: total / CLK_TCK };
  } catch {
    return null;
  }
}

/** Cores used over a measurement. */
export interface CpuUse {
  /** Cores the server process used (1.0 = one core flat out). */
  readonly server: number | null;
  /** Cores busy on the whole machine, every process included. */
  readonly machine: number | null;
  /**
   * Cores of a second server that took part in the measurement without being
   * the one measured (vmapd serving the writers while the bare route is
   * flooded); absent when there was none.
   */
  readonly peer?: number | null;
}

/** Starts measuring `serverPid` (and `peerPid`, if given) and the machine; the returned function stops and reports. */
export function cpuMeter(serverPid: number, peerPid?: number): () => CpuUse {
  const t0 = process.hrtime.bigint();
  const s0 = processCpuSeconds(serverPid);
  const p0 = peerPid === undefined ? null : processCpuSeconds(peerPid);
  const m0 = machineCpuSeconds();
  return () => {
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const s1 = processCpuSeconds(serverPid);
    const p1 = peerPid === undefined ? null : processCpuSeconds(peerPid);
    const m1 = machineCpuSeconds();
    const round = (n: number): number => Math.round(n * 100) / 100;
    return {
      server: s0 === null || s1 === null ? null : round((s1 - s0) / wall),
      machine: m0 === null || m1 === null ? null : round((m1.busy - m0.busy) / wall),
      ...(peerPid === undefined ? {} : { peer: p0 === null || p1 === null ? null : round((p1 - p0) / wall) }),
    };
  };
}

/** Cores this process used since `start` (a process.cpuUsage() reading) over `wallSec`. */
export function selfCores(start: NodeJS.CpuUsage, wallSec: number): number {
  const u = process.cpuUsage(start);
  return Math.round(((u.user + u.system) / 1e6 / wallSec) * 100) / 100;
}

/** Cores of other work above which a measurement counts as disturbed. */
export const NOISE_CORES = 0.25;

/**
 * Cores used by neither the server(s) nor the load generators during a
 * measurement (another build, another test suite), or undefined.
 */
export function otherCores(c: CpuUse | undefined, clientCores: number | undefined): number | undefined {
  if (c === undefined || c.server === null || c.machine === null || clientCores === undefined || c.peer === null) return undefined;
  return Math.max(0, c.machine - c.server - (c.peer ?? 0) - clientCores);
}
