/**
 * The issues' targets, computed from what a compare run measured: issue 5's
 * three (the read path holding up under writes and with many areas),
 * issue 11's (readers on their own threads) and issue 13's (/meminfo
 * holding up while pages of the map are open). A figure that is missing, from
 * a failed step or from results.json of a run made before the figure
 * existed, gives null: "not measured", never a pass. Targets are reported,
 * never enforced: timing on a shared machine is no test.
 */
import { NOISE_CORES, otherCores, type CpuUse } from './cpu.js';
import { areas, ms, rate, threadsText } from './report-format.js';
import type { CompareResults, ScalingResult, ThreadsResult, UnderLoadResult } from './results.js';

/** What a target wants of its figure: at least the threshold, below it, or nothing (a figure to report). */
export type TargetGoal = 'at-least' | 'below' | 'none';

/** One target of an issue, with what was measured. */
export interface TargetResult {
  readonly name: string;
  readonly description: string;
  /** The issue that set it (absent in results from before issue 11: all of those are issue 5's). */
  readonly issue?: number;
  /** The measured figure, or null when a figure it needs is missing. */
  readonly measured: number | null;
  /** What `measured` is (absent: a ratio). */
  readonly unit?: 'ratio' | 'ms';
  /** The figures it comes from, e.g. "10,892 ÷ 22,138 req/s". */
  readonly detail?: string;
  /** Absent: at-least (all of issue 5's). */
  readonly goal?: TargetGoal;
  /** Null when the goal is none. */
  readonly threshold: number | null;
  /** Null when not measured or when there is no goal. */
  readonly pass: boolean | null;
  /** The measurements it uses that other work disturbed (more than NOISE_CORES cores), with how much. */
  readonly disturbed: string[];
}

/** `label (x.xx cores)` when other work took more than NOISE_CORES during that measurement. */
function noisy(label: string, c: CpuUse | undefined, clients: number | undefined): string[] {
  const o = otherCores(c, clients);
  return o !== undefined && o > NOISE_CORES ? [`${label} (${o.toFixed(2)} cores)`] : [];
}

const ratioOf = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined || b === 0 ? null : a / b);

interface Spec {
  readonly name: string;
  readonly issue: number;
  readonly description: string;
  readonly measured: number | null;
  readonly unit?: 'ratio' | 'ms';
  readonly detail?: string | undefined;
  readonly goal: TargetGoal;
  readonly threshold: number | null;
  readonly disturbed: string[];
}

function target(t: Spec): TargetResult {
  const pass =
    t.measured === null || t.goal === 'none' || t.threshold === null ? null : t.goal === 'below' ? t.measured < t.threshold : t.measured >= t.threshold;
  const { detail, ...rest } = t;
  return { ...rest, unit: t.unit ?? 'ratio', ...(detail === undefined || t.measured === null ? {} : { detail }), pass };
}

