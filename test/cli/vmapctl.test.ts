/**
 * vmapctl end to end: a real vmapd in this process, the compiled CLI as a
 * child process, assertions on what it prints and how it exits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { deadPort, runCli, type Run } from './vmapctl-run.js';

const HEX = /^0x[0-9a-f]{16}$/;

/** Whether some line of `text` starts with `prefix` (an address also ends the area before it). */
function startsLine(text: string, prefix: string): boolean {
  return text.split('\n').some((line) => line.startsWith(prefix));
}

interface AreaJson {
  addr: string;
  size: number;
  area_size: number;
  caller: string;
  owner: string;
  lazy: boolean;
}

describe('vmapctl', () => {
  let s: TestServer;
  let vmapctl: (...args: string[]) => Promise<Run>;

  before(async () => {
    s = await startTestServer();
    vmapctl = (...args) => runCli(['--target', s.grpcTarget, ...args]);
  });
  after(async () => {
    await s.stop();
  });

  it('alloc prints the range, reserved bytes, usable size, caller and owner', async () => {
    const r = await vmapctl('alloc', '8k', '--caller', 'x');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const m = /^(0x[0-9a-f]{16})-(0x[0-9a-f]{16}) 12288 bytes \(8k usable \+ guard\) caller=x owner=anonymous\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.equal(BigInt(m[2]!) - BigInt(m[1]!), 12288n);
  });

  it('alloc --no-guard says so', async () => {
    const r = await vmapctl('alloc', '4096', '--no-guard');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^0x[0-9a-f]{16}-0x[0-9a-f]{16} 4096 bytes \(4k usable, no guard\) owner=anonymous\n$/);
  });

  it('alloc --json --align returns an aligned area as one JSON document', async () => {
    const r = await vmapctl('--json', 'alloc', '16k', '--align', '64k', '--caller', 'aligned', '--request-id', 'req-1');
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout) as AreaJson;
    assert.match(a.addr, HEX);
    assert.equal(BigInt(a.addr) % 0x10000n, 0n, `${a.addr} is not 64k aligned`);
    assert.deepEqual({ ...a, addr: undefined }, { addr: undefined, size: 16384, area_size: 20480, caller: 'aligned', owner: 'anonymous', lazy: false, request_id: 'req-1' });
  });

  it('takes --json after the subcommand too, and sizes as 2M', async () => {
    const r = await vmapctl('alloc', '2M', '--align', '2M', '--json');
    assert.equal(r.code, 0, r.stderr);
    const a = JSON.parse(r.stdout) as AreaJson;
    assert.equal(a.size, 2 << 20);
    assert.equal(BigInt(a.addr) % (2n << 20n), 0n);
  });

  it('find, free, ls --lazy, purge: an area through its life', async () => {
    const created = JSON.parse((await vmapctl('--json', 'alloc', '8k', '--caller', 'life')).stdout) as AreaJson;
    const start = BigInt(created.addr);
    const end = `0x${(start + 12288n).toString(16).padStart(16, '0')}`;

    // find takes any address inside, hex or decimal, and shows the same area.
    const found = await vmapctl('find', `0x${(start + 4096n).toString(16)}`);
    assert.equal(found.code, 0, found.stderr);
    assert.equal(found.stdout, `${created.addr}-${end} 12288 bytes (8k usable + guard) caller=life owner=anonymous\n`);
    const foundJson = await vmapctl('--json', 'find', (start + 100n).toString());
    assert.deepEqual(JSON.parse(foundJson.stdout), created);

    const busy = await vmapctl('ls');
    assert.equal(busy.code, 0, busy.stderr);
    assert.ok(busy.stdout.includes(`${created.addr}-${end}   12288 life pages=2 vmalloc owner=anonymous\n`), busy.stdout);

    const freed = await vmapctl('free', created.addr);
    assert.equal(freed.code, 0, freed.stderr);
    assert.equal(freed.stdout, `freed ${created.addr} 12288 bytes (lazy until purged)\n`);

    // Lazily freed: gone from the default listing, shown by --lazy.
    assert.ok(!startsLine((await vmapctl('ls')).stdout, `${created.addr}-`));
    const lazy = await vmapctl('ls', '--lazy');
    assert.ok(lazy.stdout.includes(`${created.addr}-${end}   12288 unpurged vm_area\n`), lazy.stdout);
    const lazyJson = JSON.parse((await vmapctl('--json', 'ls', '--lazy')).stdout) as AreaJson[];
    assert.deepEqual(
      lazyJson.find((a) => a.addr === created.addr),
      { ...created, lazy: true },
    );
    // Listed in ascending address order.
    const addrs = lazyJson.map((a) => BigInt(a.addr));
    assert.deepEqual(addrs, [...addrs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));

    const purged = await vmapctl('--json', 'purge');
    assert.equal(purged.code, 0, purged.stderr);
    const p = JSON.parse(purged.stdout) as { purged_areas: number; purged_bytes: number };
    assert.ok(p.purged_areas >= 1 && p.purged_bytes >= 12288, purged.stdout);
    assert.ok(!startsLine((await vmapctl('ls', '--lazy')).stdout, `${created.addr}-`));

    const again = await vmapctl('purge');
    assert.equal(again.stdout, 'purged 0 areas, 0 bytes\n');
  });

  it('ls --from and --limit page through the areas', async () => {
    const all = JSON.parse((await vmapctl('--json', 'ls')).stdout) as AreaJson[];
    assert.ok(all.length >= 3);
    const page = JSON.parse((await vmapctl('--json', 'ls', '--from', all[1]!.addr, '--limit', '1')).stdout) as AreaJson[];
    assert.deepEqual(page, [all[1]]);
    const text = await vmapctl('ls', '--limit', '2');
    assert.equal(text.stdout.split('\n').filter(Boolean).length, 2);
  });

  it('meminfo matches the HTTP /meminfo, numbers and text', async () => {
    await vmapctl('alloc', '8k');
    const lazy = JSON.parse((await vmapctl('--json', 'alloc', '4k')).stdout) as AreaJson;
    await vmapctl('free', lazy.addr);

    const r = await vmapctl('--json', 'meminfo');
    assert.equal(r.code, 0, r.stderr);
    const http = (await (await fetch(`${s.httpUrl}/meminfo?format=json`)).json()) as Record<string, number>;
    assert.deepEqual(JSON.parse(r.stdout), http);
    assert.ok(http.nr_lazy_areas! >= 1 && http.vmalloc_lazy_kb! >= 8);

    const text = await vmapctl('meminfo');
    const httpText = await (await fetch(`${s.httpUrl}/meminfo`)).text();
    assert.equal(text.stdout, `${httpText}Generation:     ${String(http.generation).padStart(8)}\n`);
  });

  it('free of an unknown address: NOT_FOUND, exit 1, and a JSON error with --json', async () => {
    const r = await vmapctl('free', '0x1000');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^vmapctl: NOT_FOUND: .+\n$/);

    const j = await vmapctl('--json', 'find', '0x1000');
    assert.equal(j.code, 1);
    const e = JSON.parse(j.stdout) as { error: string; message: string };
    assert.equal(e.error, 'NOT_FOUND');
    assert.ok(e.message.length > 0);
  });

  it('a request the server refuses: its status and the field at fault', async () => {
    const r = await vmapctl('--json', 'alloc', '8k', '--align', '3');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^vmapctl: INVALID_ARGUMENT: align: /);
    assert.deepEqual({ ...(JSON.parse(r.stdout) as object), message: undefined }, { error: 'INVALID_ARGUMENT', message: undefined, field: 'align' });
  });

  it('bad local input exits 2 naming the argument, before connecting', async () => {
    // A dead target proves nothing was sent: a connection attempt would say UNAVAILABLE.
    const dead = `127.0.0.1:${await deadPort()}`;
    const size = await runCli(['--target', dead, 'alloc', '8x']);
    assert.equal(size.code, 2);
    assert.equal(size.stdout, '');
    assert.match(size.stderr, /^vmapctl: INVALID_ARGUMENT: .*'8x'.*'size'/);

    const align = await runCli(['--target', dead, '--json', 'alloc', '8k', '--align', 'lots']);
    assert.equal(align.code, 2);
    const e = JSON.parse(align.stdout) as { error: string; message: string };
    assert.equal(e.error, 'INVALID_ARGUMENT');
    assert.match(e.message, /--align/);

    const addr = await runCli(['--target', dead, 'free', '-5']);
    assert.equal(addr.code, 2);
    const missing = await runCli(['--target', dead, 'find']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /addr/);
    const unknown = await runCli(['--target', dead, 'frobnicate']);
    assert.equal(unknown.code, 2);
    const limit = await runCli(['--target', dead, 'ls', '--limit', '-1']);
    assert.equal(limit.code, 2);
    assert.match(limit.stderr, /--limit/);
  });

  it('an unreachable target fails with UNAVAILABLE or DEADLINE_EXCEEDED within --timeout', async () => {
    const t0 = Date.now();
    const r = await runCli(['--target', `127.0.0.1:${await deadPort()}`, '--timeout', '2000', 'meminfo']);
    const elapsed = Date.now() - t0;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^vmapctl: (UNAVAILABLE|DEADLINE_EXCEEDED): /);
    // The deadline plus a generous allowance for starting node.
    assert.ok(elapsed < 2000 + 5000, `took ${elapsed} ms`);
  });

  it('reads the target from VMAPCTL_TARGET', async () => {
    const r = await runCli(['--json', 'meminfo'], { VMAPCTL_TARGET: s.grpcTarget });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(typeof (JSON.parse(r.stdout) as { generation: unknown }).generation, 'number');
  });

  it('--help lists the commands; alloc --help lists its options', async () => {
    const top = await runCli(['--help']);
    assert.equal(top.code, 0);
    for (const word of ['alloc', 'free', 'find', 'purge', 'meminfo', 'ls', '--target', '--timeout', '--json', 'VMAPCTL_TARGET']) {
      assert.ok(top.stdout.includes(word), `--help lacks ${word}`);
    }
    const alloc = await runCli(['alloc', '--help']);
    assert.equal(alloc.code, 0);
    for (const word of ['<size>', '--align', '--caller', '--vstart', '--vend', '--no-guard', '--request-id', '8k']) {
      assert.ok(alloc.stdout.includes(word), `alloc --help lacks ${word}`);
    }
  });
});
