/**
 * `vmapctl replay FILE`: a real /proc/vmallocinfo dump allocated into vmapd
 * (src/cli/vmallocinfo-replay.ts), then the dump's totals printed beside
 * vmapd's /meminfo. The file is read and checked before anything is sent, so
 * a line that cannot be read is a usage error naming its line.
 */
import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { messageOf } from '../vmap/errors.js';
import { PAGE_SIZE } from '../vmap/page.js';
import { UsageError } from './vmapctl-connection.js';
import { DumpLineError, parseVmallocinfo, type VmallocinfoDump } from './vmallocinfo-dump.js';
import { type MeminfoTotals, replayDump, type ReplayClient, type ReplayResult } from './vmallocinfo-replay.js';

/** How vmapctl runs a command with a client and tells it whether JSON was asked for. */
export type WithClient = (cmd: Command, fn: (client: ReplayClient, json: boolean) => Promise<void>) => Promise<void>;

/** Commander parser for a whole number below 2^32. */
function whole(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value.trim()) || !Number.isSafeInteger(n) || n > 2 ** 32 - 1) throw new InvalidArgumentError(`must be an integer from 0 to ${2 ** 32 - 1}`);
  return n;
}

/** Reads and parses the dump at `file` (`-`: standard input). @throws UsageError naming the file and line */
export function readDump(file: string): VmallocinfoDump {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: ${messageOf(err)}`);
  }
  try {
    return parseVmallocinfo(text);
  } catch (err) {
    if (err instanceof DumpLineError) throw new UsageError(`${file}: ${err.message}`);
    throw err;
  }
}

/** Whether vmapd grew from `before` to `after` by exactly the dump's entries and reserved bytes. */
export function reproduces(dump: VmallocinfoDump, before: MeminfoTotals, after: MeminfoTotals): boolean {
  const areas = (m: MeminfoTotals): number => m.nrAreas + m.nrLazyAreas;
  const bytes = (m: MeminfoTotals): number => m.usedBytes + m.lazyBytes;
  return areas(after) - areas(before) === dump.nrEntries && bytes(after) - bytes(before) === dump.reservedBytes;
}

function totalsJson(m: MeminfoTotals): Record<string, number> {
  return { vmalloc_used_bytes: m.usedBytes, vmalloc_lazy_bytes: m.lazyBytes, nr_areas: m.nrAreas, nr_lazy_areas: m.nrLazyAreas };
}

/** The replay as one JSON document. */
export function replayJson(file: string, dump: VmallocinfoDump, r: ReplayResult): Record<string, unknown> {
  return {
    file,
    dump: {
      entries: dump.nrEntries,
      reserved_bytes: dump.reservedBytes,
      lazy_entries: dump.nrLazy,
      lazy_bytes: dump.lazyBytes,
      hashed: dump.hashed,
      repeated_ranges: dump.repeatedRanges,
    },
    before: totalsJson(r.before),
    vmapd: totalsJson(r.afterReplay),
    reproduced: reproduces(dump, r.before, r.afterReplay),
    batches: r.batches,
    allocs: r.allocs,
    lazy_frees: r.lazyFrees,
    purged_on_replay: r.purgedOnReplay,
    lazy_pages_needed: r.lazyPagesNeeded,
    replay_ms: Math.round(r.replayMs),
    ...(r.churn === undefined
      ? {}
      : { churn: { rounds: r.churn.rounds, seed: r.churn.seed, purges: r.churn.purges, ms: Math.round(r.churn.ms), vmapd: totalsJson(r.churn.after) } }),
  };
}

/** The table of the dump's totals beside vmapd's, one column per reading. */
function table(dump: VmallocinfoDump, columns: readonly [string, MeminfoTotals][]): string {
  const rows: [string, number, (m: MeminfoTotals) => number][] = [
    ['entries', dump.nrEntries, (m) => m.nrAreas + m.nrLazyAreas],
    ['  areas', dump.nrEntries - dump.nrLazy, (m) => m.nrAreas],
    ['  lazy areas', dump.nrLazy, (m) => m.nrLazyAreas],
    ['reserved bytes', dump.reservedBytes, (m) => m.usedBytes + m.lazyBytes],
    ['  VmallocUsed', dump.reservedBytes - dump.lazyBytes, (m) => m.usedBytes],
    ['  VmallocLazy', dump.lazyBytes, (m) => m.lazyBytes],
  ];
  const width = Math.max(12, ...columns.map(([h]) => h.length + 2));
  const head = ''.padEnd(16) + 'dump'.padStart(12) + columns.map(([h]) => h.padStart(width)).join('') + '\n';
  return head + rows.map(([label, d, of]) => label.padEnd(16) + String(d).padStart(12) + columns.map(([, m]) => String(of(m)).padStart(width)).join('') + '\n').join('');
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** The replay for people: what was sent, then the table. */
export function replayText(file: string, dump: VmallocinfoDump, r: ReplayResult): string {
  const rate = r.allocMs > 0 ? Math.round((r.allocs / r.allocMs) * 1000) : 0;
  let out =
    `replayed ${file}: ${plural(dump.nrEntries, 'entry', 'entries')} in ${plural(r.batches, 'AllocBatch call')} ` +
    `(${Math.round(r.allocMs)} ms, ${rate} allocs/s), ${r.lazyFrees} freed lazily (${Math.round(r.freeMs)} ms)\n`;
  out += `addresses are vmapd's own (its first fit), not the dump's${dump.hashed ? ' (hashed in this dump)' : ''}\n`;
  if (dump.repeatedRanges > 0) {
    out += `note: ${plural(dump.repeatedRanges, 'range appears', 'ranges appear')} twice in the dump (freed while it was read); every line is replayed\n`;
  }
  const columns: [string, MeminfoTotals][] = [];
  const empty = r.before.nrAreas + r.before.nrLazyAreas === 0;
  if (!empty) columns.push(['vmapd before', r.before]);
  columns.push(['vmapd', r.afterReplay]);
  if (r.churn !== undefined) {
    columns.push([`churn ${r.churn.rounds}`, r.churn.after]);
    out += `churn: ${plural(r.churn.rounds, 'round')} (seed ${r.churn.seed}), ${plural(r.churn.purges, 'purge')}, in ${Math.round(r.churn.ms)} ms\n`;
  }
  out += '\n' + table(dump, columns);
  out += reproduces(dump, r.before, r.afterReplay) ? 'reproduced: entries and reserved bytes match\n' : 'NOT reproduced: entries or reserved bytes differ\n';
  return out;
}

/** The warning printed when vmapd purged the dump's lazy areas during the replay. */
export function lazyPurgeWarning(dump: VmallocinfoDump, r: ReplayResult): string {
  const held = r.before.lazyBytes / PAGE_SIZE;
  const also = held > 0 ? ` (${r.lazyPagesNeeded} with the ${held} lazy pages vmapd already held)` : '';
  return (
    `vmapctl: warning: vmapd purged its lazily freed areas during the replay: the dump's unpurged vm_area entries hold ` +
    `${dump.lazyBytes / PAGE_SIZE} pages${also}, more than vmapd's --lazy-max-pages; ` +
    `start vmapd with --lazy-max-pages ${r.lazyPagesNeeded} or more (or VMAPD_LAZY_MAX_PAGES) to keep them lazy\n`
  );
}

