/**
 * VmapClient over TLS and mutual TLS, with a token: certificates made with
 * openssl in a temporary directory, PEM given as paths, Buffers or text.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { VmapClient, VmapClientError } from '../../src/client/index.js';
import { makeCa, makeCert, NO_OPENSSL } from '../helpers/certs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const TOKEN = 'alice-tls-token-0123456789ab';
const FEW = { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 };

describe('VmapClient TLS', { skip: NO_OPENSSL }, () => {
  let dir: string;
  let tls: TestServer;
  let mutual: TestServer;
  const file = (name: string): string => join(dir, name);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmap-client-tls-'));
    await makeCa(dir, 'ca');
    await makeCa(dir, 'rogue-ca');
    await makeCert(dir, 'server', 'ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
    await makeCert(dir, 'client', 'ca', 'alice', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
    await makeCert(dir, 'rogue', 'rogue-ca', 'mallory', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
    writeFileSync(file('tokens'), `${TOKEN} alice\n`);
    tls = await startTestServer({ tlsCert: file('server.pem'), tlsKey: file('server.key'), tokens: file('tokens') });
    mutual = await startTestServer({ tlsCert: file('server.pem'), tlsKey: file('server.key'), tlsClientCa: file('ca.pem') });
  });
  after(async () => {
    await tls.stop();
    await mutual.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('TLS with the CA as a path, and the token on every call', async () => {
    const vmap = new VmapClient({ targets: tls.grpcTarget, tls: { ca: file('ca.pem') }, token: TOKEN });
    try {
      const a = await vmap.alloc('8k');
      assert.equal(a.owner, 'alice');
      const owners: string[] = [];
      for await (const x of vmap.listAreas()) owners.push(x.owner);
      assert.deepEqual(owners, ['alice']);
    } finally {
      vmap.close();
    }
  });

  it('TLS that does not check out: UNAVAILABLE, never sent (so retried), never answered', async () => {
    for (const options of [{ tls: { ca: file('rogue-ca.pem') } }, { tls: true }, {}]) {
      const vmap = new VmapClient({ targets: tls.grpcTarget, token: TOKEN, retry: FEW, ...options });
      try {
        await assert.rejects(vmap.memInfo(), (e: unknown) => e instanceof VmapClientError && e.code === 'UNAVAILABLE' && e.attempts === 2 && e.vmapCode === undefined);
      } finally {
        vmap.close();
      }
    }
  });

  it('mutual TLS with the certificate and key as Buffers, or as PEM text', async () => {
    for (const tlsOptions of [
      { ca: readFileSync(file('ca.pem')), cert: readFileSync(file('client.pem')), key: readFileSync(file('client.key')) },
      { ca: readFileSync(file('ca.pem'), 'utf8'), cert: readFileSync(file('client.pem'), 'utf8'), key: file('client.key') },
    ]) {
      const vmap = new VmapClient({ targets: mutual.grpcTarget, tls: tlsOptions });
      try {
        assert.equal(typeof (await vmap.memInfo()).nrAreas, 'number');
      } finally {
        vmap.close();
      }
    }
  });

  it('mutual TLS without a client certificate, or with one of another CA: refused', async () => {
    for (const extra of [{}, { cert: file('rogue.pem'), key: file('rogue.key') }]) {
      const vmap = new VmapClient({ targets: mutual.grpcTarget, tls: { ca: file('ca.pem'), ...extra }, retry: FEW });
      try {
        await assert.rejects(vmap.memInfo(), (e: unknown) => e instanceof VmapClientError && e.code === 'UNAVAILABLE');
      } finally {
        vmap.close();
      }
    }
  });

  it('a key that is not the certificate’s is refused at construction', () => {
    assert.throws(
      () => new VmapClient({ targets: mutual.grpcTarget, tls: { ca: file('ca.pem'), cert: file('client.pem'), key: file('rogue.key') } }),
      (e: unknown) => e instanceof VmapClientError && e.code === 'INVALID_ARGUMENT' && e.field === 'tls',
    );
  });
});
