/**
 * Recovery time: from spawning vmapd on a data directory that holds N areas
 * (SQLite store) to its "vmapd listening" line, the median of a few runs,
 * two ways. After a crash (the rows): each such start is ended by SIGKILL,
 * so no area image is written, but the last, which is stopped cleanly and
 * so writes one. After a clean stop (the area image): each start reads it
 * and is stopped cleanly. Each directory is built once (recovery-data.ts);
 * after each start /meminfo must count every area, busy and lazy, and the
 * image must be there or not as the kind of start says, or the figure is
 * refused. 127.0.0.1 only; every vmapd is stopped by its pid.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVmapd, stopServerProcess, vmapdHelp, type ServerProcess } from '../lib/server-process.js';
import { buildRecoveryData } from './recovery-data.js';
import { IMAGE_FILE } from '../../src/store/sqlite-schema.js';

/** Starts timed per area count unless told otherwise. */
const DEFAULT_RUNS = 3;
/** Heap for vmapd: 1M areas need more than the default on small machines (as bench-durable gives it). */
const MAX_OLD_SPACE_MB = 4096;

/** The recovery figures of one area count. */
export interface RecoveryFigures {
  readonly areas: number;
  /** Of which lazily freed. */
  readonly lazy: number;
  /** Spawn to "vmapd listening" after a clean stop (read from the area image): median of the runs, and every run. */
  readonly medianMs: number;
  readonly runsMs: readonly number[];
  /** The same after a crash (read from the rows). */
  readonly rowsMedianMs: number;
  readonly rowsRunsMs: readonly number[];
  /** Building the data directory (not part of the figure). */
  readonly buildMs: number;
}

/** What benchRecovery takes beyond the counts. */
export interface RecoveryOptions {
  /** Timed starts per count (default 3). */
  readonly runs?: number;
  /** `--http-threads` of the timed vmapd (default: vmapd's own default for this machine). */
  readonly httpThreads?: number;
  /** Told of each run as it ends. */
  readonly onRun?: (areas: number, ms: number, from: 'image' | 'rows') => void;
}

/** The meminfo JSON fields the check reads. */
interface MeminfoCounts {
  readonly nr_areas: number;
  readonly nr_lazy_areas: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Throws unless `server`'s /meminfo counts `areas` areas, `lazy` of them lazy. */
async function checkCounts(server: ServerProcess, areas: number, lazy: number): Promise<void> {
  const res = await fetch(`${server.httpUrl}/meminfo?format=json`, { signal: AbortSignal.timeout(10000) });
  if (!res.ok) throw new Error(`/meminfo answered ${res.status}`);
  const m = (await res.json()) as MeminfoCounts;
  if (m.nr_areas + m.nr_lazy_areas !== areas || m.nr_lazy_areas !== lazy) {
    throw new Error(`vmapd recovered ${m.nr_areas} busy and ${m.nr_lazy_areas} lazy areas, not ${areas - lazy} and ${lazy}`);
  }
}

/** Times one start of vmapd on `dir`, checks what it recovered, and stops it with `stop`. */
async function timedStart(dir: string, areas: number, lazy: number, httpThreads: number | undefined, stop: 'SIGTERM' | 'SIGKILL'): Promise<number> {
  const t0 = performance.now();
  const server = await startVmapd({ readMode: 'snapshot', extraArgs: ['--data-dir', dir], maxOldSpaceMb: MAX_OLD_SPACE_MB, ...(httpThreads === undefined ? {} : { httpThreads }) });
  const ms = performance.now() - t0;
  let code: number | string | null;
  try {
    await checkCounts(server, areas, lazy);
  } finally {
    code = await stopServerProcess(server, 15000, stop);
  }
  if (stop === 'SIGTERM' && code !== 0) throw new Error(`vmapd did not stop cleanly (${String(code)}): ${server.stderrTail()}`);
  return ms;
}

/**
 * For each count: builds a data directory holding that many areas, starts
 * vmapd on it `runs` times as after a crash and `runs` times as after a
 * clean stop, and returns the median spawn-to-listening time of each.
 */
export async function benchRecovery(counts: readonly number[], options: RecoveryOptions = {}): Promise<RecoveryFigures[]> {
  const runs = options.runs ?? DEFAULT_RUNS;
  // startVmapd asks the build for its options once: not inside a timed start.
  await vmapdHelp();
  const out: RecoveryFigures[] = [];
  for (const n of counts) {
    const dir = mkdtempSync(join(tmpdir(), 'vmapd-recovery-'));
    const image = join(dir, IMAGE_FILE);
    try {
      const data = await buildRecoveryData(dir, n);
      const time = async (from: 'image' | 'rows', stop: 'SIGTERM' | 'SIGKILL'): Promise<number> => {
        if (existsSync(image) !== (from === 'image')) throw new Error(`a start from the ${from} found ${existsSync(image) ? 'an' : 'no'} area image`);
        const ms = await timedStart(dir, n, data.lazy, options.httpThreads, stop);
        options.onRun?.(n, ms, from);
        return ms;
      };
      // The build writes no image, and a SIGKILL leaves none; the last start from the rows is stopped cleanly and writes it.
      const rowsRunsMs: number[] = [];
      for (let r = 0; r < runs; r++) rowsRunsMs.push(await time('rows', r === runs - 1 ? 'SIGTERM' : 'SIGKILL'));
      const runsMs: number[] = [];
      for (let r = 0; r < runs; r++) runsMs.push(await time('image', 'SIGTERM'));
      out.push({ areas: n, lazy: data.lazy, medianMs: median(runsMs), runsMs, rowsMedianMs: median(rowsRunsMs), rowsRunsMs, buildMs: data.ms });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}
