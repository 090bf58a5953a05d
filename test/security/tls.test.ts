/**
 * TLS and mutual TLS against a real vmapd (issue 6): certificates made in the
 * test with openssl (a CA, a server certificate for 127.0.0.1/localhost,
 * client certificates from that CA and from a CA the server does not know).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import type { VmapdConfig } from '../../src/config.js';
import { VmapClient } from '../../src/grpc/proto.js';
import { cliPath, startTestServer, type TestServer } from '../helpers/server.js';
import { makeCa, makeCert, NO_OPENSSL } from '../helpers/certs.js';

const run = promisify(execFile);

const BASE = 0xffffc90000000000n;


type Client = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

/** A unary call with optional metadata; rejects with the ServiceError. */
function unary<T = Record<string, string>>(client: Client, method: string, request: object, md = new grpc.Metadata()): Promise<T> {
  return new Promise((resolve, reject) => {
    // A deadline only so that a broken handshake cannot hang the test; no assertion reads it.
    client[method]!.call(client, request, md, { deadline: Date.now() + 20_000 }, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

function bearer(token: string): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
}

/** A gRPC failure to connect: no answer from vmapd at all. */
function notConnected(err: unknown): boolean {
  const e = err as grpc.ServiceError;
  assert.ok(e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED, `expected no connection, got ${grpc.status[e.code]}: ${e.details}`);
  return true;
}

/** GET over HTTPS (or plain HTTP) with node's client; resolves with status and body. */
function get(url: string, options: https.RequestOptions = {}): Promise<{ status: number; body: string }> {
  const mod = url.startsWith('https:') ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, { agent: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS', { skip: NO_OPENSSL }, () => {
  let dir: string;
  let ca: Buffer;
  const file = (name: string): string => join(dir, name);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmapd-tls-'));
    await makeCa(dir, 'ca');
    await makeCa(dir, 'rogue-ca');
    await makeCert(dir, 'server', 'ca', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
    await makeCert(dir, 'client', 'ca', 'alice', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
    await makeCert(dir, 'rogue', 'rogue-ca', 'mallory', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
    ca = readFileSync(file('ca.pem'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('--tls-cert and --tls-key', () => {
    let s: TestServer;
    const clients: grpc.Client[] = [];
    const client = (creds: grpc.ChannelCredentials): Client => {
      const c = new VmapClient(`127.0.0.1:${s.vmapd.grpcPort}`, creds) as Client;
      clients.push(c);
      return c;
    };

    before(async () => {
      s = await startTestServer({ tlsCert: file('server.pem'), tlsKey: file('server.key') });
    });

    after(async () => {
      for (const c of clients) c.close();
      await s?.stop();
    });

    it('HTTPS answers /meminfo to a client that trusts the CA, for 127.0.0.1 and for localhost by name', async () => {
      const res = await get(`https://127.0.0.1:${s.vmapd.httpPort}/meminfo?format=json`, { ca });
      assert.equal(res.status, 200);
      assert.equal((JSON.parse(res.body) as { vmalloc_total_kb: number }).vmalloc_total_kb, 32 * 1024 ** 3 - 1);
      // The name in the certificate, still connecting to 127.0.0.1.
      const byName = await get(`https://127.0.0.1:${s.vmapd.httpPort}/healthz`, { ca, servername: 'localhost', headers: { host: 'localhost' } });
      assert.equal(byName.status, 200);
    });

    it('HTTPS is refused by a client that does not trust the CA, and plain HTTP gets no answer', async () => {
      await assert.rejects(get(`https://127.0.0.1:${s.vmapd.httpPort}/meminfo`), (err: NodeJS.ErrnoException) => {
        assert.match(String(err.code), /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/, String(err.code));
        return true;
      });
      await assert.rejects(get(`http://127.0.0.1:${s.vmapd.httpPort}/meminfo`), 'a plaintext request gets no HTTP answer from the TLS port');
    });

    it('gRPC works over TLS with the CA trusted: Alloc, then MemInfo sees it', async () => {
      const c = client(grpc.credentials.createSsl(ca));
      const area = await unary(c, 'Alloc', { size: '8192', caller: 'tls' });
      assert.equal(area.addr, BASE.toString());
      assert.equal(area.owner, 'anonymous');
      const m = await unary(c, 'MemInfo', {});
      assert.equal(m.vmalloc_used_kb, '12');
      assert.equal(m.nr_areas, '1');
    });

    it('gRPC without TLS, or without trusting the CA, does not get through', async () => {
      await assert.rejects(unary(client(grpc.credentials.createInsecure()), 'MemInfo', {}), notConnected);
      await assert.rejects(unary(client(grpc.credentials.createSsl()), 'MemInfo', {}), notConnected);
      const rogueCa = readFileSync(file('rogue-ca.pem'));
      await assert.rejects(unary(client(grpc.credentials.createSsl(rogueCa)), 'MemInfo', {}), notConnected);
    });
  });

  describe('--tls-client-ca (mutual TLS on gRPC) with tokens', () => {
    let s: TestServer;
    const clients: grpc.Client[] = [];
    const client = (key?: string, cert?: string): Client => {
      const creds = key === undefined ? grpc.credentials.createSsl(ca) : grpc.credentials.createSsl(ca, readFileSync(file(key)), readFileSync(file(cert!)));
      const c = new VmapClient(`127.0.0.1:${s.vmapd.grpcPort}`, creds) as Client;
      clients.push(c);
      return c;
    };
    const ALICE = 'alice-tls-token-0123456789';
    const ROOT = 'root-tls-token-0123456789a';

    before(async () => {
      const tokens = file('tokens');
      writeFileSync(tokens, `${ALICE} alice\n${ROOT} root admin\n`);
      s = await startTestServer({ tlsCert: file('server.pem'), tlsKey: file('server.key'), tlsClientCa: file('ca.pem'), tokens });
    });

    after(async () => {
      for (const c of clients) c.close();
      await s?.stop();
    });

    it('a gRPC client without a certificate, or with one from another CA, does not get through', async () => {
      await assert.rejects(unary(client(), 'MemInfo', {}), notConnected);
      await assert.rejects(unary(client('rogue.key', 'rogue.pem'), 'MemInfo', {}), notConnected);
      await assert.rejects(unary(client('rogue.key', 'rogue.pem'), 'Alloc', { size: '4096' }, bearer(ALICE)), notConnected);
    });

    it('with a client certificate, the token still decides who calls: Alloc as alice, UNAUTHENTICATED without a token', async () => {
      const c = client('client.key', 'client.pem');
      const area = await unary(c, 'Alloc', { size: '4096', caller: 'mtls', request_id: 'tls-1' }, bearer(ALICE));
      assert.equal(area.owner, 'alice', 'the owner comes from the token');
      assert.equal(area.addr, BASE.toString());
      await assert.rejects(unary(c, 'Alloc', { size: '4096' }), (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.UNAUTHENTICATED, err.details);
        return true;
      });
      const m = await unary(c, 'MemInfo', {});
      assert.equal(m.nr_areas, '1', 'MemInfo stays open to a caller without a token; the refused Alloc left nothing');
      const freed = await unary(c, 'Free', { addr: area.addr }, bearer(ROOT));
      assert.equal(freed.freed_bytes, '8192', 'an admin frees alice’s area');
    });

    it('mutual TLS is for gRPC: HTTPS takes a client without a certificate, and its writes still need a token', async () => {
      const res = await get(`https://127.0.0.1:${s.vmapd.httpPort}/meminfo?format=json`, { ca });
      assert.equal(res.status, 200);
      const post = (headers: Record<string, string>): Promise<{ status: number; body: string }> =>
        new Promise((resolve, reject) => {
          const req = https.request(`https://127.0.0.1:${s.vmapd.httpPort}/v1/areas`, { method: 'POST', ca, agent: false, headers: { 'content-type': 'application/json', ...headers } }, (r) => {
            let body = '';
            r.on('data', (c: Buffer) => (body += c.toString()));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
          });
          req.on('error', reject);
          req.end(JSON.stringify({ size: 4096 }));
        });
      assert.equal((await post({})).status, 401);
      const created = await post({ authorization: `Bearer ${ALICE}` });
      assert.equal(created.status, 201, created.body);
      assert.equal((JSON.parse(created.body) as { owner: string }).owner, 'alice');
    });
  });

  describe('refusing to start', () => {
    /** The error vmapd refuses to start with; a server that starts anyway is stopped and fails the test. */
    async function refusal(overrides: Partial<VmapdConfig>): Promise<string> {
      let s: TestServer;
      try {
        s = await startTestServer(overrides);
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
      await s.stop();
      return assert.fail(`vmapd started with ${JSON.stringify(overrides)}`);
    }

    it('--tls-cert without --tls-key, and the reverse, with a clear message', async () => {
      assert.match(await refusal({ tlsCert: file('server.pem') }), /--tls-cert and --tls-key go together/);
      assert.match(await refusal({ tlsKey: file('server.key') }), /--tls-cert and --tls-key go together/);
    });

    it('--tls-client-ca without a certificate and key', async () => {
      assert.match(await refusal({ tlsClientCa: file('ca.pem') }), /--tls-client-ca needs --tls-cert and --tls-key/);
    });

    it('--tls-peer-ca without a certificate and key, or naming a file without a certificate', async () => {
      assert.match(await refusal({ tlsPeerCa: file('ca.pem') }), /--tls-peer-ca needs --tls-cert and --tls-key/);
      assert.match(await refusal({ tlsCert: file('server.pem'), tlsKey: file('server.key'), tlsPeerCa: file('server.ext') }), /--tls-peer-ca .*server\.ext: /);
    });

    it('a certificate file that is not there, a key of another certificate, a client CA file without a certificate: naming the options', async () => {
      assert.match(await refusal({ tlsCert: file('missing.pem'), tlsKey: file('server.key') }), /--tls-cert \S*missing\.pem: ENOENT/);
      assert.match(await refusal({ tlsCert: file('server.pem'), tlsKey: file('client.key') }), /--tls-cert .*server\.pem, --tls-key .*client\.key: .*key values mismatch/);
      assert.match(await refusal({ tlsCert: file('server.pem'), tlsKey: file('server.key'), tlsClientCa: file('server.ext') }), /--tls-client-ca .*server\.ext: /);
    });

    it('the vmapd command says why and exits non-zero', async () => {
      const r = await run(process.execPath, [cliPath('vmapd'), '--store', 'memory', '--grpc-port', '0', '--http-port', '0', '--tls-cert', file('server.pem')], { timeout: 20_000 }).then(
        () => ({ code: 0, stderr: '' }),
        (err: { code?: number; stderr?: string }) => ({ code: err.code ?? -1, stderr: err.stderr ?? '' }),
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /vmapd: cannot start: --tls-cert and --tls-key go together/);
    });
  });
});
