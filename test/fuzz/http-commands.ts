/**
 * The HTTP requests the fuzz tests send, and their generators: Allocs with
 * any body under any media type, Frees and Finds by any address text,
 * purges, /vmallocinfo queries, plain reads, random methods and paths; and
 * raw request bytes for the socket.
 */
import fc from 'fast-check';
import { allocFields, jsonU64, toJson, type AddrPick, type AllocGen } from './encoding.js';
import type { Auth } from './identities.js';
import { addrPickArb, allocGenArb, authArb, goodAllocGenArb, goodAuthArb, goodPickArb, jsonGarbage } from './value-arbitraries.js';

/** An Alloc's body: AllocRequest fields (and extra members), any JSON, any text, deep nesting, one over the size limit, or none. */
export type Body = { t: 'fields'; g: AllocGen; extra: Record<string, unknown> } | { t: 'json'; value: unknown } | { t: 'text'; text: string } | { t: 'deep'; depth: number; obj: boolean } | { t: 'huge' } | { t: 'none' };

const extraArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('owner', 'Size', 'size ', '__proto__', 'constructor', 'addr', 'x'.repeat(100))), fc.oneof(jsonGarbage, fc.constant({ prototype: {} })), {
      maxKeys: 2,
    }),
  },
);
const bodyArb: fc.Arbitrary<Body> = fc.oneof(
  { weight: 12, arbitrary: fc.record({ t: fc.constant('fields' as const), g: allocGenArb(jsonGarbage), extra: extraArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('json' as const), value: fc.jsonValue({ maxDepth: 3 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('text' as const),
      text: fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom('', '{', '{"size":}', '{"size":1,}', "{'size':1}", '[1,2', 'null', 'true', '"4096"', '4096', '{"size":1}{"size":2}', '\ufeff{"size":4096}', ' {"size":4096} '),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('deep' as const), depth: fc.constantFrom(100, 5000, 30000), obj: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constantFrom({ t: 'huge' as const }, { t: 'none' as const }) },
);

/** The text of `b`, undefined for no body. */
export function bodyText(b: Body): string | undefined {
  switch (b.t) {
    case 'fields':
      return toJson({ ...allocFields(b.g, jsonU64), ...b.extra });
    case 'json':
      return JSON.stringify(b.value);
    case 'text':
      return b.text;
    case 'deep':
      return b.obj ? '{"a":'.repeat(Math.min(b.depth, 10000)) + '1' + '}'.repeat(Math.min(b.depth, 10000)) : '['.repeat(b.depth) + ']'.repeat(b.depth);
    case 'huge':
      return toJson({ size: 4096, caller: 'x'.repeat(70 * 1024) });
    case 'none':
      return undefined;
  }
}

/** The media types the HTTP edge reads as JSON without question. */
export const STANDARD_JSON = ['application/json', 'application/json; charset=utf-8'];
/** A content-type: mostly JSON, sometimes another or an odd spelling, sometimes none or random text. */
const ctypeArb: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...STANDARD_JSON) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      '',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'application/jsonx',
      'application/vnd.api+json',
      '*/*',
      'application/json, text/plain',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

/** An HTTP request, resolved against the model when it runs. */
export type HttpCmd =
  | { edge: 'http'; t: 'alloc'; auth: Auth; ctype: string | undefined; body: Body; spoof: boolean }
  | { edge: 'http'; t: 'free' | 'find'; auth: Auth; addr: AddrPick }
  | { edge: 'http'; t: 'purge'; auth: Auth; body: 'none' | 'empty-object' | 'bad-json' | 'text' }
  | { edge: 'http'; t: 'vmallocinfo'; auth: Auth; query: [string, AddrPick | string][] }
  | { edge: 'http'; t: 'read'; path: string }
  | { edge: 'http'; t: 'random'; method: string; path: string; query: string; auth: Auth; ctype: string | undefined; body: string | undefined };

const segmentArb = fc.oneof(
  fc.constantFrom('v1', 'areas', 'purge', 'meminfo', 'vmallocinfo', 'healthz', 'readyz', 'metrics', '', '..', '.', '%2e%2e', '%00', '%zz', 'V1', '*'),
  fc.string({ maxLength: 8 }).map((s) => encodeURIComponent(s)),
);
/** An HTTP request: about a quarter well-formed, the rest wild. */
export const httpCmdArb: fc.Arbitrary<HttpCmd> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ edge: fc.constant('http' as const), t: fc.constantFrom('free' as const, 'free' as const, 'find' as const), auth: goodAuthArb, addr: goodPickArb }) },
  {
    weight: 5,
    arbitrary: fc.record({
      edge: fc.constant('http' as const),
      t: fc.constant('alloc' as const),
      auth: goodAuthArb,
      ctype: fc.constant('application/json'),
      body: fc.record({ t: fc.constant('fields' as const), g: goodAllocGenArb, extra: fc.constant({}) }),
      spoof: fc.constant(false),
    }),
  },
  { weight: 8, arbitrary: fc.record({ edge: fc.constant('http' as const), t: fc.constant('alloc' as const), auth: authArb, ctype: ctypeArb, body: bodyArb, spoof: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ edge: fc.constant('http' as const), t: fc.constantFrom('free' as const, 'find' as const), auth: authArb, addr: addrPickArb(fc.string({ maxLength: 10 })) }) },
  {
    weight: 1,
    arbitrary: fc.record({ edge: fc.constant('http' as const), t: fc.constant('purge' as const), auth: authArb, body: fc.constantFrom('none' as const, 'empty-object' as const, 'bad-json' as const, 'text' as const) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      edge: fc.constant('http' as const),
      t: fc.constant('vmallocinfo' as const),
      auth: authArb,
      query: fc.array(fc.tuple(fc.constantFrom('from', 'limit', 'from', 'limit', 'x'), fc.oneof(addrPickArb(fc.string({ maxLength: 6 })), fc.string({ maxLength: 6 }), fc.nat(4).map(String))), {
        maxLength: 3,
      }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ edge: fc.constant('http' as const), t: fc.constant('read' as const), path: fc.constantFrom('/meminfo', '/meminfo?format=json', '/healthz', '/readyz', '/metrics') }) },
  {
    weight: 3,
    arbitrary: fc.record({
      edge: fc.constant('http' as const),
      t: fc.constant('random' as const),
      method: fc.constantFrom('GET', 'HEAD', 'PUT', 'PATCH', 'OPTIONS', 'PROPFIND', 'FOO', 'POST', 'DELETE', 'TRACE'),
      path: fc.array(segmentArb, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`),
      query: fc.oneof(fc.constant(''), fc.string({ maxLength: 20 }).map((s) => `?${encodeURIComponent(s).replace(/%3D/g, '=').replace(/%26/g, '&')}`)),
      auth: authArb,
      ctype: ctypeArb,
      body: fc.option(fc.oneof(fc.string({ maxLength: 40 }), fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v))), { nil: undefined }),
    }),
  },
);

/** Bytes for the HTTP socket: random, or a request line and headers in odd shapes with an odd body. */
export const rawHttpArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc
    .tuple(
      fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'G\u0000T', '', 'GET GET'),
      fc.oneof(fc.constantFrom('/meminfo', '/v1/areas', '/v1/purge', '/v1/areas/0xffffc90000000000', '*', '', 'http://x/meminfo', '/%'), fc.string({ maxLength: 20 })),
      fc.constantFrom('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/9', '', 'http/1.1'),
      fc.array(
        fc.oneof(
          fc.constantFrom('Host: x', 'Content-Length: 5', 'Content-Length: -1', 'Content-Length: 99999999999999999999', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Content-Type: application/json', 'Authorization: Bearer x', 'Expect: 100-continue', 'Connection: upgrade', 'Upgrade: h2c'),
          fc.string({ maxLength: 20 }),
        ),
        { maxLength: 4 },
      ),
      fc.oneof(fc.constant(''), fc.constantFrom('{"size":4096}', '0\r\n\r\n', '5\r\nhello\r\n0\r\n\r\n', 'zz\r\n'), fc.string({ maxLength: 30 })),
    )
    .map(([m, p, v, hs, body]) => Buffer.from(`${m} ${p} ${v}\r\n${hs.join('\r\n')}\r\n\r\n${body}`, 'latin1')),
);
