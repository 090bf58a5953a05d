/**
 * One HTTP request of a fuzz run: build it against the model, send it, and
 * check the answer: the model's outcome, or one of the refusals fastify makes
 * before any handler, whichever the body and media type allow.
 */
import assert from 'node:assert/strict';
import type { VmapArea } from '../../src/vmap/vmap-area.js';
import { u64, type Outcome } from './contract.js';
import { assertNoServerFault, label, note, type Ctx } from './context.js';
import { resolveAddr, textU64, type AddrPick } from './encoding.js';
import { STANDARD_JSON, bodyText, type HttpCmd } from './http-commands.js';
import { bodyRefusal, fastifyRefusal, httpMismatch, parseJsonBody, predictAlloc } from './http-predictor.js';
import { headerOf, whoOf } from './identities.js';
import { httpSend, type HttpResult, type HttpSpec } from './raw-clients.js';
import { areaJson, meminfoJson, vmallocinfoLine } from './wire-formats.js';

/** Fails unless `res` is the predicted answer. */
function expectHttp<T>(res: HttpResult, o: Outcome<T>, okStatus: number, value: (v: T) => unknown, cmd: unknown): void {
  const why = httpMismatch(res, o, okStatus, value);
  assert.equal(why, null, `${why} for ${label(cmd)}`);
}

