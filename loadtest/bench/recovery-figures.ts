/**
 * Recovery time: from spawning vmapd on a data directory that holds N areas
 * (SQLite store) to its "vmapd listening" line, the median of a few runs,
 * three ways:
 * - after a clean stop: the area image is the table as it is;
 * - after a crash: the image, and CHANGED_SHARE of the areas changed after
 *   it (new areas and lazy frees), as a vmapd that ran on after its last
 *   image and was killed leaves the directory;
 * - with no image (a database from before images, or one whose image is
 *   refused): every row.
 * Each directory is built once (recovery-data.ts) and each start of the
 * last two kinds runs on a fresh copy of it (the start writes a new image).
 * After each start /meminfo must count every area, busy and lazy, and the
 * store must say it read what the kind of start says, or the figure is
 * refused. 127.0.0.1 only; every vmapd is stopped by its pid.
 */
import { closeSync, cpSync, existsSync, fsyncSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVmapd, stopServerProcess, vmapdHelp, type ServerProcess } from '../lib/server-process.js';
import { buildRecoveryData } from './recovery-data.js';
import { IMAGE_FILE } from '../../src/store/sqlite-schema.js';

/** Starts timed per area count unless told otherwise. */
const DEFAULT_RUNS = 3;
/** Of the areas, the share changed after the image in the crash kind. */
export const CHANGED_SHARE = 0.05;
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
  /** Rows changed after the image in the crash kind. */
  readonly changed: number;
  /** The same after a crash (the image and the rows changed since). */
  readonly crashMedianMs: number;
  readonly crashRunsMs: readonly number[];
  /** The same with no image (every row). */
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
  readonly onRun?: (areas: number, ms: number, kind: StartKind) => void;
}

/** What a timed start finds in the directory. */
export type StartKind = 'clean stop' | 'crash' | 'no image';

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

/** `from` copied to a new `to`, on disk before this returns: the copy's writeback never overlaps a timed start. */
function copyDir(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
  for (const name of [...readdirSync(to), '.']) {
    const fd = openSync(join(to, name), 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** Times one start of vmapd on `dir`, checks what it recovered and how, and stops it with `stop`. */
async function timedStart(dir: string, want: { areas: number; lazy: number; from: 'image' | 'rows'; changed: number }, httpThreads: number | undefined, stop: 'SIGTERM' | 'SIGKILL'): Promise<number> {
  const t0 = performance.now();
  const server = await startVmapd({ readMode: 'snapshot', extraArgs: ['--data-dir', dir], maxOldSpaceMb: MAX_OLD_SPACE_MB, ...(httpThreads === undefined ? {} : { httpThreads }) });
  const ms = performance.now() - t0;
  let code: number | string | null;
  try {
    await checkCounts(server, want.areas, want.lazy);
    const recovered = server.startupLog.find((l) => l.msg === 'store recovered');
    if (recovered?.from !== want.from || (want.from === 'image' && recovered.changed !== want.changed)) {
      throw new Error(`vmapd read ${JSON.stringify(recovered?.from)} (${JSON.stringify(recovered?.changed)} changed rows), not the ${want.from}${want.from === 'image' ? ` with ${want.changed} changed rows` : ''}`);
    }
  } finally {
    code = await stopServerProcess(server, 15000, stop);
  }
  if (stop === 'SIGTERM' && code !== 0) throw new Error(`vmapd did not stop cleanly (${String(code)}): ${server.stderrTail()}`);
  return ms;
}

/**
 * For each count: builds a data directory holding that many areas, starts
 * vmapd on it `runs` times as after a clean stop, as after a crash and with
 * no image, and returns the median spawn-to-listening time of each.
 */
export async function benchRecovery(counts: readonly number[], options: RecoveryOptions = {}): Promise<RecoveryFigures[]> {
  const runs = options.runs ?? DEFAULT_RUNS;
  // startVmapd asks the build for its options once: not inside a timed start.
  await vmapdHelp();
  const out: RecoveryFigures[] = [];
  for (const n of counts) {
    const base = mkdtempSync(join(tmpdir(), 'vmapd-recovery-'));
    const built = join(base, 'built');
    const dir = join(base, 'run');
    try {
      const data = await buildRecoveryData(built, n, 1, Math.round(n * CHANGED_SHARE));
      const time = async (kind: StartKind): Promise<number> => {
        // Every start on the directory as built; a clean stop's starts on one that a clean stop left.
        if (kind !== 'clean stop') copyDir(built, dir);
        if (kind === 'no image') rmSync(join(dir, IMAGE_FILE));
        const want = { areas: n, lazy: data.lazy, from: kind === 'no image' ? ('rows' as const) : ('image' as const), changed: kind === 'crash' ? data.changed : 0 };
        if (kind === 'clean stop' && !existsSync(join(dir, IMAGE_FILE))) throw new Error('a start after a clean stop found no area image');
        const ms = await timedStart(dir, want, options.httpThreads, kind === 'crash' ? 'SIGKILL' : 'SIGTERM');
        options.onRun?.(n, ms, kind);
        return ms;
      };
      const rowsRunsMs: number[] = [];
      for (let r = 0; r < runs; r++) rowsRunsMs.push(await time('no image'));
      const crashRunsMs: number[] = [];
      for (let r = 0; r < runs; r++) crashRunsMs.push(await time('crash'));
      // A start and a clean stop on the directory as built, untimed: the timed starts after a clean stop read what it left.
      copyDir(built, dir);
      await timedStart(dir, { areas: n, lazy: data.lazy, from: 'image', changed: data.changed }, options.httpThreads, 'SIGTERM');
      const runsMs: number[] = [];
      for (let r = 0; r < runs; r++) runsMs.push(await time('clean stop'));
      out.push({ areas: n, lazy: data.lazy, medianMs: median(runsMs), runsMs, changed: data.changed, crashMedianMs: median(crashRunsMs), crashRunsMs, rowsMedianMs: median(rowsRunsMs), rowsRunsMs, buildMs: data.ms });
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  }
  return out;
}
