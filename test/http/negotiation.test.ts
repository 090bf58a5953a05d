import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ReadMode } from '../../src/service/read-modes.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { expectError, post } from './http-client.js';

/** What GET /meminfo with `accept` (none if undefined) and `query` answers: its type, or its error. */
async function meminfo(s: TestServer, accept: string | undefined, query = ''): Promise<Response> {
  return fetch(`${s.httpUrl}/meminfo${query}`, { headers: accept === undefined ? {} : { accept } });
}

async function kindOf(res: Response): Promise<'text' | 'json'> {
  assert.equal(res.status, 200, await res.clone().text());
  const type = res.headers.get('content-type') ?? '';
  const body = await res.text();
  if (type.startsWith('application/json')) {
    assert.equal(typeof (JSON.parse(body) as { vmalloc_total_kb: number }).vmalloc_total_kb, 'number');
    return 'json';
  }
  assert.match(type, /^text\/plain/);
  assert.match(body, /^VmallocTotal:/);
  return 'text';
}

for (const readMode of ['snapshot', 'rcu-walk'] as ReadMode[]) {
  describe(`HTTP edge: /meminfo negotiates its format (${readMode})`, () => {
    let s: TestServer;
    before(async () => {
      s = await startTestServer({ readMode });
    });
    after(async () => {
      await s.stop();
    });

    it('follows Accept with its q-values', async () => {
      const cases: [string | undefined, 'text' | 'json'][] = [
        [undefined, 'text'],
        ['*/*', 'text'],
        ['', 'text'],
        ['application/json', 'json'],
        ['application/json;q=0.1, text/plain', 'text'],
        ['text/plain;q=0.2, application/json;q=0.9', 'json'],
        ['text/*;q=0.5, application/*;q=0.9', 'json'],
        ['text/html, application/json;q=0.5', 'json'],
        ['text/html, */*;q=0.1', 'text'],
        ['APPLICATION/JSON', 'json'],
      ];
      for (const [accept, want] of cases) assert.equal(await kindOf(await meminfo(s, accept)), want, `Accept: ${accept}`);
    });

    it('answers 406 NotAcceptable with the error body when Accept admits neither', async () => {
      for (const accept of ['image/png', 'application/json;q=0', 'text/html, application/xml']) {
        const err = await expectError(await meminfo(s, accept), 406, 'NotAcceptable', accept);
        assert.match(err.message, /text\/plain, application\/json/);
      }
    });

    it('takes ?format=text|json over Accept, and refuses another format naming format', async () => {
      assert.equal(await kindOf(await meminfo(s, 'text/plain', '?format=json')), 'json');
      assert.equal(await kindOf(await meminfo(s, 'application/json', '?format=text')), 'text');
      for (const q of ['?format=xml', '?format=', '?format=JSON', '?format=json&format=text']) {
        const err = await expectError(await meminfo(s, undefined, q), 400, 'InvalidArgument', q);
        assert.equal(err.field, 'format');
      }
    });
  });
}

describe('HTTP edge: /vmallocinfo limit', () => {
  it('reads limit=0 as every area, as ListAreas and vmapctl do', async () => {
    const s = await startTestServer();
    try {
      for (let i = 0; i < 3; i++) assert.equal((await post(s, '/v1/areas', { size: 4096 })).status, 201);
      const all = await (await fetch(`${s.httpUrl}/vmallocinfo`)).text();
      assert.equal(all.trimEnd().split('\n').length, 3);
      assert.equal(await (await fetch(`${s.httpUrl}/vmallocinfo?limit=0`)).text(), all);
      assert.equal((await (await fetch(`${s.httpUrl}/vmallocinfo?limit=2`)).text()).trimEnd().split('\n').length, 2);
    } finally {
      await s.stop();
    }
  });
});
