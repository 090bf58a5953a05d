import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { parseTokens, TokenTable } from '../../src/auth/tokens.js';
import { call, collect, startTestServer, type TestServer } from '../helpers/server.js';

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789abc';
const ROOT = 'root-token-0123456789ab';

function md(token?: string): grpc.Metadata {
  const m = new grpc.Metadata();
  if (token !== undefined) m.set('authorization', `Bearer ${token}`);
  return m;
}

/** A unary call with `token` in its metadata. */
function as<T = Record<string, unknown>>(s: TestServer, token: string | undefined, method: string, req: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const fn = s.client[method]!;
    fn.call(s.client, req, md(token), (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
  });
}

function listAs(s: TestServer, token: string | undefined, req: object): Promise<Record<string, unknown>[]> {
  return new Promise((resolve, reject) => {
    const out: Record<string, unknown>[] = [];
    const stream = s.client.ListAreas!.call(s.client, req, md(token)) as grpc.ClientReadableStream<Record<string, unknown>>;
    stream.on('data', (m: Record<string, unknown>) => out.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

function code(c: grpc.status, pattern?: RegExp) {
  return (e: grpc.ServiceError): boolean => {
    assert.equal(e.code, c, `expected ${grpc.status[c]}, got ${grpc.status[e.code]}: ${e.details}`);
    if (pattern) assert.match(e.details, pattern);
    return true;
  };
}

function http(s: TestServer, path: string, token?: string, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return fetch(`${s.httpUrl}${path}`, { ...init, headers });
}

describe('tokens file', () => {
  it('reads lines and JSON, defaults the role to client, and names the bad line', () => {
    assert.deepEqual(parseTokens(`# comment\n${ALICE} alice\n\n${ROOT} root admin # trailing\n`, 't'), [
      { token: ALICE, owner: 'alice', role: 'client' },
      { token: ROOT, owner: 'root', role: 'admin' },
    ]);
    assert.deepEqual(parseTokens(JSON.stringify([{ token: BOB, owner: 'bob', role: 'admin' }]), 't'), [{ token: BOB, owner: 'bob', role: 'admin' }]);
    assert.throws(() => parseTokens(`${ALICE} alice superuser\n`, 'f'), /f:1: role must be client or admin/);
    assert.throws(() => parseTokens('short alice\n', 'f'), /f:1: a token must be at least 16 characters/);
    assert.throws(() => parseTokens(`${ALICE} alice\n${ALICE} bob\n`, 'f'), /f:2: the same token appears twice/);
    assert.throws(() => parseTokens('# nothing\n', 'f'), /f: no tokens/);
    // The message never repeats a token.
    try {
      parseTokens(`${ALICE} al!ce\n`, 'f');
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(!(err as Error).message.includes(ALICE));
    }
  });

  it('looks tokens up by digest', () => {
    const table = new TokenTable(parseTokens(`${ALICE} alice\n${ROOT} root admin\n`, 't'));
    assert.deepEqual(table.lookup(ALICE), { owner: 'alice', role: 'client' });
    assert.deepEqual(table.lookup(ROOT), { owner: 'root', role: 'admin' });
    assert.equal(table.lookup(ALICE + 'x'), undefined);
    assert.equal(table.lookup(''), undefined);
  });
});

describe('identity, ownership and roles', () => {
  let s: TestServer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmapd-auth-'));
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, `${ALICE} alice\n${BOB} bob client\n${ROOT} root admin\n`);
    s = await startTestServer({ tokens, quotaAreas: 3, quotaBytes: 64 * 1024 });
  });
  after(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes and listings need a valid token; meminfo and health stay open', async () => {
    await assert.rejects(call(s.client, 'Alloc', { size: '4096' }), code(grpc.status.UNAUTHENTICATED, /missing/));
    await assert.rejects(as(s, 'not-a-real-token-at-all', 'Alloc', { size: '4096' }), code(grpc.status.UNAUTHENTICATED, /unknown token/));
    await assert.rejects(listAs(s, undefined, {}), code(grpc.status.UNAUTHENTICATED));
    await assert.rejects(as(s, undefined, 'Purge', {}), code(grpc.status.UNAUTHENTICATED));
    const res = await http(s, '/v1/areas', undefined, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"size":4096}' });
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await http(s, '/v1/areas', 'Basic abc', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"size":4096}' })).status, 401);
    assert.equal((await http(s, '/vmallocinfo')).status, 401);
    for (const path of ['/meminfo', '/healthz', '/readyz', '/metrics']) assert.equal((await http(s, path)).status, 200, path);
    assert.equal((await call(s.client, 'MemInfo', {})).nr_areas, '0', 'nothing was allocated by the refused calls');
  });

  it('areas belong to their owner: only they or an admin may free them', async () => {
    const a = await as(s, ALICE, 'Alloc', { size: '4096', caller: 'alice-job' });
    assert.equal(a.owner, 'alice');
    const b = await as(s, BOB, 'Alloc', { size: '4096' });
    assert.equal(b.owner, 'bob');
    await assert.rejects(as(s, BOB, 'Free', { addr: a.addr }), code(grpc.status.PERMISSION_DENIED, /another owner/));
    const denied = await http(s, `/v1/areas/${a.addr}`, BOB, { method: 'DELETE' });
    assert.equal(denied.status, 403);
    assert.equal((await as(s, ALICE, 'Find', { addr: a.addr })).addr, a.addr, 'the area is still busy');
    await as(s, ALICE, 'Free', { addr: a.addr });
    await as(s, ROOT, 'Free', { addr: b.addr }, ); // an admin may free anyone's
    await as(s, ROOT, 'Purge', {});
  });

  it('clients see only their own areas in listings and finds; admins see all', async () => {
    const a = await as(s, ALICE, 'Alloc', { size: '4096' });
    const b = await as(s, BOB, 'Alloc', { size: '4096' });
    assert.deepEqual(
      (await listAs(s, ALICE, {})).map((x) => x.addr),
      [a.addr],
    );
    assert.deepEqual(
      (await listAs(s, ROOT, {})).map((x) => x.addr),
      [a.addr, b.addr],
    );
    await assert.rejects(as(s, ALICE, 'Find', { addr: b.addr }), code(grpc.status.NOT_FOUND));
    assert.equal((await as(s, ROOT, 'Find', { addr: b.addr })).owner, 'bob');
    const aliceView = await (await http(s, '/vmallocinfo', ALICE)).text();
    assert.equal(aliceView.trimEnd().split('\n').length, 1);
    assert.match(aliceView, /owner=alice/);
    const rootView = await (await http(s, '/vmallocinfo', ROOT)).text();
    assert.equal(rootView.trimEnd().split('\n').length, 2);
    await as(s, ALICE, 'Free', { addr: a.addr });
    await as(s, BOB, 'Free', { addr: b.addr });
    assert.equal((await listAs(s, ALICE, { include_lazy: true })).length, 0, 'lazy areas have no owner to show a client');
    assert.equal((await listAs(s, ROOT, { include_lazy: true })).length, 2);
    await as(s, ROOT, 'Purge', {});
  });

  it('quotas per owner answer RESOURCE_EXHAUSTED naming the quota', async () => {
    const mine = [];
    for (let i = 0; i < 3; i++) mine.push(await as(s, ALICE, 'Alloc', { size: '4096' }));
    await assert.rejects(as(s, ALICE, 'Alloc', { size: '4096' }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(e.details, /^quota-areas: alice already holds 3 of its 3 areas/);
      assert.deepEqual(e.metadata.get('vmap-quota'), ['quota-areas']);
      return true;
    });
    // Bob's quota is his own.
    const bobs = await as(s, BOB, 'Alloc', { size: String(40 * 1024) });
    const over = await http(s, '/v1/areas', BOB, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ size: 24 * 1024 }) });
    assert.equal(over.status, 429);
    const body = (await over.json()) as { quota: string; message: string };
    assert.equal(body.quota, 'quota-bytes');
    assert.match(body.message, /^quota-bytes: bob holds 45056 bytes; 28672 more would pass its 65536/);
    // Freeing gives quota back at once, even while the area is lazy.
    await as(s, ALICE, 'Free', { addr: mine[0]!.addr });
    mine[0] = await as(s, ALICE, 'Alloc', { size: '4096' });
    for (const x of mine) await as(s, ALICE, 'Free', { addr: x.addr });
    await as(s, BOB, 'Free', { addr: bobs.addr });
    await as(s, ROOT, 'Purge', {});
  });

  it('request ids are scoped to their owner', async () => {
    const a = await as(s, ALICE, 'Alloc', { size: '4096', request_id: 'job' });
    const b = await as(s, BOB, 'Alloc', { size: '4096', request_id: 'job' });
    assert.notEqual(a.addr, b.addr);
    assert.equal((await as(s, ALICE, 'Alloc', { size: '4096', request_id: 'job' })).addr, a.addr);
    await as(s, ALICE, 'Free', { addr: a.addr });
    await as(s, BOB, 'Free', { addr: b.addr });
    await as(s, ROOT, 'Purge', {});
  });
});

describe('--protect-reads', () => {
  it('puts /meminfo, /metrics, health and MemInfo behind a token too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmapd-auth-'));
    const tokens = join(dir, 'tokens.json');
    writeFileSync(tokens, JSON.stringify([{ token: ALICE, owner: 'alice' }]));
    const s = await startTestServer({ tokens, protectReads: true });
    try {
      for (const path of ['/meminfo', '/metrics', '/healthz', '/readyz']) {
        assert.equal((await http(s, path)).status, 401, path);
        assert.equal((await http(s, path, ALICE)).status, 200, path);
      }
      await assert.rejects(call(s.client, 'MemInfo', {}), code(grpc.status.UNAUTHENTICATED));
      assert.equal((await as(s, ALICE, 'MemInfo', {})).nr_areas, '0');
      assert.equal((await collect(s.client, 'ListAreas', {}).catch((e: grpc.ServiceError) => e.code)), grpc.status.UNAUTHENTICATED);
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a bad tokens file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmapd-auth-'));
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, `${ALICE} alice root\n`);
    try {
      await assert.rejects(startTestServer({ tokens }), /tokens:1: role must be client or admin/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
