import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { call, startTestServer } from '../helpers/server.js';

/*
 * The HTTP contract as a document: /openapi.json is a valid OpenAPI 3.1
 * document, every route vmapd serves is in it (the page's files and the docs
 * page's own aside), the answers vmapd gives match the schemas it documents,
 * /docs serves a page from vmapd itself, and requests are checked by the
 * same schemas, the errors still naming the field.
 */

type Doc = {
  openapi: string;
  info: { version: string };
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  components: { schemas: Record<string, object> };
};

/** Every route vmapd serves with a contract: method and path as OpenAPI writes them. */
const ROUTES = [
  'get /meminfo',
  'get /vmallocinfo',
  'get /healthz',
  'get /readyz',
  'get /metrics',
  'post /v1/areas',
  'get /v1/areas/{addr}',
  'delete /v1/areas/{addr}',
  'post /v1/purge',
  'get /v1/map',
  'get /v1/events',
  'get /openapi.json',
];

describe('HTTP edge: the OpenAPI document', () => {
  it('is valid OpenAPI 3.1, lists every route, and the answers match its schemas', async () => {
    const s = await startTestServer({ lazyMaxPages: 1 << 20 });
    try {
      const res = await fetch(`${s.httpUrl}/openapi.json`);
      assert.equal(res.status, 200);
      const doc = (await res.json()) as Doc;
      const result = await new Validator().validate(structuredClone(doc) as Parameters<Validator["validate"]>[0]);
      assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2)?.slice(0, 2000));
      assert.equal(doc.openapi, '3.1.0');
      const listed = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => m !== 'head').map((m) => `${m} ${path}`));
      assert.deepEqual(listed.sort(), [...ROUTES].sort());

      // Every JSON answer below is checked against the schema the document gives for its route and status.
      const ajv = new Ajv2020({ strict: false });
      for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema, `#/components/schemas/${name}`);
      const check = async (method: string, path: string, route: string, init: RequestInit = {}): Promise<unknown> => {
        const r = await fetch(`${s.httpUrl}${path}`, { method, ...init });
        const schema = doc.paths[route]?.[method.toLowerCase()]?.responses[String(r.status)]?.content?.['application/json']?.schema ?? doc.paths[route]?.[method.toLowerCase()]?.responses[`${String(r.status)[0]}XX`]?.content?.['application/json']?.schema;
        assert.ok(schema !== undefined, `${method} ${path}: no JSON schema documented for ${r.status}`);
        const body: unknown = await r.json();
        const validate = ajv.compile(schema);
        assert.ok(validate(body), `${method} ${path} ${r.status}: ${JSON.stringify(validate.errors)} for ${JSON.stringify(body).slice(0, 300)}`);
        return body;
      };
      const json = { 'content-type': 'application/json' };
      const area = (await check('POST', '/v1/areas', '/v1/areas', { headers: json, body: '{"size": 8192, "caller": "doc"}' })) as { addr: string };
      await check('GET', `/v1/areas/${area.addr}`, '/v1/areas/{addr}');
      await check('GET', '/meminfo?format=json', '/meminfo');
      await check('GET', '/v1/map?buckets=8', '/v1/map');
      await check('DELETE', `/v1/areas/${area.addr}`, '/v1/areas/{addr}');
      await check('POST', '/v1/purge', '/v1/purge');
      // Errors, documented as the one error body.
      await check('POST', '/v1/areas', '/v1/areas', { headers: json, body: '{"size": "lots"}' });
      await check('GET', '/v1/areas/0x1', '/v1/areas/{addr}');
      await check('GET', '/v1/map?buckets=0', '/v1/map');
      await check('DELETE', '/v1/areas/nowhere', '/v1/areas/{addr}');
      await call(s.client, 'MemInfo', {});
    } finally {
      await s.stop();
    }
  });

  it('holds only valid JSON Schemas: the ones vmapd compiles unchecked at run time are checked here', async () => {
    // vmapd compiles its routes' schemas with ajv's validateSchema off (src/http/validation.ts):
    // the schemas of every request part and answer, as the document carries them, must pass the meta-schema.
    const s = await startTestServer();
    try {
      const doc = (await (await fetch(`${s.httpUrl}/openapi.json`)).json()) as {
        paths: Record<string, Record<string, { parameters?: { name: string; schema: object }[]; requestBody?: { content: Record<string, { schema: object }> }; responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
        components: { schemas: Record<string, object> };
      };
      const schemas: [string, object][] = Object.entries(doc.components.schemas).map(([name, schema]) => [`components ${name}`, schema]);
      for (const [path, ops] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(ops)) {
          for (const p of op.parameters ?? []) schemas.push([`${method} ${path} parameter ${p.name}`, p.schema]);
          for (const [type, c] of Object.entries(op.requestBody?.content ?? {})) schemas.push([`${method} ${path} body ${type}`, c.schema]);
          for (const [status, r] of Object.entries(op.responses)) for (const [type, c] of Object.entries(r.content ?? {})) schemas.push([`${method} ${path} ${status} ${type}`, c.schema]);
        }
      }
      const parameters = schemas.filter(([where]) => where.includes(' parameter ')).length;
      const bodies = schemas.filter(([where]) => where.includes(' body ')).length;
      assert.ok(parameters >= 5 && bodies >= 1, `request schemas found: ${parameters} parameters, ${bodies} bodies`);
      const ajv = new Ajv2020({ strict: false });
      for (const [where, schema] of schemas) assert.ok(ajv.validateSchema(schema), `${where}: ${ajv.errorsText(ajv.errors)}`);
      // The check refuses what is no schema: it can fail.
      assert.equal(ajv.validateSchema({ type: 'object', required: 'size' }), false);
    } finally {
      await s.stop();
    }
  });

  it('is shown at /docs by a page vmapd serves itself', async () => {
    const s = await startTestServer();
    try {
      const page = await fetch(`${s.httpUrl}/docs/`, { redirect: 'follow' });
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /swagger-ui/i);
      // No script or style from anywhere else.
      assert.doesNotMatch(html, /(src|href)="https?:\/\//);
    } finally {
      await s.stop();
    }
  });

  it('checks requests with the same schemas: each refusal names its field', async () => {
    const s = await startTestServer();
    try {
      const json = { 'content-type': 'application/json' };
      const cases: [string, string, string][] = [
        ['POST', '/v1/areas', '{"size": 4096, "colour": "red"}'],
        ['POST', '/v1/areas', '{"caller": "x"}'],
        ['POST', '/v1/areas', '{"size": 4096, "caller": 7}'],
        ['POST', '/v1/areas', '{"size": 4096, "no_guard": "true"}'],
        ['POST', '/v1/areas', '{"size": 4096.5}'],
        ['POST', '/v1/areas', '[4096]'],
        ['POST', '/v1/areas', '1.5'],
        ['POST', '/v1/areas', '{"size": 18446744073709551616}'],
      ];
      const fields = ['colour', 'size', 'caller', 'no_guard', 'size', 'body', 'body', 'size'];
      for (const [i, [method, path, body]] of cases.entries()) {
        const r = await fetch(`${s.httpUrl}${path}`, { method, headers: json, body });
        const err = (await r.json()) as { error: string; message: string; field: string };
        assert.deepEqual([r.status, err.error, err.field], [400, 'InvalidArgument', fields[i]], `${body}: ${JSON.stringify(err)}`);
        assert.ok(err.message.startsWith(`${fields[i]}: `), err.message);
      }
      // Exact digits in the message, as before the schemas.
      const big = (await (await fetch(`${s.httpUrl}/v1/areas`, { method: 'POST', headers: json, body: '{"size": 18446744073709551616}' })).json()) as { message: string };
      assert.match(big.message, /18446744073709551616/);
      // Nulls stand for absent fields, as in the gRPC message.
      const ok = await fetch(`${s.httpUrl}/v1/areas`, { method: 'POST', headers: json, body: '{"size": 4096, "align": null, "caller": null}' });
      assert.equal(ok.status, 201, await ok.text());
    } finally {
      await s.stop();
    }
  });
});