/** The query string of `query` (addresses resolved against the model) and what the server parses it to. */
function encodeQuery(ctx: Ctx, query: [string, AddrPick | string][]): { text: string; view: Record<string, string | string[]> } {
  const view: Record<string, string | string[]> = {};
  const parts: string[] = [];
  for (const [k, v] of query) {
    const value = typeof v === 'string' ? v : textU64(resolveAddr(ctx.model, v), v.f);
    parts.push(`${k}=${encodeURIComponent(value)}`);
    const prev = view[k];
    view[k] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return { text: parts.length === 0 ? '' : `?${parts.join('&')}`, view };
}

/** Sends `cmd` and checks its answer against the model, which it advances. */
export async function runHttp(ctx: Ctx, cmd: HttpCmd): Promise<void> {
  const port = ctx.s.vmapd.httpPort;
  const header = cmd.t === 'read' ? undefined : headerOf(cmd.auth);
  const auth: Record<string, string> = header === undefined ? {} : { authorization: header };
  const who = whoOf(header, 'http')[0];
  let spec: HttpSpec;
  let path = '';
  let query: { text: string; view: Record<string, string | string[]> } | undefined;
  try {
    switch (cmd.t) {
      case 'alloc': {
        const body = bodyText(cmd.body);
        spec = {
          method: 'POST',
          path: '/v1/areas',
          headers: { ...auth, ...(cmd.ctype === undefined ? {} : { 'content-type': cmd.ctype }), ...(cmd.spoof ? { 'x-owner': 'root' } : {}) },
          ...(body === undefined ? {} : { body }),
        };
        break;
      }
      case 'free':
      case 'find':
        path = textU64(resolveAddr(ctx.model, cmd.addr), cmd.addr.f);
        spec = { method: cmd.t === 'free' ? 'DELETE' : 'GET', path: `/v1/areas/${encodeURIComponent(path)}`, headers: auth };
        break;
      case 'purge':
        spec = {
          method: 'POST',
          path: '/v1/purge',
          headers: { ...auth, ...(cmd.body === 'text' ? { 'content-type': 'text/plain' } : cmd.body === 'none' ? {} : { 'content-type': 'application/json' }) },
          ...(cmd.body === 'none' ? {} : { body: cmd.body === 'empty-object' ? '{}' : cmd.body === 'bad-json' ? '{"' : 'purge' }),
        };
        break;
      case 'vmallocinfo':
        query = encodeQuery(ctx, cmd.query);
        spec = { method: 'GET', path: `/vmallocinfo${query.text}`, headers: auth };
        break;
      case 'read':
        spec = { method: 'GET', path: cmd.path };
        break;
      case 'random': {
        // Never a valid token on a write method: a random request may not change state.
        const h = (cmd.method === 'POST' || cmd.method === 'DELETE') && who !== undefined ? {} : auth;
        spec = { method: cmd.method, path: cmd.path + cmd.query, headers: { ...h, ...(cmd.ctype === undefined ? {} : { 'content-type': cmd.ctype }) }, ...(cmd.body === undefined ? {} : { body: cmd.body }) };
        break;
      }
    }
  } catch {
    // encodeURIComponent of a lone surrogate: nothing to send.
    ctx.stats.clientErrors++;
    return;
  }
  const r = await httpSend(port, ctx.agent, spec);
  if ('client' in r) {
    // node refused to send it (invalid header value or method); anything else is the server's doing.
    assert.ok(!r.client.startsWith('request failed') || (cmd.t === 'alloc' && cmd.body.t === 'huge'), `${r.client} for ${label(cmd)}`);
    ctx.stats.clientErrors++;
    return;
  }
  assertNoServerFault(r, cmd);
  note(ctx, `http ${cmd.t} ${r.status}`, r.status < 400);
  const m = ctx.model;
  switch (cmd.t) {
    case 'alloc': {
      const text = spec.body;
      const standard = cmd.ctype !== undefined && STANDARD_JSON.includes(cmd.ctype);
      const parsed = text === undefined ? undefined : parseJsonBody(text);
      if (standard) {
        if (text !== undefined && Buffer.byteLength(text) > 64 * 1024) {
          assert.ok(fastifyRefusal(r, [413]), `a body over the limit: ${r.status} for ${label(cmd)}`);
          return;
        }
        if (parsed === 'refused') {
          assert.ok(bodyRefusal(r), `expected 400 InvalidArgument body, got ${r.status} ${r.body.slice(0, 200)} for ${label(cmd)}`);
          return;
        }
        if (parsed === undefined || parsed === 'bad') {
          assert.ok(fastifyRefusal(r, [400]), `expected 400 for a body that is no JSON object text, got ${r.status} ${r.body.slice(0, 200)} for ${label(cmd)}`);
          return;
        }
        expectHttp(r, predictAlloc(m, parsed.value, who), 201, areaJson, cmd);
        return;
      }
      // Another media type: fastify refuses it, or reads it as JSON, or (no body) hands none to the route.
      if (fastifyRefusal(r, [400, 413, 415]) || (parsed === 'refused' && bodyRefusal(r))) return;
      const readings: unknown[] = [undefined];
      if (parsed !== undefined && parsed !== 'bad' && parsed !== 'refused') readings.push(parsed.value);
      for (const reading of readings) {
        const trial = m.clone();
        if (httpMismatch(r, predictAlloc(trial, reading, who), 201, areaJson) === null) {
          ctx.model = trial;
          return;
        }
      }
      assert.fail(`unexpected ${r.status} ${r.body.slice(0, 200)} for ${label(cmd)}`);
      break;
    }
    case 'free':
      return expectHttp(r, m.free(path, who), 200, (f) => ({ freed_bytes: f.freedBytes, purged: f.purged }), cmd);
    case 'find':
      return expectHttp(r, m.find(path, who), 200, areaJson, cmd);
    case 'purge':
      if (cmd.body === 'bad-json' || cmd.body === 'text') {
        assert.ok(fastifyRefusal(r, [cmd.body === 'text' ? 415 : 400]), `purge with a ${cmd.body} body: ${r.status} ${r.body.slice(0, 200)}`);
        return;
      }
      return expectHttp(r, m.purge(who), 200, (p) => ({ purged_areas: p.areas, purged_bytes: p.bytes }), cmd);
    case 'vmallocinfo': {
      const q = query!.view;
      let o: Outcome<VmapArea[]>;
      const from = q.from === undefined ? 0n : u64(q.from);
      // limit 0 is every area, as in ListAreas.
      const limit = q.limit === undefined ? Infinity : u64(q.limit) === 0n ? Infinity : u64(q.limit);
      if (who === undefined) o = { ok: false, kind: 'Unauthenticated' };
      else if (from === undefined || limit === undefined) o = { ok: false, kind: 'InvalidArgument', fields: [...(from === undefined ? ['from'] : []), ...(limit === undefined ? ['limit'] : [])] };
      else o = { ok: true, value: m.visible(from, true, who, Number(limit)) };
      if (!o.ok) return expectHttp(r, o, 200, () => null, cmd);
      assert.equal(r.status, 200, `vmallocinfo: ${r.status} ${r.body.slice(0, 200)} for ${label(cmd)}`);
      assert.deepEqual(r.body.split('\n').slice(0, -1), o.value.map(vmallocinfoLine), `vmallocinfo for ${label(cmd)}`);
      return;
    }
    case 'read':
      assert.equal(r.status, 200, `${cmd.path}: ${r.status}`);
      if (cmd.path === '/meminfo?format=json') assert.deepEqual({ ...(JSON.parse(r.body) as object), generation: 0 }, { ...meminfoJson(m), generation: 0 });
      if (cmd.path === '/meminfo') assert.match(r.body, new RegExp(`^VmallocUsed: +${m.meminfo().used / 1024} kB$`, 'm'));
      return;
    case 'random':
      assert.ok(r.status < 500, `HTTP ${r.status} ${r.body.slice(0, 200)} for ${label(cmd)}`);
      return;
  }
}