/** Declares `replay` on `program`; `withClient` is how vmapctl connects. */
export function registerReplay(program: Command, withClient: WithClient): void {
  program
    .command('replay')
    .description("allocate every entry of a /proc/vmallocinfo dump (size and caller), then print the dump's totals beside vmapd's /meminfo")
    .argument('<file>', 'a /proc/vmallocinfo dump; - for standard input')
    .option('--churn <n>', 'then N rounds of freeing a random live area and allocating one of a random entry\'s size', whole)
    .option('--seed <n>', 'seed of the churn\'s choices', whole, 1)
    .addHelpText(
      'after',
      `
Each entry becomes an area of its size (the kernel's size includes the guard
page: SIZE - 4096 usable bytes plus a guard; vm_map_ram ranges have none),
caller as in the dump, allocated in the dump's order in AllocBatch calls of up
to 10000. vmapd places them by its own first fit: the addresses are its own.
Entries shown as "unpurged vm_area" are then freed, so they stay lazily freed;
if vmapd's --lazy-max-pages is too small to hold them, it purges and vmapctl
warns. The dump is read before connecting.

Examples:
  sudo cat /proc/vmallocinfo > dump.txt && vmapctl replay dump.txt
  vmapctl --json replay dump.txt --churn 10000 --seed 7`,
    )
    .action((file: string, o: { churn?: number; seed: number }, cmd: Command) => {
      const dump = readDump(file);
      return withClient(cmd, async (client, json) => {
        const r = await replayDump(client, dump, { churn: o.churn ?? 0, seed: o.seed });
        if (r.purgedOnReplay) process.stderr.write(lazyPurgeWarning(dump, r));
        process.stdout.write(json ? JSON.stringify(replayJson(file, dump, r)) + '\n' : replayText(file, dump, r));
      });
    });
}
