/**
 * vmapctl replay end to end: real vmapd servers in this process, the compiled
 * CLI as a child process, the replayed space checked through vmapctl's own
 * meminfo and ls.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cliPath, startTestServer, type TestServer } from '../helpers/server.js';
import type { Run } from './vmapctl-run.js';
import { EVERY_KIND, EVERY_KIND_TOTALS, REAL_DUMP, REAL_TOTALS } from './vmallocinfo-samples.js';

/**
 * Runs vmapctl like runCli, with a longer backstop: a replay of the real dump
 * is a few thousand calls, which a loaded machine can stretch past runCli's.
 */
function vmapctl(target: string, ...args: string[]): Promise<Run> {
  return vmapctlWithInput(target, '', ...args);
}

/** vmapctl with `input` on its standard input. */
function vmapctlWithInput(target: string, input: string, ...args: string[]): Promise<Run> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('VMAPCTL_')));
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [cliPath('vmapctl'), '--target', target, ...args], { timeout: 120000, env }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(new Error(`vmapctl ${args.join(' ')} did not exit normally: ${stderr}`));
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}

interface Totals {
  vmalloc_used_bytes: number;
  vmalloc_lazy_bytes: number;
  nr_areas: number;
  nr_lazy_areas: number;
}

interface ReplayDoc {
  dump: { entries: number; reserved_bytes: number; lazy_entries: number; lazy_bytes: number; hashed: boolean; repeated_ranges: number };
  vmapd: Totals;
  reproduced: boolean;
  batches: number;
  allocs: number;
  lazy_frees: number;
  purged_on_replay: boolean;
  lazy_pages_needed: number;
  churn?: { rounds: number; seed: number; purges: number; vmapd: Totals };
}

interface MeminfoDoc {
  vmalloc_used_kb: number;
  vmalloc_lazy_kb: number;
  nr_areas: number;
  nr_lazy_areas: number;
}

async function meminfo(target: string): Promise<MeminfoDoc> {
  const r = await vmapctl(target, '--json', 'meminfo');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as MeminfoDoc;
}

