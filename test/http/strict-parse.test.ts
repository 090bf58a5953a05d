import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { expectError, meminfoText, post } from './http-client.js';

describe('HTTP edge: numbers and addresses are parsed strictly', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('refuses a size with whitespace or trailing bytes, naming size, and allocates nothing', async () => {
    const before = await meminfoText(s);
    for (const size of [' 4096', '4096 ', '4096\n', '\t4096', '0x1000 ', '4096\u0000', '\u00a04096', '+4096']) {
      const err = await expectError(await post(s, '/v1/areas', { size }), 400, 'InvalidArgument', JSON.stringify(size));
      assert.equal(err.field, 'size');
      assert.match(err.message, /^size: /);
    }
    for (const align of [' 4096', '4096\n']) {
      const err = await expectError(await post(s, '/v1/areas', { size: 4096, align }), 400, 'InvalidArgument', JSON.stringify(align));
      assert.equal(err.field, 'align');
    }
    assert.equal(await meminfoText(s), before, 'nothing was allocated');
  });

  it('refuses DELETE of an address with a trailing %0a (or any byte around it), naming addr, and frees nothing', async () => {
    const area = (await (await post(s, '/v1/areas', { size: 4096 })).json()) as { addr: string };
    assert.equal(area.addr, '0xffffc90000000000');
    const before = await meminfoText(s);
    for (const suffix of ['%0a', '%20', '%09', '%0d%0a', '%00', 'g']) {
      const res = await fetch(`${s.httpUrl}/v1/areas/${area.addr}${suffix}`, { method: 'DELETE' });
      const err = await expectError(res, 400, 'InvalidArgument', suffix);
      assert.equal(err.field, 'addr');
    }
    const leading = await fetch(`${s.httpUrl}/v1/areas/%20${area.addr}`, { method: 'DELETE' });
    assert.equal((await expectError(leading, 400, 'InvalidArgument', 'leading space')).field, 'addr');
    assert.equal(await meminfoText(s), before, 'nothing was freed');
    const still = await fetch(`${s.httpUrl}/v1/areas/${area.addr}`);
    assert.equal(still.status, 200);
    assert.equal(((await still.json()) as { lazy: boolean }).lazy, false, 'the area is still busy');
    const find = await fetch(`${s.httpUrl}/v1/areas/${area.addr}%0a`);
    assert.equal((await expectError(find, 400, 'InvalidArgument', 'GET with %0a')).field, 'addr');
    assert.equal((await fetch(`${s.httpUrl}/v1/areas/${area.addr}`, { method: 'DELETE' })).status, 200);
    assert.equal((await post(s, '/v1/purge', {})).status, 200);
  });

  it('refuses query numbers with whitespace or trailing bytes, naming the parameter', async () => {
    for (const [query, field] of [
      ['limit=%201', 'limit'],
      ['limit=1%0a', 'limit'],
      ['limit=', 'limit'],
      ['from=0xffffc90000000000%0a', 'from'],
      ['from=%200', 'from'],
      ['limit=1&limit=2', 'limit'],
    ] as const) {
      const err = await expectError(await fetch(`${s.httpUrl}/vmallocinfo?${query}`), 400, 'InvalidArgument', query);
      assert.equal(err.field, field, query);
    }
  });
});

describe('HTTP edge: JSON numbers arrive exactly', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('prints the exact digits of integers beyond 2^53 in its messages', async () => {
    const before = await meminfoText(s);
    const cases: [string, string, RegExp][] = [
      // 2^63 + 1 is no power of two; JSON.parse would have rounded it to 2^63, which is one.
      ['{"size": 4096, "align": 9223372036854775809}', 'align', /got 9223372036854775809$/],
      ['{"size": 18446744073709551615}', 'size', /^size: 18446744073709551615 bytes exceed/],
      ['{"size": 18446744073709551616}', 'size', /must fit in 64 bits.*got 18446744073709551616$/],
      ['{"size": 123456789012345678901234567890}', 'size', /got 123456789012345678901234567890$/],
      ['{"size": -18446744073709551616}', 'size', /must not be negative, got -18446744073709551616$/],
      ['{"size": 4096.5}', 'size', /got 4096\.5$/],
      ['{"size": 4096.00000000000000001}', 'size', /got 4096\.00000000000000001$/],
      ['{"size": 1e400}', 'size', /got 1e400$/],
      ['{"size": 4096, "vstart": 18446744073709551615}', 'vstart', /^vstart: 0xffffffffffffffff lies outside/],
    ];
    for (const [body, field, message] of cases) {
      const err = await expectError(await post(s, '/v1/areas', body), 400, 'InvalidArgument', body);
      assert.equal(err.field, field, body);
      assert.match(err.message, message, body);
    }
    assert.equal(await meminfoText(s), before, 'nothing was allocated');
  });

  it('takes integers in any JSON notation, and large addresses as numbers, exactly', async () => {
    const a = await post(s, '/v1/areas', '{"size": 4.096e3}');
    assert.equal(a.status, 201, await a.clone().text());
    assert.equal(((await a.json()) as { size: number }).size, 4096);
    // 0xffffc90000100000 as a JSON number: beyond 2^53, so JSON.parse alone would round it.
    const vstart = (0xffffc90000100000n).toString();
    const b = await post(s, '/v1/areas', `{"size": 4096, "vstart": ${vstart}}`);
    assert.equal(b.status, 201, await b.clone().text());
    assert.equal(((await b.json()) as { addr: string }).addr, '0xffffc90000100000');
  });

  it('still refuses a body over the limit with 413', async () => {
    const err = await expectError(await post(s, '/v1/areas', { size: 4096, caller: 'x'.repeat(70 * 1024) }), 413, 'PayloadTooLarge');
    assert.match(err.message, /65536 bytes/);
  });
});
