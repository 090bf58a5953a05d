/**
 * The shape of results.json: everything one `compare` run measured, with the
 * settings and the machine's state, so a report can be re-rendered from it
 * and two runs can be compared.
 */
import type { FloodResult } from '../meminfo-flood.js';
import type { WritersResult } from '../writers.js';
import { NOISE_CORES, otherCores, type CpuUse } from './cpu.js';
import type { PrefillResult } from './prefill.js';

/** A read mode of vmapd. */
export type Mode = 'locked-walk' | 'rcu-walk' | 'snapshot';

/** The settings of one compare run. */
export interface CompareSettings {
  /** Seconds per measurement. */
  readonly durationSec: number;
  /** Seconds of unrecorded load before each measurement (JIT warm-up). */
  readonly warmupSec: number;
  readonly modes: readonly Mode[];
  /** Live areas for the under-write-load and isolation phases. */
  readonly areasUnderLoad: number;
  /** Live-area counts of the scaling phase, ascending. */
  readonly sizes: readonly number[];
  readonly connections: number;
  readonly pipelining: number;
  readonly procs: number;
  readonly clients: number;
  readonly channelsPerProc: number;
  /** Ops/s the writers offer in the read-modes phase (a busy allocator, not a saturated one). */
  readonly writeRate: number;
  readonly seed: number;
  readonly quick: boolean;
  /** Extra vmapd arguments used (e.g. --store memory). */
  readonly vmapdArgs: readonly string[];
}

/** The machine and its load while the run went. */
export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memGiB: number;
  /** 1-minute load averages sampled before each measurement: other work on the machine shows here. */
  readonly loadavg: { readonly at: string; readonly load1: number }[];
  readonly gitCommit: string;
}

/** The ceilings. */
export interface Baselines {
  /** Bytes of vmapd's /meminfo text body that the bare route copies. */
  readonly bodyBytes: number;
  /** Bare fastify route, flooded like /meminfo. */
  readonly http?: FloodResult;
  /** Bare grpc-js Echo, closed loop like the isolation phase's writers. */
  readonly grpc?: WritersResult;
  /** Bare grpc-js Echo at the read-modes phase's offered rate. */
  readonly grpcRated?: WritersResult;
  /** CPU during the bare-route and closed-loop echo measurements. */
  readonly httpCpu?: CpuUse;
  readonly grpcCpu?: CpuUse;
}

/** Phase 2: /meminfo flooded while writers run at a fixed offered rate. */
export interface UnderLoadResult {
  readonly mode: Mode;
  readonly areas: number;
  readonly prefill?: PrefillResult;
  readonly meminfo: FloodResult;
  readonly writers: WritersResult;
  readonly cpu: CpuUse;
}

/** Phase 3: /meminfo flooded with no writers, at one live-area count. */
export interface ScalingResult {
  readonly mode: Mode;
  readonly areas: number;
  readonly meminfo: FloodResult;
  readonly cpu: CpuUse;
}

/** Phase 4: closed-loop writers alone, then with the flood. */
export interface IsolationResult {
  readonly mode: Mode;
  readonly areas: number;
  readonly alone: WritersResult;
  readonly withFlood: WritersResult;
  readonly flood: FloodResult;
  readonly cpuAlone: CpuUse;
  readonly cpuWithFlood: CpuUse;
}

/** One target of the issue, with what was measured. */
export interface TargetResult {
  readonly name: string;
  readonly description: string;
  /** The measured ratio, or null when a figure it needs is missing. */
  readonly measured: number | null;
  readonly threshold: number;
  readonly pass: boolean | null;
  /** The measurements it uses that other work disturbed (more than NOISE_CORES cores), with how much. */
  readonly disturbed: string[];
}

/** results.json. */
export interface CompareResults {
  readonly startedAt: string;
  finishedAt: string;
  readonly settings: CompareSettings;
  readonly machine: MachineInfo;
  baselines: Baselines;
  readonly underLoad: UnderLoadResult[];
  readonly scaling: ScalingResult[];
  readonly isolation: IsolationResult[];
  targets: TargetResult[];
  /** Steps that failed, with why; the run goes on without them. */
  readonly failures: { readonly step: string; readonly error: string }[];
}

/** The three targets, computed from what was measured; a missing figure gives null, never a pass. */
export function evaluateTargets(r: CompareResults): TargetResult[] {
  const snapLoad = r.underLoad.find((u) => u.mode === 'snapshot');
  const lockedLoad = r.underLoad.find((u) => u.mode === 'locked-walk');
  const snapScale = r.scaling.filter((s) => s.mode === 'snapshot');
  const smallest = snapScale.find((s) => s.areas === 1000) ?? snapScale[0];
  const largest = snapScale.find((s) => s.areas === 1_000_000) ?? snapScale[snapScale.length - 1];
  const ratio = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined || b === 0 ? null : a / b);
  /** `label (x.xx cores)` when other work took more than NOISE_CORES during that measurement. */
  const noisy = (label: string, c: CpuUse | undefined, clients: number | undefined): string[] => {
    const o = otherCores(c, clients);
    return o !== undefined && o > NOISE_CORES ? [`${label} (${o.toFixed(2)} cores)`] : [];
  };
  const target = (name: string, description: string, measured: number | null, threshold: number, disturbed: string[]): TargetResult => ({
    name,
    description,
    measured,
    threshold,
    pass: measured === null ? null : measured >= threshold,
    disturbed,
  });
  const bare = noisy('bare route', r.baselines.httpCpu, r.baselines.http?.clientCores);
  const underLoad = (u: UnderLoadResult | undefined): string[] =>
    u === undefined ? [] : noisy(`${u.mode} under write load`, u.cpu, u.meminfo.clientCores + u.writers.clientCores);
  const scaled = (x: ScalingResult | undefined): string[] => (x === undefined ? [] : noisy(`${x.mode} at ${x.areas} areas`, x.cpu, x.meminfo.clientCores));
  return [
    target(
      'snapshot-vs-bare-route',
      `snapshot /meminfo req/s under write load (${snapLoad?.areas ?? r.settings.areasUnderLoad} areas) ÷ bare fastify route req/s`,
      ratio(snapLoad?.meminfo.reqPerSec, r.baselines.http?.reqPerSec),
      0.9,
      [...underLoad(snapLoad), ...bare],
    ),
    target(
      'snapshot-scaling',
      `snapshot /meminfo req/s at ${largest?.areas ?? 1_000_000} areas ÷ at ${smallest?.areas ?? 1000} areas`,
      smallest === largest ? null : ratio(largest?.meminfo.reqPerSec, smallest?.meminfo.reqPerSec),
      0.95,
      [...scaled(smallest), ...scaled(largest)],
    ),
    target(
      'snapshot-p99-vs-locked-walk',
      `locked-walk /meminfo p99 ÷ snapshot p99, under write load (${snapLoad?.areas ?? r.settings.areasUnderLoad} areas)`,
      ratio(lockedLoad?.meminfo.latency.p99, snapLoad?.meminfo.latency.p99),
      10,
      [...underLoad(lockedLoad), ...underLoad(snapLoad)],
    ),
  ];
}