describe('vmapctl replay', () => {
  let dir: string;
  const servers: TestServer[] = [];
  const server = async (overrides: Parameters<typeof startTestServer>[0] = {}): Promise<string> => {
    const s = await startTestServer(overrides);
    servers.push(s);
    return s.grpcTarget;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vmapctl-replay-'));
  });
  after(async () => {
    for (const s of servers) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replays the real dump with exactly its entry count and reserved bytes', async () => {
    const target = await server();
    const r = await vmapctl(target, '--json', 'replay', REAL_DUMP);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const doc = JSON.parse(r.stdout) as ReplayDoc;
    assert.deepEqual(doc.dump, {
      entries: REAL_TOTALS.entries,
      reserved_bytes: REAL_TOTALS.reservedBytes,
      lazy_entries: REAL_TOTALS.lazyEntries,
      lazy_bytes: REAL_TOTALS.lazyBytes,
      hashed: true,
      repeated_ranges: 1,
    });
    assert.equal(doc.reproduced, true);
    assert.equal(doc.purged_on_replay, false);
    assert.deepEqual([doc.batches, doc.allocs, doc.lazy_frees], [1, REAL_TOTALS.entries, REAL_TOTALS.lazyEntries]);

    // vmapd's own MemInfo, read separately.
    const m = await meminfo(target);
    assert.equal(m.nr_areas + m.nr_lazy_areas, REAL_TOTALS.entries);
    assert.equal(m.nr_lazy_areas, REAL_TOTALS.lazyEntries);
    assert.equal((m.vmalloc_used_kb + m.vmalloc_lazy_kb) * 1024, REAL_TOTALS.reservedBytes);
    assert.equal(m.vmalloc_lazy_kb * 1024, REAL_TOTALS.lazyBytes);
  });

  it('replays every line kind with its size, guard and caller, and prints the table', async () => {
    const target = await server();
    const file = join(dir, 'every-kind.txt');
    writeFileSync(file, EVERY_KIND);
    const r = await vmapctl(target, 'replay', file);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^replayed .*every-kind\.txt: 11 entries in 1 AllocBatch call \(\d+ ms, \d+ allocs\/s\), 2 freed lazily \(\d+ ms\)\n/);
    assert.match(r.stdout, /addresses are vmapd's own \(its first fit\), not the dump's \(hashed in this dump\)\n/);
    assert.match(r.stdout, /\n {16}\s+dump\s+vmapd\n/);
    assert.match(r.stdout, /\nentries\s+11\s+11\n {2}areas\s+9\s+9\n {2}lazy areas\s+2\s+2\n/);
    assert.match(r.stdout, /\nreserved bytes\s+212992\s+212992\n {2}VmallocUsed\s+188416\s+188416\n {2}VmallocLazy\s+24576\s+24576\n/);
    assert.match(r.stdout, /\nreproduced: entries and reserved bytes match\n$/);

    const ls = await vmapctl(target, '--json', 'ls', '--lazy');
    assert.equal(ls.code, 0, ls.stderr);
    const areas = (JSON.parse(ls.stdout) as { size: number; area_size: number; caller: string; lazy: boolean }[]).map((a) => `${a.area_size} ${a.size} ${a.lazy ? 'lazy' : 'busy'} ${a.caller}`);
    assert.deepEqual(areas.sort(), [
      '12288 8192 busy dma_common_contiguous_remap+0x5d/0x90',
      '20480 16384 busy irq_init_percpu_irqstack+0xed/0x120',
      '20480 16384 busy kernel_clone+0xb8/0x400',
      '20480 16384 lazy ',
      '36864 32768 busy e1000_probe+0x2a1/0x1100 [e1000e]',
      '4096 4096 lazy ',
      '65536 65536 busy vm_map_ram',
      '8192 4096 busy ',
      '8192 4096 busy 0xffffffffc0a01234',
      '8192 4096 busy acpi_os_map_iomem+0x1bc/0x1e0',
      '8192 4096 busy bpf_arena_alloc_pages+0x10/0x50',
    ]);
    const m = await meminfo(target);
    assert.equal(m.nr_areas + m.nr_lazy_areas, EVERY_KIND_TOTALS.entries);
    assert.equal((m.vmalloc_used_kb + m.vmalloc_lazy_kb) * 1024, EVERY_KIND_TOTALS.reservedBytes);
    // vmapd's own vmallocinfo lines are a dump too: they replay into another vmapd with the same totals.
    const own = await vmapctl(target, 'ls', '--lazy');
    assert.equal(own.code, 0, own.stderr);
    const ownFile = join(dir, 'vmapd-own.txt');
    writeFileSync(ownFile, own.stdout);
    const again = await vmapctl(await server(), '--json', 'replay', ownFile);
    assert.equal(again.code, 0, again.stderr);
    const doc = JSON.parse(again.stdout) as ReplayDoc;
    assert.equal(doc.reproduced, true);
    assert.deepEqual([doc.dump.entries, doc.dump.reserved_bytes, doc.dump.lazy_bytes], [EVERY_KIND_TOTALS.entries, EVERY_KIND_TOTALS.reservedBytes, EVERY_KIND_TOTALS.lazyBytes]);
  });

  it('reads the dump from standard input as -', async () => {
    const target = await server();
    const r = await vmapctlWithInput(target, EVERY_KIND, '--json', 'replay', '-');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as ReplayDoc & { file: string };
    assert.equal(doc.file, '-');
    assert.equal(doc.reproduced, true);
    assert.equal(doc.dump.entries, EVERY_KIND_TOTALS.entries);
  });

  it('replay --help shows the file, --churn and --seed', async () => {
    const r = await vmapctl('127.0.0.1:1', 'replay', '--help');
    assert.equal(r.code, 0);
    for (const word of ['<file>', '--churn', '--seed', 'unpurged vm_area', 'guard', '/proc/vmallocinfo']) assert.ok(r.stdout.includes(word), `replay --help lacks ${word}`);
    const top = await vmapctl('127.0.0.1:1', '--help');
    assert.ok(top.stdout.includes('replay'), top.stdout);
  });

  it('refuses a dump with a bad line, naming the line, before sending anything', async () => {
    const target = await server();
    const file = join(dir, 'bad.txt');
    writeFileSync(file, `${EVERY_KIND.split('\n').slice(0, 2).join('\n')}\n0xffffc90000000000-0xffffc90000002000    8192 f+0x1/0x2 vmalloc bogus\n`);
    for (const json of [false, true]) {
      const r = await vmapctl(target, ...(json ? ['--json'] : []), 'replay', file);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stderr, `vmapctl: INVALID_ARGUMENT: ${file}: line 3: unknown field "bogus": "0xffffc90000000000-0xffffc90000002000    8192 f+0x1/0x2 vmalloc bogus"\n`);
      if (json) assert.equal((JSON.parse(r.stdout) as { error: string }).error, 'INVALID_ARGUMENT');
    }
    const missing = await vmapctl(target, 'replay', join(dir, 'none.txt'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^vmapctl: INVALID_ARGUMENT: .*none\.txt: ENOENT/);
    const m = await meminfo(target);
    assert.equal(m.nr_areas + m.nr_lazy_areas, 0);
  });

  it('--churn keeps the entry count: as many busy areas, each freed one still lazy', async () => {
    // Room for every churned free to stay lazy, so nothing is purged.
    const target = await server({ lazyMaxPages: 1 << 20 });
    const r = await vmapctl(target, '--json', 'replay', REAL_DUMP, '--churn', '50', '--seed', '3');
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as ReplayDoc;
    assert.equal(doc.reproduced, true);
    assert.ok(doc.churn !== undefined);
    assert.deepEqual({ rounds: doc.churn.rounds, seed: doc.churn.seed, purges: doc.churn.purges }, { rounds: 50, seed: 3, purges: 0 });
    const busy = REAL_TOTALS.entries - REAL_TOTALS.lazyEntries;
    assert.equal(doc.churn.vmapd.nr_areas, busy);
    assert.equal(doc.churn.vmapd.nr_lazy_areas, REAL_TOTALS.lazyEntries + 50);
    const m = await meminfo(target);
    assert.deepEqual([m.nr_areas, m.nr_lazy_areas], [busy, REAL_TOTALS.lazyEntries + 50]);
  });

  it('warns, naming the pages and the flag, when --lazy-max-pages would purge the unpurged entries', async () => {
    const target = await server({ lazyMaxPages: 1 });
    const file = join(dir, 'every-kind-2.txt');
    writeFileSync(file, EVERY_KIND);
    const r = await vmapctl(target, '--json', 'replay', file);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^vmapctl: warning: vmapd purged its lazily freed areas during the replay: the dump's unpurged vm_area entries hold 6 pages, more than vmapd's --lazy-max-pages; start vmapd with --lazy-max-pages 6 or more/);
    const doc = JSON.parse(r.stdout) as ReplayDoc;
    assert.equal(doc.purged_on_replay, true);
    assert.equal(doc.lazy_pages_needed, 6);
    assert.equal(doc.reproduced, false);
  });
});