/** Every target, computed from what was measured; a missing figure gives null, never a pass. */
export function evaluateTargets(r: CompareResults): TargetResult[] {
  const areasUnderLoad = r.settings.areasUnderLoad;
  const snapLoad = r.underLoad.find((u) => u.mode === 'snapshot');
  const lockedLoad = r.underLoad.find((u) => u.mode === 'locked-walk');
  const rcuLoad = r.underLoad.find((u) => u.mode === 'rcu-walk');
  const snapScale = r.scaling.filter((s) => s.mode === 'snapshot');
  const smallest = snapScale.find((s) => s.areas === 1000) ?? snapScale[0];
  const largest = snapScale.find((s) => s.areas === 1_000_000) ?? snapScale[snapScale.length - 1];
  const bare = noisy('bare route', r.baselines.httpCpu, r.baselines.http?.clientCores);
  const underLoad = (u: UnderLoadResult | undefined): string[] =>
    u === undefined ? [] : noisy(`${u.mode} under write load`, u.cpu, u.meminfo.clientCores + u.writers.clientCores);
  const scaled = (x: ScalingResult | undefined): string[] => (x === undefined ? [] : noisy(`${x.mode} at ${x.areas} areas`, x.cpu, x.meminfo.clientCores));
  const reqs = (a: number | undefined, b: number | undefined): string | undefined => (a === undefined || b === undefined ? undefined : `${rate(a)} ÷ ${rate(b)} req/s`);
  const p99s = (a: number | undefined, b: number | undefined): string | undefined => (a === undefined || b === undefined ? undefined : `${ms(a)} ÷ ${ms(b)} ms`);

  const bareLoad = r.bareUnderLoad;
  const busy = r.writerBusy?.find((w) => w.mode === 'snapshot');
  const isoSnap = r.isolation.find((i) => i.mode === 'snapshot');
  const threads = r.threads ?? [];
  const counts = [...new Set(threads.map((t) => t.threads))].sort((a, b) => a - b);
  const lo = counts[0];
  const hi = counts[counts.length - 1];
  const quiet = (server: ThreadsResult['server'], n: number | undefined): ThreadsResult | undefined =>
    threads.find((t) => t.server === server && t.threads === n && t.load === 'none');
  const vLo = quiet('vmapd', lo);
  const vHi = quiet('vmapd', hi);
  const bHi = quiet('bare', hi);
  const threadNoise = (t: ThreadsResult | undefined): string[] => (t === undefined ? [] : noisy(`${t.server} on ${threadsText(t.threads)}`, t.cpu, t.meminfo.clientCores));
  const areasText = snapLoad?.areas ?? areasUnderLoad;
  const pg = r.pages;
  const pagesNoise = (label: string, m: NonNullable<typeof pg>['noPages'], pageCores = 0): string[] =>
    m === undefined ? [] : noisy(label, m.cpu, m.meminfo.clientCores + m.writers.clientCores + pageCores);

  return [
    target({
      name: 'snapshot-vs-bare-route',
      issue: 5,
      description: `snapshot /meminfo req/s under write load (${areasText} areas) ÷ bare fastify route req/s`,
      measured: ratioOf(snapLoad?.meminfo.reqPerSec, r.baselines.http?.reqPerSec),
      detail: reqs(snapLoad?.meminfo.reqPerSec, r.baselines.http?.reqPerSec),
      goal: 'at-least',
      threshold: 0.9,
      disturbed: [...underLoad(snapLoad), ...bare],
    }),
    target({
      name: 'snapshot-scaling',
      issue: 5,
      description: `snapshot /meminfo req/s at ${largest?.areas ?? 1_000_000} areas ÷ at ${smallest?.areas ?? 1000} areas`,
      measured: smallest === largest ? null : ratioOf(largest?.meminfo.reqPerSec, smallest?.meminfo.reqPerSec),
      detail: reqs(largest?.meminfo.reqPerSec, smallest?.meminfo.reqPerSec),
      goal: 'at-least',
      threshold: 0.95,
      disturbed: [...scaled(smallest), ...scaled(largest)],
    }),
    target({
      name: 'snapshot-p99-vs-locked-walk',
      issue: 5,
      description: `locked-walk /meminfo p99 ÷ snapshot p99, under write load (${areasText} areas)`,
      measured: ratioOf(lockedLoad?.meminfo.latency.p99, snapLoad?.meminfo.latency.p99),
      detail: p99s(lockedLoad?.meminfo.latency.p99, snapLoad?.meminfo.latency.p99),
      goal: 'at-least',
      threshold: 10,
      disturbed: [...underLoad(lockedLoad), ...underLoad(snapLoad)],
    }),
    target({
      name: 'snapshot-vs-bare-route-same-load',
      issue: 11,
      description:
        `snapshot /meminfo req/s under write load (${areasText} areas) ÷ bare fastify route req/s under the same write load` +
        (bareLoad === undefined ? '' : ` (route on ${threadsText(bareLoad.threads)})`),
      measured: ratioOf(snapLoad?.meminfo.reqPerSec, bareLoad?.meminfo.reqPerSec),
      detail: reqs(snapLoad?.meminfo.reqPerSec, bareLoad?.meminfo.reqPerSec),
      goal: 'at-least',
      threshold: 0.95,
      disturbed: [...underLoad(snapLoad), ...(bareLoad === undefined ? [] : noisy('bare route under write load', bareLoad.cpu, bareLoad.meminfo.clientCores + bareLoad.writers.clientCores))],
    }),
    target({
      name: 'snapshot-p99-writer-busy',
      issue: 11,
      description: `snapshot /meminfo p99 while AllocBatch calls of ${busy?.batches.batch ?? r.settings.batchAreas ?? 10000} areas keep the writer busy, ms`,
      measured: busy?.meminfo.latency.p99 ?? null,
      unit: 'ms',
      detail: busy === undefined ? undefined : `${busy.batches.opsPerSec.toFixed(1)} batches/s, ${busy.areasBefore} → ${busy.areasAfter} areas`,
      goal: 'below',
      threshold: 10,
      disturbed: busy === undefined ? [] : noisy('snapshot with AllocBatch', busy.cpu, busy.meminfo.clientCores + busy.batches.clientCores),
    }),
    target({
      name: 'snapshot-isolation',
      issue: 11,
      description: `snapshot: closed-loop writer ops/s with the /meminfo flood ÷ without (${isoSnap?.areas ?? areasUnderLoad} areas)`,
      measured: ratioOf(isoSnap?.withFlood.opsPerSec, isoSnap?.alone.opsPerSec),
      detail: isoSnap === undefined ? undefined : `${rate(isoSnap.withFlood.opsPerSec)} ÷ ${rate(isoSnap.alone.opsPerSec)} ops/s`,
      goal: 'at-least',
      threshold: 0.8,
      disturbed:
        isoSnap === undefined
          ? []
          : [
              ...noisy('snapshot writers alone', isoSnap.cpuAlone, isoSnap.alone.clientCores),
              ...noisy('snapshot writers with flood', isoSnap.cpuWithFlood, isoSnap.withFlood.clientCores + isoSnap.flood.clientCores),
            ],
    }),
    target({
      name: 'rcu-walk-p99-vs-locked-walk',
      issue: 11,
      description: `rcu-walk /meminfo p99 ÷ locked-walk p99, under write load (${areasText} areas); below 1: the walk no longer waits for the writer`,
      measured: ratioOf(rcuLoad?.meminfo.latency.p99, lockedLoad?.meminfo.latency.p99),
      detail: p99s(rcuLoad?.meminfo.latency.p99, lockedLoad?.meminfo.latency.p99),
      goal: 'none',
      threshold: null,
      disturbed: [...underLoad(rcuLoad), ...underLoad(lockedLoad)],
    }),
    target({
      name: 'http-threads-scaling',
      issue: 11,
      description: `snapshot /meminfo req/s, --http-threads ${hi ?? 2} ÷ --http-threads ${lo ?? 1}, no writers`,
      measured: lo === hi ? null : ratioOf(vHi?.meminfo.reqPerSec, vLo?.meminfo.reqPerSec),
      detail: reqs(vHi?.meminfo.reqPerSec, vLo?.meminfo.reqPerSec),
      goal: 'none',
      threshold: null,
      disturbed: [...threadNoise(vHi), ...threadNoise(vLo)],
    }),
    target({
      name: 'http-threads-vs-bare',
      issue: 11,
      description: `snapshot /meminfo req/s, --http-threads ${hi ?? 2} ÷ bare route on ${hi ?? 2} reusePort threads, no writers`,
      measured: ratioOf(vHi?.meminfo.reqPerSec, bHi?.meminfo.reqPerSec),
      detail: reqs(vHi?.meminfo.reqPerSec, bHi?.meminfo.reqPerSec),
      goal: 'none',
      threshold: null,
      disturbed: [...threadNoise(vHi), ...threadNoise(bHi)],
    }),
    target({
      name: 'meminfo-with-pages-open',
      issue: 13,
      description:
        `snapshot /meminfo req/s with ${pg?.pages ?? r.settings.pages ?? 10} pages of the live map open ÷ with none, ` +
        `writers at ${rate(r.settings.writeRate)}/s (${areas(pg?.areas ?? areasUnderLoad)} areas)`,
      measured: ratioOf(pg?.withPages?.meminfo.reqPerSec, pg?.noPages?.meminfo.reqPerSec),
      detail: reqs(pg?.withPages?.meminfo.reqPerSec, pg?.noPages?.meminfo.reqPerSec),
      goal: 'at-least',
      threshold: 0.95,
      disturbed: [...pagesNoise('no page open', pg?.noPages), ...pagesNoise('pages open', pg?.withPages, pg?.clients?.clientCores)],
    }),
  ];
}
