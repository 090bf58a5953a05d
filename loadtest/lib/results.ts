/**
 * The shape of results.json: everything one `compare` run measured, with the
 * settings and the machine's state, so a report can be re-rendered from it
 * and two runs can be compared.
 */
import type { FloodResult } from '../meminfo-flood.js';
import type { PageClientsResult } from '../page-clients.js';
import type { WritersResult } from '../writers.js';
import type { CpuUse } from './cpu.js';
import type { PrefillResult } from './prefill.js';
import type { TargetResult } from './targets.js';

/** A read mode of vmapd. */
export type Mode = 'locked-walk' | 'rcu-walk' | 'snapshot';

/**
 * The phases compare can run (`--phases`), in the order they run: load
 * (phases 2, 4 and 5, which share a server per read mode), scaling (3),
 * threads (6), pages (7), baselines (1).
 */
export type PhaseName = 'load' | 'scaling' | 'threads' | 'pages' | 'baselines';
export const PHASE_NAMES: readonly PhaseName[] = ['load', 'scaling', 'threads', 'pages', 'baselines'];

/** Whether a run with settings `s` ran phase `p` (every phase, in results from before --phases). */
export function phaseRan(s: CompareSettings, p: PhaseName): boolean {
  return s.phases === undefined || s.phases.includes(p);
}

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
  /**
   * `--http-threads` of every vmapd of phases 2 to 5; null when the build
   * has no such option (HTTP on the writer's event loop); absent in results
   * from before reader threads (issue 11).
   */
  readonly httpThreads?: number | null;
  /** The `--http-threads` counts compared in phase 6 (absent before issue 11). */
  readonly threadCounts?: readonly number[];
  /** Areas per AllocBatch in phase 5 (absent before issue 11). */
  readonly batchAreas?: number;
  /** The phases run (absent: every phase, as in every run before --phases). */
  readonly phases?: readonly PhaseName[];
  /** Simulated open pages of the live map in phase 7 (absent before phase 7). */
  readonly pages?: number;
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

/**
 * Phase 2, beside snapshot: the bare fastify route flooded while the same
 * writers, at the same offered rate, write to the same vmapd, so the machine
 * is as busy as when /meminfo is flooded. The ceiling of issue 11's target.
 */
export interface BareUnderLoadResult {
  /** Threads of the bare route: the same as vmapd's HTTP threads (0: the main thread of a process without reader threads). */
  readonly threads: number;
  /** Live areas of the vmapd the writers write to. */
  readonly areas: number;
  /** The flood of the bare route. */
  readonly meminfo: FloodResult;
  /** The writers, against vmapd. */
  readonly writers: WritersResult;
  /** server: the bare route's process; peer: vmapd. */
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


/**
 * Phase 5: /meminfo flooded while AllocBatch calls of `batch` areas, back to
 * back, keep vmapd's writer busy (on the phase 2 server, after phase 4).
 */
export interface WriterBusyResult {
  readonly mode: Mode;
  /** Live areas when the measured window began (the warm-up's batches included). */
  readonly areasBefore: number;
  /** Live areas when it ended. */
  readonly areasAfter: number;
  readonly meminfo: FloodResult;
  /** The AllocBatch loop: ops are batches, allocs areas, latency per batch. */
  readonly batches: WritersResult;
  readonly cpu: CpuUse;
}

/**
 * Phase 6: one server at one thread count, flooded with no writers or while
 * writers at the offered rate write to vmapd.
 */
export interface ThreadsResult {
  /** vmapd in snapshot mode with --http-threads `threads`, or the bare route on `threads` reusePort threads. */
  readonly server: 'vmapd' | 'bare';
  readonly threads: number;
  /** Live areas of vmapd (the bare route's writers write to that vmapd). */
  readonly areas: number;
  readonly load: 'none' | 'writers';
  readonly meminfo: FloodResult;
  readonly writers?: WritersResult;
  /** server: the flooded process; peer (with writers, for the bare route): vmapd. */
  readonly cpu: CpuUse;
}

/** One /meminfo measurement of phase 7: the flood while writers at the offered rate write. */
export interface PagesMeasurement {
  readonly meminfo: FloodResult;
  readonly writers: WritersResult;
  /** server: vmapd. */
  readonly cpu: CpuUse;
}

/**
 * Phase 7: vmapd (snapshot) with `areas` live areas, writers at the offered
 * rate, /meminfo flooded with no page of the live map open, then with
 * `pages` simulated pages open (each reading /v1/events and fetching
 * /v1/map on new generations). Either measurement is absent when its step
 * failed.
 */
export interface PagesResult {
  readonly areas: number;
  readonly pages: number;
  readonly mapBuckets: number;
  readonly noPages?: PagesMeasurement;
  readonly withPages?: PagesMeasurement;
  /** The pages, over the warm-up and measurement with them open. */
  readonly clients?: PageClientsResult;
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
  /** Phase 2's bare route under the same write load (absent before issue 11, or when it failed). */
  bareUnderLoad?: BareUnderLoadResult;
  /** Phase 5 (absent before issue 11). */
  readonly writerBusy?: WriterBusyResult[];
  /** Phase 6 (absent before issue 11). */
  readonly threads?: ThreadsResult[];
  /** Phase 7 (absent before it existed, or when it was not run). */
  pages?: PagesResult;
  targets: TargetResult[];
  /** Steps that failed, with why; the run goes on without them. */
  readonly failures: { readonly step: string; readonly error: string }[];
}
