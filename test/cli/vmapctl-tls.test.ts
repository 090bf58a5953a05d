/**
 * vmapctl against vmapd with TLS and with mutual TLS: certificates made in
 * the test with openssl (a CA, a server certificate for 127.0.0.1, a client
 * certificate from that CA and one from a CA vmapd does not know).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { deadPort, runCli, type Run } from './vmapctl-run.js';
import { makeCa, makeCert, NO_OPENSSL } from '../helpers/certs.js';


/** A failed run: exit 1, nothing on stdout, `status` first on stderr, then the hint, as the lines of stderr. */
function failed(r: Run, status: RegExp): string[] {
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.match(lines[0]!, new RegExp(`^vmapctl: (${status.source}): `), r.stderr);
  return lines;
}

const ALICE = 'alice-cli-tls-token-0123456789';

describe('vmapctl with TLS', { skip: NO_OPENSSL }, () => {
  let dir: string;
  let tls: TestServer;
  let mutual: TestServer;
  let plain: TestServer;
  const file = (name: string): string => join(dir, name);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmapctl-tls-'));
    await Promise.all([makeCa(dir, 'ca'), makeCa(dir, 'rogue-ca')]);
    await Promise.all([
      makeCert(dir, 'server', 'ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n'),
      makeCert(dir, 'client', 'ca', 'alice', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n'),
      makeCert(dir, 'rogue', 'rogue-ca', 'mallory', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n'),
    ]);
    const tokens = file('tokens');
    writeFileSync(tokens, `${ALICE} alice\n`);
    tls = await startTestServer({ tlsCert: file('server.pem'), tlsKey: file('server.key') });
    mutual = await startTestServer({ tlsCert: file('server.pem'), tlsKey: file('server.key'), tlsClientCa: file('ca.pem'), tokens });
    plain = await startTestServer();
  });

  after(async () => {
    await tls?.stop();
    await mutual?.stop();
    await plain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--tls-ca and VMAPCTL_TLS_CA: calls and listings over TLS, and nothing on stderr', async () => {
    const r = await runCli(['--target', tls.grpcTarget, '--tls-ca', file('ca.pem'), '--json', 'alloc', '8k', '--caller', 'tls']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no warning about the IP address as TLS server name either');
    const a = JSON.parse(r.stdout) as { addr: string; owner: string };
    assert.equal(a.owner, 'anonymous');
    const ls = await runCli(['--target', tls.grpcTarget, 'ls'], { VMAPCTL_TLS_CA: file('ca.pem') });
    assert.equal(ls.code, 0, ls.stderr);
    assert.equal(ls.stderr, '');
    assert.ok(ls.stdout.startsWith(`${a.addr}-`), ls.stdout);
  });

  it('plaintext to a TLS vmapd fails with UNAVAILABLE and a hint to pass --tls-ca', async () => {
    const lines = failed(await runCli(['--target', tls.grpcTarget, '--timeout', '5000', 'meminfo']), /UNAVAILABLE/);
    assert.equal(lines[1], 'vmapctl: hint: if vmapd speaks TLS there, pass --tls-ca <file> (the CA that signed its certificate)');
    assert.equal(lines.length, 2, 'one line of details, one of hint');
  });

  it('a CA that did not sign vmapd’s certificate fails with a hint about --tls-ca', async () => {
    const lines = failed(await runCli(['--target', tls.grpcTarget, '--timeout', '5000', '--tls-ca', file('rogue-ca.pem'), 'meminfo']), /UNAVAILABLE/);
    assert.match(lines[1]!, /^vmapctl: hint: vmapd's certificate does not check out: --tls-ca must be the CA that signed it/);
  });

  it('--tls-ca to a plaintext vmapd fails with a hint to leave it out', async () => {
    const lines = failed(await runCli(['--target', plain.grpcTarget, '--timeout', '5000', '--tls-ca', file('ca.pem'), 'meminfo']), /UNAVAILABLE/);
    assert.equal(lines[1], 'vmapctl: hint: vmapd does not speak TLS there: leave out --tls-ca');
  });

  it('an unreachable target gets no TLS hint: nothing listens there', async () => {
    const lines = failed(await runCli(['--target', `127.0.0.1:${await deadPort()}`, '--timeout', '5000', '--tls-ca', file('ca.pem'), 'meminfo']), /UNAVAILABLE|DEADLINE_EXCEEDED/);
    assert.equal(lines.length, 1, lines.join('\n'));
  });

  it('mutual TLS: --tls-cert and --tls-key with a token work; the owner still comes from the token', async () => {
    const args = ['--target', mutual.grpcTarget, '--tls-ca', file('ca.pem'), '--tls-cert', file('client.pem'), '--tls-key', file('client.key')];
    const r = await runCli([...args, '--token', ALICE, '--json', 'alloc', '4k']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal((JSON.parse(r.stdout) as { owner: string }).owner, 'alice');
    // The same from the environment; without the token the certificate alone does not authenticate.
    const env = { VMAPCTL_TLS_CA: file('ca.pem'), VMAPCTL_TLS_CERT: file('client.pem'), VMAPCTL_TLS_KEY: file('client.key') };
    const noToken = await runCli(['--target', mutual.grpcTarget, 'alloc', '4k'], env);
    assert.match(failed(noToken, /UNAUTHENTICATED/)[1]!, /--token <token> or set VMAPCTL_TOKEN/);
    const meminfo = await runCli(['--target', mutual.grpcTarget, '--json', 'meminfo'], env);
    assert.equal(meminfo.code, 0, meminfo.stderr);
    assert.equal((JSON.parse(meminfo.stdout) as { nr_areas: number }).nr_areas, 1);
  });

  it('mutual TLS without a client certificate fails with a hint to pass --tls-cert and --tls-key', async () => {
    const lines = failed(await runCli(['--target', mutual.grpcTarget, '--timeout', '5000', '--tls-ca', file('ca.pem'), '--token', ALICE, 'meminfo']), /UNAVAILABLE/);
    // An alert or a reset, depending on which the client reads first.
    assert.match(lines[1]!, /^vmapctl: hint: vmapd (wants a client certificate:|closed the connection: if it wants a client certificate,) pass --tls-cert <file> and --tls-key <file>$/);
  });

  it('mutual TLS with a certificate from a CA vmapd does not trust does not get through', async () => {
    const r = await runCli(['--target', mutual.grpcTarget, '--timeout', '5000', '--tls-ca', file('ca.pem'), '--tls-cert', file('rogue.pem'), '--tls-key', file('rogue.key'), '--token', ALICE, 'meminfo']);
    // An alert or a reset, depending on which the client reads first.
    assert.match(failed(r, /UNAVAILABLE/)[1]!, /^vmapctl: hint: vmapd (refused the client certificate|closed the connection): .*--tls-cert.* signed by the CA vmapd trusts/);
  });

  it('bad TLS options exit 2 before connecting, naming the option and the path', async () => {
    const dead = `127.0.0.1:${await deadPort()}`;
    const usage = async (args: string[], env: Record<string, string>, expected: RegExp): Promise<void> => {
      const r = await runCli(['--target', dead, ...args], env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(`^vmapctl: INVALID_ARGUMENT: ${expected.source}`), args.join(' '));
    };
    const missing = file('missing.pem');
    // One at a time: each is a node start, and the machine is shared.
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--tls-ca', missing, 'meminfo'], {}, new RegExp(`--tls-ca ${missing}: ENOENT`)],
      [['meminfo'], { VMAPCTL_TLS_CA: missing }, new RegExp(`VMAPCTL_TLS_CA ${missing}: ENOENT`)],
      [['--tls-ca', dir, 'meminfo'], {}, new RegExp(`--tls-ca ${dir}: EISDIR`)],
      // A file with no certificate in it.
      [['--tls-ca', file('server.ext'), 'meminfo'], {}, new RegExp(`--tls-ca ${file('server.ext')}: `)],
      [['--tls-ca', file('ca.pem'), '--tls-cert', file('client.pem'), 'meminfo'], {}, /--tls-cert and --tls-key go together/],
      [['--tls-ca', file('ca.pem'), '--tls-key', file('client.key'), 'meminfo'], {}, /--tls-cert and --tls-key go together/],
      [['--tls-cert', file('client.pem'), '--tls-key', file('client.key'), 'meminfo'], {}, /--tls-cert and --tls-key need TLS: pass --tls-ca too/],
      [['--tls-ca', file('ca.pem'), '--tls-cert', file('client.pem'), 'meminfo'], { VMAPCTL_TLS_KEY: missing }, new RegExp(`VMAPCTL_TLS_KEY ${missing}: ENOENT`)],
      [['--tls-ca', file('ca.pem'), '--tls-cert', file('client.pem'), '--tls-key', file('server.key'), 'meminfo'], {}, new RegExp(`--tls-cert ${file('client.pem')}, --tls-key ${file('server.key')}: .*key values mismatch`)],
    ];
    for (const [args, env, expected] of cases) await usage(args, env, expected);
  });
});
