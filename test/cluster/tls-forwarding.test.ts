/**
 * A standby of a node group that serves TLS forwards writes to the leader
 * over TLS: checking the leader's certificate against --tls-peer-ca, and
 * under mutual TLS presenting its own. Real certificates (openssl), two
 * vmapd processes on a throwaway PostgreSQL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { VmapClient } from '../../src/grpc/proto.js';
import { makeCa, makeCert, NO_OPENSSL } from '../helpers/certs.js';
import { leaseRow, startNode, stopNode, writersOf, type Node } from '../helpers/cluster-nodes.js';
import { postgresSkip, TestPostgres, waitFor } from '../helpers/postgres.js';
import { call, type TestServer } from '../helpers/server.js';

/** The nodes' certificate: for 127.0.0.1, where they advertise themselves, and usable as a client's under mutual TLS. */
const NODE_EXT = 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n';

describe('forwarding writes over TLS', { skip: postgresSkip || NO_OPENSSL }, () => {
  let pg: TestPostgres;
  let dir: string;
  const file = (name: string): string => join(dir, name);
  const clients: grpc.Client[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmapd-tls-fwd-'));
    await makeCa(dir, 'ca');
    await makeCa(dir, 'rogue-ca');
    await makeCert(dir, 'node', 'ca', 'vmapd node', NODE_EXT);
    await makeCert(dir, 'client', 'ca', 'alice', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
    pg = await TestPostgres.start();
  });

  after(async () => {
    for (const c of clients) c.close();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A gRPC client of `node` over TLS, trusting the test CA; with the client certificate under mutual TLS. */
  function tlsClient(node: Node, mutual: boolean): TestServer['client'] {
    const ca = readFileSync(file('ca.pem'));
    const creds = mutual ? grpc.credentials.createSsl(ca, readFileSync(file('client.key')), readFileSync(file('client.pem'))) : grpc.credentials.createSsl(ca);
    const c = new VmapClient(`127.0.0.1:${node.server.grpcPort}`, creds) as TestServer['client'];
    clients.push(c);
    return c;
  }

  /** `/meminfo?format=json`'s generation over HTTPS. */
  function generation(node: Node): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = https.get(`https://127.0.0.1:${node.server.httpPort}/meminfo?format=json`, { ca: readFileSync(file('ca.pem')), servername: 'localhost', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve((JSON.parse(body) as { generation: number }).generation) : reject(new Error(`/meminfo answered ${res.statusCode}`))));
      });
      req.on('error', reject);
    });
  }

  /** Two nodes on a new database with `tls` options, the first leading; stopped by their pids after `fn`. */
  async function withPair(tls: string[], fn: (leader: Node, standby: Node, url: string) => Promise<void>): Promise<void> {
    const url = await pg.createDatabase();
    const leader = await startNode(url, ['--tls-cert', file('node.pem'), '--tls-key', file('node.key'), ...tls]);
    try {
      const standby = await startNode(url, ['--tls-cert', file('node.pem'), '--tls-key', file('node.key'), ...tls]);
      try {
        assert.equal((await leaseRow(pg, url)).advertise, leader.advertise, 'the first node leads');
        await fn(leader, standby, url);
      } finally {
        await stopNode(standby);
      }
    } finally {
      await stopNode(leader);
    }
  }

  /** Alloc and Free sent to the standby are committed by the leader, which the standby then follows. */
  async function writesLandOnLeader(leader: Node, standby: Node, url: string, mutual: boolean): Promise<void> {
    const viaStandby = tlsClient(standby, mutual);
    const onLeader = tlsClient(leader, mutual);
    const before = await generation(leader);
    const area = await call<{ addr: string; caller: string }>(viaStandby, 'Alloc', { size: '8192', caller: 'tls-forwarded', request_id: 'tls-1' }, { deadline: Date.now() + 20_000 });
    assert.equal(area.caller, 'tls-forwarded');
    const found = await call<{ addr: string; caller: string }>(onLeader, 'Find', { addr: area.addr });
    assert.equal(found.addr, area.addr, 'the leader holds the area the standby answered with');
    assert.equal(await generation(leader), before + 1, 'the leader committed it');
    await call(viaStandby, 'Free', { addr: area.addr }, { deadline: Date.now() + 20_000 });
    assert.equal(await generation(leader), before + 2, 'and the Free');
    await waitFor('the standby at the leader\'s generation', async () => (await generation(standby)) === before + 2);
    assert.equal(writersOf(standby).length, 0, 'the standby never led');
    assert.equal((await leaseRow(pg, url)).advertise, leader.advertise);
    const logged = await pg.sql<{ n: string }>('SELECT count(*)::text AS n FROM vmapd_change_log', [], url);
    assert.equal(Number(logged[0]!.n), before + 2, 'two batches in the change log, both the leader\'s');
  }

  it('with --tls-peer-ca, a write sent to the standby over TLS is committed by the leader', async () => {
    await withPair(['--tls-peer-ca', file('ca.pem')], (leader, standby, url) => writesLandOnLeader(leader, standby, url, false));
  });

  it('under mutual TLS the standby presents its own certificate, and the leader takes the forwarded write', async () => {
    await withPair(['--tls-peer-ca', file('ca.pem'), '--tls-client-ca', file('ca.pem')], (leader, standby, url) => writesLandOnLeader(leader, standby, url, true));
  });

  it('a standby that does not trust the leader\'s certificate forwards nothing', async () => {
    await withPair(['--tls-peer-ca', file('rogue-ca.pem')], async (leader, standby) => {
      const before = await generation(leader);
      await assert.rejects(call(tlsClient(standby, false), 'Alloc', { size: '8192', caller: 'untrusted' }, { deadline: Date.now() + 3000 }), (err: grpc.ServiceError) => {
        assert.ok(err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED, `${grpc.status[err.code]}: ${err.details}`);
        return true;
      });
      assert.equal(await generation(leader), before, 'nothing was committed');
    });
  });
});
