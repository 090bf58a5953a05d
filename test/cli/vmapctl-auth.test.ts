/**
 * vmapctl against a vmapd with a tokens file: --token and VMAPCTL_TOKEN reach
 * the server on unary calls and on listings, ownership holds, and a refusal
 * tells the user what to pass.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { call, startTestServer, type TestServer } from '../helpers/server.js';
import { deadPort, runCli, type Run } from './vmapctl-run.js';

const ALICE = 'alice-cli-token-0123456789';
const BOB = 'bob-cli-token-0123456789ab';
const ROOT = 'root-cli-token-0123456789a';

interface AreaJson {
  addr: string;
  owner: string;
}

/** The area a successful `--json alloc` printed. */
function area(r: Run): AreaJson {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as AreaJson;
}

describe('vmapctl with tokens', () => {
  let s: TestServer;
  let dir: string;
  let vmapctl: (args: string[], env?: Record<string, string>) => Promise<Run>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmapctl-auth-'));
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, `${ALICE} alice\n${BOB} bob client\n${ROOT} root admin\n`);
    s = await startTestServer({ tokens });
    vmapctl = (args, env) => runCli(['--target', s.grpcTarget, ...args], env);
  });
  after(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('without a token: UNAUTHENTICATED, exit 1, and a hint to pass --token or set VMAPCTL_TOKEN', async () => {
    const r = await vmapctl(['alloc', '8k']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n');
    assert.match(lines[0]!, /^vmapctl: UNAUTHENTICATED: missing "authorization: Bearer <token>"$/);
    assert.equal(lines[1], 'vmapctl: hint: vmapd wants a token: pass --token <token> or set VMAPCTL_TOKEN');
    assert.equal(lines.length, 3, r.stderr);

    const j = await vmapctl(['--json', 'ls']);
    assert.equal(j.code, 1);
    const e = JSON.parse(j.stdout) as { error: string; message: string; hint: string };
    assert.equal(e.error, 'UNAUTHENTICATED');
    assert.match(e.hint, /--token <token> or set VMAPCTL_TOKEN/);
    assert.equal((await call(s.client, 'MemInfo', {})).nr_areas, '0', 'the refused alloc left nothing');
  });

  it('an unknown token: UNAUTHENTICATED, and the hint names where the token came from, never the token', async () => {
    const flag = await vmapctl(['--token', 'not-a-token-vmapd-knows', 'alloc', '8k']);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /^vmapctl: UNAUTHENTICATED: unknown token\nvmapctl: hint: vmapd does not accept the token of --token\n$/);
    const env = await vmapctl(['alloc', '8k'], { VMAPCTL_TOKEN: 'not-a-token-vmapd-knows' });
    assert.match(env.stderr, /hint: vmapd does not accept the token of VMAPCTL_TOKEN\n$/);
    assert.ok(!flag.stderr.includes('not-a-token') && !env.stderr.includes('not-a-token'));
  });

  it('--token and VMAPCTL_TOKEN are sent: the area belongs to the token’s owner; the flag wins over the variable', async () => {
    const a = area(await vmapctl(['--token', ALICE, '--json', 'alloc', '8k', '--caller', 'cli-alice']));
    assert.equal(a.owner, 'alice');
    const b = area(await vmapctl(['--json', 'alloc', '8k'], { VMAPCTL_TOKEN: BOB }));
    assert.equal(b.owner, 'bob');
    const both = area(await vmapctl(['--token', ALICE, '--json', 'alloc', '4k'], { VMAPCTL_TOKEN: BOB }));
    assert.equal(both.owner, 'alice');

    // Human output shows the owner too.
    const text = await vmapctl(['--token', BOB, 'find', b.addr]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, / owner=bob\n$/);

    // The listing (a server stream) carries the token as well: a client sees its own areas only.
    const aliceLs = await vmapctl(['--token', ALICE, '--json', 'ls']);
    assert.equal(aliceLs.code, 0, aliceLs.stderr);
    assert.deepEqual((JSON.parse(aliceLs.stdout) as AreaJson[]).map((x) => x.addr).sort(), [a.addr, both.addr].sort());
    const rootLs = JSON.parse((await vmapctl(['--json', 'ls'], { VMAPCTL_TOKEN: ROOT })).stdout) as AreaJson[];
    assert.deepEqual(new Set(rootLs.map((x) => x.owner)), new Set(['alice', 'bob']));

    for (const [token, addr] of [[ALICE, a.addr], [BOB, b.addr], [ALICE, both.addr]] as const) {
      assert.equal((await vmapctl(['--token', token, 'free', addr])).code, 0);
    }
    assert.equal((await vmapctl(['--token', ROOT, 'purge'])).code, 0);
  });

  it('a client freeing another owner’s area: PERMISSION_DENIED, exit 1, and the area stays', async () => {
    const a = area(await vmapctl(['--token', ALICE, '--json', 'alloc', '8k']));
    const r = await vmapctl(['--token', BOB, 'free', a.addr]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^vmapctl: PERMISSION_DENIED: .*another owner.*\n$/);
    const j = await vmapctl(['--token', BOB, '--json', 'free', a.addr]);
    assert.equal((JSON.parse(j.stdout) as { error: string }).error, 'PERMISSION_DENIED');
    const still = await vmapctl(['--token', ALICE, '--json', 'find', a.addr]);
    assert.equal(area(still).addr, a.addr);
    // An admin may free anyone's.
    assert.equal((await vmapctl(['--token', ROOT, 'free', a.addr])).code, 0);
  });

  it('an empty or unprintable token is a usage error (exit 2) before connecting, and is never echoed', async () => {
    const dead = `127.0.0.1:${await deadPort()}`;
    const empty = await runCli(['--target', dead, '--token', '', 'meminfo']);
    assert.deepEqual(empty, { code: 2, stdout: '', stderr: 'vmapctl: INVALID_ARGUMENT: --token: must not be empty\n' });
    const envEmpty = await runCli(['--target', dead, 'meminfo'], { VMAPCTL_TOKEN: '' });
    assert.equal(envEmpty.stderr, 'vmapctl: INVALID_ARGUMENT: VMAPCTL_TOKEN: must not be empty\n');
    const spaced = await runCli(['--target', dead, '--json', '--token', 'secret with spaces', 'meminfo']);
    assert.equal(spaced.code, 2);
    assert.deepEqual(JSON.parse(spaced.stdout), { error: 'INVALID_ARGUMENT', message: '--token: must be printable ASCII without spaces' });
    assert.ok(!spaced.stderr.includes('secret'));
  });

  it('--help documents the token options', async () => {
    const r = await runCli(['--help']);
    for (const word of ['--token <token>', 'VMAPCTL_TOKEN', '--tls-ca <file>', '--tls-cert <file>', '--tls-key <file>', 'VMAPCTL_TLS_CA', '--version']) {
      assert.ok(r.stdout.includes(word), `--help lacks ${word}`);
    }
  });
});
