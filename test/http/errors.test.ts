import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { expectError, meminfoText, post } from './http-client.js';

/** Sends `request` on a raw socket and reads until the server closes it. */
function raw(s: TestServer, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(new URL(s.httpUrl).port), '127.0.0.1', () => socket.end(request));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

describe('HTTP edge: one error body everywhere', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('answers an unknown route 404 NotFound with the error body', async () => {
    for (const path of ['/nope', '/v1', '/v1/areas/0x1/extra', '/meminfo/']) {
      const err = await expectError(await fetch(`${s.httpUrl}${path}`), 404, 'NotFound', path);
      assert.match(err.message, /no route serves GET/);
    }
  });

  it('answers a known path with another method 405 MethodNotAllowed, with Allow', async () => {
    const res = await fetch(`${s.httpUrl}/meminfo`, { method: 'PUT', body: '' });
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    await expectError(res, 405, 'MethodNotAllowed', 'PUT /meminfo');
    const del = await fetch(`${s.httpUrl}/v1/purge`, { method: 'DELETE' });
    assert.equal(del.headers.get('allow'), 'POST');
    await expectError(del, 405, 'MethodNotAllowed', 'DELETE /v1/purge');
    const patch = await fetch(`${s.httpUrl}/v1/areas/0xffffc90000000000`, { method: 'PATCH' });
    assert.equal(patch.headers.get('allow'), 'DELETE, GET, HEAD');
    await expectError(patch, 405, 'MethodNotAllowed', 'PATCH an area');
  });

  it('names 413, 415 and malformed JSON for what they are, and they change nothing', async () => {
    const before = await meminfoText(s);
    await expectError(await post(s, '/v1/areas', { size: 4096, caller: 'x'.repeat(70 * 1024) }), 413, 'PayloadTooLarge', '413');
    const unsupported = await expectError(await post(s, '/v1/areas', 'size=4096', 'text/plain'), 415, 'UnsupportedMediaType', '415');
    assert.match(unsupported.message, /application\/json/);
    await expectError(await post(s, '/v1/areas', 'size=4096', 'application/x-www-form-urlencoded'), 415, 'UnsupportedMediaType', 'form');
    await expectError(await post(s, '/v1/purge', 'purge', 'text/plain'), 415, 'UnsupportedMediaType', '415 purge');
    for (const body of ['{"size": 40', '{"size":1,}', "{'size':1}", 'nope', '', '   ']) {
      const err = await expectError(await post(s, '/v1/areas', body), 400, 'MalformedJson', JSON.stringify(body));
      assert.match(err.message, /JSON|empty/);
    }
    await expectError(await post(s, '/v1/purge', '{"'), 400, 'MalformedJson', 'purge');
    assert.equal(await meminfoText(s), before);
  });

  it('refuses bodies nesting too deep or holding prototype keys as InvalidArgument naming body', async () => {
    for (const body of ['['.repeat(30000) + ']'.repeat(30000), '{"a":'.repeat(5000) + '1' + '}'.repeat(5000), '{"size":4096,"__proto__":{"x":1}}']) {
      const err = await expectError(await post(s, '/v1/areas', body), 400, 'InvalidArgument', body.slice(0, 20));
      assert.equal(err.field, 'body');
    }
  });

  it('gives a bad URL and a malformed request the error body too', async () => {
    await expectError(await fetch(`${s.httpUrl}/v1/areas/%zz`, { method: 'DELETE' }), 400, 'BadRequest', 'bad URL');
    const out = await raw(s, 'GET /meminfo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n');
    assert.match(out, /^HTTP\/1\.1 400 Bad Request\r\n/);
    const body = JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['error', 'message']);
    assert.equal(body.error, 'BadRequest');
  });
});

describe('HTTP edge: rate limit', () => {
  it('answers 429 TooManyRequests with the error body', async () => {
    const s = await startTestServer({ rateLimit: 1 });
    try {
      assert.equal((await post(s, '/v1/areas', { size: 4096 })).status, 201);
      const before = await meminfoText(s);
      const res = await post(s, '/v1/areas', { size: 4096 });
      assert.ok(res.headers.get('retry-after'));
      await expectError(res, 429, 'TooManyRequests');
      assert.equal(await meminfoText(s), before);
    } finally {
      await s.stop();
    }
  });
});
