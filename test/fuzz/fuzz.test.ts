/**
 * Fuzz tests over both edges of a real vmapd (issue 6, "Bad input"): arbitrary
 * and malformed requests with random tokens, checked request by request
 * against a model (service-model.ts) that predicts every answer, and fed only
 * what the server accepted. After every request the server's whole state
 * (ListAreas as admin, lazy areas included, and /meminfo) must equal the
 * model's, so a rejected request that changed anything fails at once. No
 * answer may be INTERNAL, UNKNOWN or HTTP 500, and the server must stay up.
 *
 * VMAPD_FUZZ_RUNS scales the number of runs (default: sized for < 30 s).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { packageDefinition } from '../../src/grpc/proto.js';
import type { VmapArea } from '../../src/vmap/vmap-area.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  BASE,
  END,
  GRPC_CODE,
  HTTP_STATUS,
  MAX_CALLER,
  MAX_REQUEST_ID,
  PAGE,
  SPACE_BYTES,
  ServiceModel,
  identityOf,
  u64,
  type Outcome,
  type Who,
} from './service-model.js';

const LAZY_MAX_PAGES = 8;
const SCALE = Number(process.env.VMAPD_FUZZ_RUNS ?? '1');
const runs = (n: number): number => Math.max(1, Math.round(n * (Number.isFinite(SCALE) && SCALE > 0 ? SCALE : 1)));
const U64_MAX = (1n << 64n) - 1n;

// ---- identities ------------------------------------------------------------------

const TOKENS = ['alice-token-0123456789abcdef', 'bob-token-fedcba9876543210', 'root-token-00112233445566778899'] as const;
const IDENTITIES: readonly Who[] = [
  { owner: 'alice', role: 'client' },
  { owner: 'bob', role: 'client' },
  { owner: 'root', role: 'admin' },
];
const TABLE: ReadonlyMap<string, Who> = new Map(TOKENS.map((t, i) => [t, IDENTITIES[i]!]));
const ADMIN = `Bearer ${TOKENS[2]}`;

type Auth = { t: 'token'; i: number; form: number } | { t: 'bad'; i: number; form: number } | { t: 'random'; s: string } | { t: 'none' };

const authArb: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ t: fc.constant('token' as const), i: fc.integer({ min: 0, max: 2 }), form: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('bad' as const), i: fc.integer({ min: 0, max: 2 }), form: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('random' as const), s: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40, unit: 'binary' })) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'none' as const }) },
);

/** The `authorization` value a client sends, undefined for none. */
function headerOf(a: Auth): string | undefined {
  switch (a.t) {
    case 'none':
      return undefined;
    case 'random':
      return a.s;
    case 'token': {
      const t = TOKENS[a.i]!;
      return [`Bearer ${t}`, `Bearer ${t}`, `Bearer ${t}`, `Bearer ${t}`, `Bearer ${t}`, `bearer ${t}`, `BEARER ${t}`, `Bearer   ${t}`, `Bearer ${t} `, ` Bearer ${t}`][a.form]!;
    }
    case 'bad': {
      const t = TOKENS[a.i]!;
      return ['', 'Bearer', 'Bearer ', `Basic ${t}`, t, `Bearer ${t}x`, `Bearer ${t.slice(0, -1)}`, `Bearer ${t} ${t}`, `Token ${t}`, `Bearer ${t.toUpperCase()}`][a.form]!;
    }
  }
}

/**
 * Who the server may take the caller for. HTTP/1.1 drops blanks around a
 * header value. Over HTTP/2 (gRPC) such a value is the transport's business:
 * node's HTTP/2 server drops it (the caller has no token), a laxer one would
 * trim it; either is fine, so both are candidates.
 */
function whoOf(header: string | undefined, edge: 'grpc' | 'http'): (Who | undefined)[] {
  if (header === undefined) return [undefined];
  const trimmed = identityOf(header.replace(/^[ \t]+|[ \t]+$/g, ''), TABLE);
  if (edge === 'http' || !/^[ \t]|[ \t]$/.test(header)) return [trimmed];
  return trimmed === undefined ? [undefined] : [undefined, trimmed];
}

// ---- values ----------------------------------------------------------------------

/** A JSON number written as is (beyond what a double holds, -0, exponents). */
class RawNumber {
  constructor(readonly text: string) {}
}

/** JSON text of `v`, with RawNumbers verbatim and undefined members left out. */
function toJson(v: unknown): string {
  if (v instanceof RawNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${toJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', ' ', '1e3', '1.5', '0x', '0xg1', '+5', '-0', '\u0663', 'NaN', 'Infinity', '0b101', '1_000', '0o17', '4096 4096', '\u00a04096', '0x-1'),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.nat(9), { maxLength: 2 }),
  fc.constant({}),
);
const jsonGarbage: fc.Arbitrary<unknown> = fc.oneof(
  garbage,
  fc.constantFrom(new RawNumber('-0'), new RawNumber('1e400'), new RawNumber('-1e400'), new RawNumber('4096.0'), new RawNumber('1E3'), new RawNumber('18446744073709551616')),
  fc.jsonValue({ maxDepth: 2 }),
);

const nearBase = fc.integer({ min: 0, max: 48 }).map((k) => BASE + BigInt(k) * BigInt(PAGE));
const addrCore: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 6, arbitrary: nearBase },
  { weight: 3, arbitrary: fc.tuple(nearBase, fc.integer({ min: -4097, max: 4097 })).map(([a, d]) => a + BigInt(d)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(0n, 1n, BASE - 1n, BASE - 4096n, END - 8192n, END - 4096n, END - 1n, END, END + 1n, 1n << 63n, U64_MAX, 1n << 64n, 1n << 70n),
  },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: U64_MAX }) },
);
const sizeCore: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 6 * PAGE }).map(BigInt) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 6 }).map((k) => BigInt(k * PAGE)) },
  { weight: 1, arbitrary: fc.constantFrom(0n, SPACE_BYTES - 8192n, SPACE_BYTES - 4096n, SPACE_BYTES, SPACE_BYTES + 1n, 1n << 53n, U64_MAX, 1n << 64n) },
);
const alignCore: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 20 }).map((k) => 1n << BigInt(k)) },
  { weight: 1, arbitrary: fc.integer({ min: 21, max: 63 }).map((k) => 1n << BigInt(k)) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 3n, 4097n, 6n * 4096n, 1n << 64n, U64_MAX) },
);

/** How a uint64 is written: index into the forms below, and garbage for the last one. */
interface Form {
  readonly form: number;
  readonly junk: unknown;
}
const formArb = (junk: fc.Arbitrary<unknown>): fc.Arbitrary<Form> =>
  fc.record({ form: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.integer({ min: 1, max: 6 }) }), junk });

/** `b` as a gRPC client might hand it to protobufjs. */
function grpcU64(b: bigint, f: Form): unknown {
  return [String(b), String(b), `0x${b.toString(16)}`, Number(b), ` ${b} `, `-${b}`, f.junk][f.form];
}

/** `b` as a JSON value. */
function jsonU64(b: bigint, f: Form): unknown {
  const num = b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : new RawNumber(b.toString());
  return [String(b), num, `0x${b.toString(16)}`, num, ` ${b}\t`, new RawNumber(`-${b}`), f.junk][f.form];
}

/** `b` as a URL path segment or query value, before encoding. */
function textU64(b: bigint, f: Form): string {
  const hex16 = `0x${b.toString(16).padStart(16, '0')}`;
  return [hex16, String(b), hex16.toUpperCase(), `0x${b.toString(16)}`, ` ${b}`, `-${b}`, typeof f.junk === 'string' ? f.junk : String(f.junk)][f.form]!;
}

/** An address: one of the model's areas (plus a small offset) when there is one, else `core`. */
interface AddrPick {
  readonly live: boolean;
  readonly i: number;
  readonly delta: number;
  readonly core: bigint;
  readonly f: Form;
}
const addrPickArb = (junk: fc.Arbitrary<unknown>): fc.Arbitrary<AddrPick> =>
  fc.record({
    live: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    i: fc.nat(40),
    delta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 4095, 4096, 8192, -4096, -1) }),
    core: addrCore,
    f: formArb(junk),
  });

function resolveAddr(model: ServiceModel, p: AddrPick): bigint {
  const areas = model.areas();
  if (!p.live || areas.length === 0) return p.core;
  return ServiceModel.addressOf(areas[p.i % areas.length]!.start) + BigInt(p.delta);
}

const callerArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(MAX_CALLER), 'x'.repeat(MAX_CALLER + 1), 'a\nb', 'tab\there', '\u2028', '\u00e9'.repeat(MAX_CALLER), 'x pages=1 vmalloc owner=root') },
  { weight: 1, arbitrary: garbage },
);
const requestIdArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('r1', 'r2', 'job-7') },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(MAX_REQUEST_ID), 'x'.repeat(MAX_REQUEST_ID + 1), '\u0000') },
  { weight: 1, arbitrary: garbage },
);
/** `arb` in `percent` % of the cases, else undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: percent, arbitrary: arb }, { weight: 100 - percent, arbitrary: fc.constant(undefined) });

/** AllocRequest fields as core values and forms, written out per edge by allocFields. */
interface AllocGen {
  /** A narrow range [base + first page, + pages), used when vstart and vend are not given: makes it fill up. */
  readonly window?: [number, number];
  readonly size?: [bigint, Form];
  readonly align?: [bigint, Form];
  readonly vstart?: [bigint, Form];
  readonly vend?: [bigint, Form];
  readonly no_guard?: unknown;
  readonly caller?: unknown;
  readonly request_id?: unknown;
}
const allocGenArb = (junk: fc.Arbitrary<unknown>): fc.Arbitrary<AllocGen> =>
  fc.record({
    window: sometimes(fc.tuple(fc.nat(12), fc.integer({ min: 1, max: 10 })), 30),
    size: fc.oneof({ weight: 12, arbitrary: fc.tuple(sizeCore, formArb(junk)) }, { weight: 1, arbitrary: fc.constant(undefined) }),
    align: sometimes(fc.tuple(alignCore, formArb(junk)), 25),
    vstart: sometimes(fc.tuple(addrCore, formArb(junk)), 25),
    vend: sometimes(fc.tuple(addrCore, formArb(junk)), 25),
    no_guard: sometimes(fc.oneof({ weight: 6, arbitrary: fc.boolean() }, { weight: 1, arbitrary: junk }), 50),
    caller: sometimes(callerArb, 50),
    request_id: sometimes(requestIdArb, 50),
  });

/** Well-formed requests with a valid token, so that there are areas to free, find and list. */
const goodAuthArb: fc.Arbitrary<Auth> = fc.record({ t: fc.constant('token' as const), i: fc.integer({ min: 0, max: 2 }), form: fc.constant(0) });
const goodAllocGenArb: fc.Arbitrary<AllocGen> = fc.record({
  window: sometimes(fc.tuple(fc.nat(12), fc.integer({ min: 1, max: 10 })), 20),
  size: fc.tuple(fc.integer({ min: 1, max: 4 * PAGE }).map(BigInt), fc.constant({ form: 0, junk: null })),
  no_guard: sometimes(fc.boolean(), 30),
  caller: sometimes(fc.constantFrom('vmalloc', 'ioremap', 'bpf_jit'), 30),
  request_id: sometimes(fc.constantFrom('r1', 'r2', 'r3', 'job-7'), 40),
});

function allocFields(g: AllocGen, write: (b: bigint, f: Form) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['size', 'align', 'vstart', 'vend'] as const) {
    const v = g[k];
    if (v !== undefined) out[k] = write(v[0], v[1]);
  }
  for (const k of ['no_guard', 'caller', 'request_id'] as const) if (g[k] !== undefined) out[k] = g[k];
  if (g.window !== undefined && g.vstart === undefined && g.vend === undefined) {
    const [first, pages] = g.window;
    out.vstart = String(BASE + BigInt(first * PAGE));
    out.vend = String(BASE + BigInt((first + pages) * PAGE));
  }
  return out;
}

// ---- wire formats ----------------------------------------------------------------

const hex16 = (a: bigint): string => `0x${a.toString(16).padStart(16, '0')}`;

function areaMessage(va: VmapArea): Record<string, unknown> {
  return {
    addr: String(ServiceModel.addressOf(va.start)),
    size: String(ServiceModel.sizeOf(va)),
    area_size: String(va.pages * PAGE),
    caller: va.caller,
    owner: va.owner,
    lazy: va.lazy,
    request_id: va.requestId,
  };
}

function areaJson(va: VmapArea): Record<string, unknown> {
  return {
    addr: hex16(ServiceModel.addressOf(va.start)),
    size: ServiceModel.sizeOf(va),
    area_size: va.pages * PAGE,
    caller: va.caller,
    owner: va.owner,
    lazy: va.lazy,
    request_id: va.requestId,
  };
}

/** The /proc/vmallocinfo line of `va`. */
function vmallocinfoLine(va: VmapArea): string {
  const a = ServiceModel.addressOf(va.start);
  const range = `${hex16(a)}-${hex16(a + BigInt(va.pages * PAGE))} ${String(va.pages * PAGE).padStart(7)}`;
  if (va.lazy) return `${range} unpurged vm_area`;
  return `${range}${va.caller === '' ? '' : ` ${va.caller}`} pages=${ServiceModel.sizeOf(va) / PAGE} vmalloc owner=${va.owner}`;
}

function meminfoJson(model: ServiceModel): Record<string, number> {
  const m = model.meminfo();
  return {
    vmalloc_total_kb: m.total / 1024,
    vmalloc_used_kb: m.used / 1024,
    vmalloc_chunk_kb: m.chunk / 1024,
    vmalloc_lazy_kb: m.lazy / 1024,
    nr_areas: m.nrAreas,
    nr_lazy_areas: m.nrLazyAreas,
  };
}

// ---- gRPC with raw bytes -----------------------------------------------------------

type MethodDef = grpc.MethodDefinition<unknown, unknown>;
const SERVICE = packageDefinition['vmap.v1.Vmap'] as unknown as Record<string, MethodDef>;
const UNARY = ['Alloc', 'AllocBatch', 'Free', 'Find', 'Purge', 'MemInfo'] as const;
const METHODS = [...UNARY, 'ListAreas'] as const;
type Method = (typeof METHODS)[number];

type GrpcResult = { ok: true; values: unknown[] } | { ok: false; code: number; details: string; field: string | undefined };

function metadataOf(header: string | undefined, spoof: boolean): grpc.Metadata {
  const md = new grpc.Metadata();
  if (header !== undefined) md.set('authorization', header);
  // Claims of identity outside the token count for nothing.
  if (spoof) {
    md.set('x-vmap-owner', 'root');
    md.set('owner', 'bob');
  }
  return md;
}

/** Sends `bytes` as the request of `method`, unary or server streaming; collects every answer. */
function grpcSend(client: grpc.Client, method: Method, bytes: Buffer, md: grpc.Metadata): Promise<GrpcResult> {
  const def = SERVICE[method]!;
  const fail = (err: grpc.ServiceError): GrpcResult => ({ ok: false, code: err.code, details: err.details, field: err.metadata?.get('vmap-field')[0]?.toString() });
  return new Promise((resolve) => {
    if (method !== 'ListAreas') {
      client.makeUnaryRequest(def.path, (b: Buffer) => b, def.responseDeserialize, bytes, md, {}, (err, value) => resolve(err ? fail(err) : { ok: true, values: [value] }));
      return;
    }
    const values: unknown[] = [];
    let error: grpc.ServiceError | undefined;
    const stream = client.makeServerStreamRequest(def.path, (b: Buffer) => b, def.responseDeserialize, bytes, md, {});
    stream.on('data', (v: unknown) => values.push(v));
    stream.on('error', (e: grpc.ServiceError) => (error = e));
    stream.on('status', () => resolve(error ? fail(error) : { ok: true, values }));
  });
}

/** A change to the encoded bytes: cut them, add to them, or flip one. */
type Mutation = { t: 'cut'; n: number } | { t: 'add'; bytes: Uint8Array } | { t: 'flip'; i: number; b: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ t: fc.constant('cut' as const), n: fc.nat(8) }),
  fc.record({ t: fc.constant('add' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ t: fc.constant('flip' as const), i: fc.nat(64), b: fc.integer({ min: 1, max: 255 }) }),
);
function mutate(bytes: Buffer, m: Mutation): Buffer {
  if (m.t === 'cut') return bytes.subarray(0, Math.max(0, bytes.length - 1 - m.n));
  if (m.t === 'add') return Buffer.concat([bytes, m.bytes]);
  if (bytes.length === 0) return Buffer.from([m.b]);
  const out = Buffer.from(bytes);
  const i = m.i % out.length;
  out[i] = out[i]! ^ m.b;
  return out;
}

/** A gRPC request: its fields (resolved against the model when it runs) or raw bytes. */
type GrpcCmd = {
  edge: 'grpc';
  method: Method;
  auth: Auth;
  spoof: boolean;
  alloc?: AllocGen;
  batch?: AllocGen[];
  addr?: AddrPick;
  limit?: number;
  includeLazy?: boolean;
  mutation?: Mutation;
  raw?: Uint8Array;
};

/** One of the model's areas, exactly, written plainly. */
const goodPickArb: fc.Arbitrary<AddrPick> = fc.record({ live: fc.constant(true), i: fc.nat(40), delta: fc.constant(0), core: fc.constant(BASE), f: fc.constant({ form: 0, junk: null }) });

const grpcCmdArb: fc.Arbitrary<GrpcCmd> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ edge: fc.constant('grpc' as const), method: fc.constantFrom('Free' as const, 'Free' as const, 'Find' as const), auth: goodAuthArb, spoof: fc.constant(false), addr: goodPickArb }),
  },
  {
    weight: 5,
    arbitrary: fc.record({ edge: fc.constant('grpc' as const), method: fc.constant('Alloc' as const), auth: goodAuthArb, spoof: fc.constant(false), alloc: goodAllocGenArb }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      edge: fc.constant('grpc' as const),
      method: fc.constant('Alloc' as const),
      auth: authArb,
      spoof: fc.boolean(),
      alloc: allocGenArb(garbage),
      mutation: sometimes(mutationArb, 10),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      edge: fc.constant('grpc' as const),
      method: fc.constant('AllocBatch' as const),
      auth: authArb,
      spoof: fc.constant(false),
      batch: fc.array(allocGenArb(garbage), { maxLength: 4 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      edge: fc.constant('grpc' as const),
      method: fc.constantFrom('Free' as const, 'Find' as const),
      auth: authArb,
      spoof: fc.boolean(),
      addr: addrPickArb(garbage),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      edge: fc.constant('grpc' as const),
      method: fc.constant('ListAreas' as const),
      auth: authArb,
      spoof: fc.constant(false),
      addr: addrPickArb(garbage),
      limit: fc.oneof(fc.constant(0), fc.nat(5), fc.constantFrom(-1, 2 ** 32, 2 ** 40)),
      includeLazy: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      edge: fc.constant('grpc' as const),
      method: fc.constantFrom('Purge' as const, 'MemInfo' as const),
      auth: authArb,
      spoof: fc.constant(false),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      edge: fc.constant('grpc' as const),
      method: fc.constantFrom(...METHODS),
      auth: authArb,
      spoof: fc.constant(false),
      raw: fc.uint8Array({ maxLength: 40 }),
    }),
  },
);

// ---- HTTP ------------------------------------------------------------------------

interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

interface HttpSpec {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * One request with node:http, framed by content-length. Resolves with
 * `client` when node refuses to send it (a method, path or header it
 * considers invalid): that request never reached the server.
 */
function httpSend(port: number, agent: http.Agent, spec: HttpSpec): Promise<HttpResult | { client: string }> {
  return new Promise((resolve) => {
    const body = spec.body === undefined ? undefined : Buffer.from(spec.body, 'utf8');
    const headers: Record<string, string> = { ...spec.headers };
    if (body !== undefined || spec.method === 'POST') headers['content-length'] = String(body?.length ?? 0);
    let req: http.ClientRequest;
    try {
      req = http.request({ host: '127.0.0.1', port, method: spec.method, path: spec.path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
    } catch (err) {
      resolve({ client: (err as Error).message });
      return;
    }
    req.on('error', (err) => resolve({ client: `request failed: ${err.message}` }));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

type Body = { t: 'fields'; g: AllocGen; extra: Record<string, unknown> } | { t: 'json'; value: unknown } | { t: 'text'; text: string } | { t: 'deep'; depth: number; obj: boolean } | { t: 'huge' } | { t: 'none' };

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

function bodyText(b: Body): string | undefined {
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

const STANDARD_JSON = ['application/json', 'application/json; charset=utf-8'];
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

/** Whether secure-json-parse (fastify's JSON parser) refuses `v`: `__proto__` or `constructor.prototype` keys. */
function poisoned(value: unknown): boolean {
  // Iterative: bodies nest thousands deep.
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    for (const [k, x] of Object.entries(v)) {
      if (k === '__proto__') return true;
      if (k === 'constructor' && x !== null && typeof x === 'object' && Object.prototype.hasOwnProperty.call(x, 'prototype')) return true;
      stack.push(x);
    }
  }
  return false;
}

/** Whether `text` nests arrays and objects more than 64 deep (strings skipped): refused as InvalidArgument body. */
function tooDeep(text: string): boolean {
  let depth = 0;
  for (let i = 0, inString = false; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (++depth > 64) return true;
    } else if (c === ']' || c === '}') depth--;
  }
  return false;
}

/** Integers beyond 2^53 exactly, as BigInts: the HTTP edge parses bodies losslessly. */
function exactIntegers(_key: string, value: unknown, context?: { source?: string }): unknown {
  const source = context?.source;
  return typeof value === 'number' && !Number.isSafeInteger(value) && source !== undefined && /^-?[0-9]+$/.test(source) ? BigInt(source) : value;
}

/**
 * How the HTTP edge reads a JSON body: the value; 'bad' (empty, not JSON:
 * 400 MalformedJson); or 'refused' (nesting over 64 deep, or poisoned: 400
 * InvalidArgument naming body).
 */
function parseJsonBody(text: string): { value: unknown } | 'bad' | 'refused' {
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (t.trim() === '') return 'bad';
  // The edge checks depth before syntax: a deep body is refused so even when malformed.
  if (tooDeep(t)) return 'refused';
  try {
    const value: unknown = JSON.parse(t, exactIntegers as (key: string, value: unknown) => unknown);
    return poisoned(value) ? 'refused' : { value };
  } catch {
    return 'bad';
  }
}

type HttpCmd =
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
const httpCmdArb: fc.Arbitrary<HttpCmd> = fc.oneof(
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

// ---- the run ---------------------------------------------------------------------

type Cmd = GrpcCmd | HttpCmd;

interface Stats {
  accepted: number;
  rejected: number;
  clientErrors: number;
  byCode: Map<string, number>;
}

interface Ctx {
  s: TestServer;
  raw: grpc.Client;
  readonly tokens: string;
  restarts: number;
  readonly agent: http.Agent;
  model: ServiceModel;
  generation: number;
  readonly stats: Stats;
}

function note(ctx: Ctx, key: string, accepted: boolean): void {
  ctx.stats.byCode.set(key, (ctx.stats.byCode.get(key) ?? 0) + 1);
  if (accepted) ctx.stats.accepted++;
  else ctx.stats.rejected++;
}

const label = (cmd: unknown): string => fc.stringify(cmd).slice(0, 600);

function assertNoServerFault(res: GrpcResult | HttpResult, cmd: unknown): void {
  if ('status' in res) {
    assert.ok(res.status !== 500 && res.status !== 501 && res.status !== 502, `HTTP ${res.status} ${res.body.slice(0, 200)} for ${label(cmd)}`);
  } else if (!res.ok) {
    assert.ok(res.code !== grpc.status.INTERNAL && res.code !== grpc.status.UNKNOWN, `gRPC ${grpc.status[res.code]} (${res.details}) for ${label(cmd)}`);
  }
}

/** Why a gRPC answer is not the predicted one, or null if it is; `value` maps the model's value to the response. */
function grpcMismatch<T>(res: GrpcResult, o: Outcome<T>, value: (v: T) => unknown): string | null {
  if (o.ok) {
    if (!res.ok) return `expected success, got ${grpc.status[res.code]} (${res.details})`;
    const expected = value(o.value);
    const got = Array.isArray(expected) ? res.values : res.values[0];
    return isDeepStrictEqual(got, expected) ? null : `expected ${fc.stringify(expected).slice(0, 600)}, got ${fc.stringify(got).slice(0, 600)}`;
  }
  if (res.ok) return `expected ${o.kind}, got success ${fc.stringify(res.values).slice(0, 300)}`;
  if (res.code !== GRPC_CODE[o.kind]) return `expected ${o.kind}, got ${grpc.status[res.code]} (${res.details})`;
  if (o.kind === 'InvalidArgument' && !o.fields!.includes(res.field ?? '')) return `field ${res.field} (${res.details}) not among ${o.fields!.join(', ')}`;
  return null;
}

/** A predicted gRPC answer: the outcome and how its value looks on the wire. */
interface GrpcPrediction {
  readonly o: Outcome<unknown>;
  readonly value: (v: unknown) => unknown;
}
const predicted = <T>(o: Outcome<T>, value: (v: T) => unknown): GrpcPrediction => ({ o, value: value as (v: unknown) => unknown });

/** What `model` predicts for `method` with the request the server decoded, from `who`. */
function predictGrpc(model: ServiceModel, method: Method, view: Record<string, unknown>, who: Who | undefined, generation: number): GrpcPrediction {
  switch (method) {
    case 'Alloc':
      return predicted(model.alloc(view, who), areaMessage);
    case 'AllocBatch':
      return predicted(model.allocBatch((view.requests ?? []) as Record<string, unknown>[], who), (areas) => ({ areas: areas.map(areaMessage) }));
    case 'Free':
      return predicted(model.free(view.addr, who), (f) => ({ freed_bytes: String(f.freedBytes), purged: f.purged }));
    case 'Find':
      return predicted(model.find(view.addr, who), areaMessage);
    case 'Purge':
      return predicted(model.purge(who), (p) => ({ purged_areas: String(p.areas), purged_bytes: String(p.bytes) }));
    case 'MemInfo': {
      const mi = Object.fromEntries(Object.entries(meminfoJson(model)).map(([k, v]) => [k, String(v)]));
      return predicted({ ok: true, value: null }, () => ({ ...mi, generation: String(generation) }));
    }
    case 'ListAreas': {
      const limit = view.limit as number;
      if (who === undefined) return predicted({ ok: false, kind: 'Unauthenticated' }, () => null);
      return predicted({ ok: true, value: model.visible(u64(view.from_addr)!, view.include_lazy === true, who, limit > 0 ? limit : Infinity) }, (areas) => areas.map(areaMessage));
    }
  }
}

/** Why an HTTP answer is not the predicted one, or null if it is. */
function httpMismatch<T>(res: HttpResult, o: Outcome<T>, okStatus: number, value: (v: T) => unknown): string | null {
  let body: Record<string, unknown> | undefined;
  try {
    body = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  if (o.ok) {
    if (res.status !== okStatus) return `expected ${okStatus}, got ${res.status} ${res.body.slice(0, 200)}`;
    return isDeepStrictEqual(body, value(o.value)) ? null : `expected ${fc.stringify(value(o.value))}, got ${res.body.slice(0, 300)}`;
  }
  if (res.status !== HTTP_STATUS[o.kind] || body?.error !== o.kind) return `expected ${HTTP_STATUS[o.kind]} ${o.kind}, got ${res.status} ${res.body.slice(0, 200)}`;
  if (o.kind === 'InvalidArgument' && !o.fields!.includes(String(body.field))) return `field ${String(body.field)} not among ${o.fields!.join(', ')}`;
  if (o.kind === 'Unauthenticated' && res.headers['www-authenticate'] !== 'Bearer') return 'a 401 without WWW-Authenticate: Bearer';
  return null;
}

function expectHttp<T>(res: HttpResult, o: Outcome<T>, okStatus: number, value: (v: T) => unknown, cmd: unknown): void {
  const why = httpMismatch(res, o, okStatus, value);
  assert.equal(why, null, `${why} for ${label(cmd)}`);
}

/** The error names of the refusals before any handler, by status. */
const REFUSALS: Record<number, readonly string[]> = { 400: ['MalformedJson', 'BadRequest'], 413: ['PayloadTooLarge'], 415: ['UnsupportedMediaType'] };

/** A fastify-level refusal (bad JSON, body too large, media type): a 4xx before any handler, with its own name. */
function fastifyRefusal(res: HttpResult, statuses: readonly number[]): boolean {
  if (!statuses.includes(res.status)) return false;
  try {
    const body = JSON.parse(res.body) as { error?: unknown };
    return (REFUSALS[res.status] ?? []).includes(String(body.error));
  } catch {
    return false;
  }
}

/** The refusal of a body that nests too deep or holds prototype keys: 400 InvalidArgument naming body. */
function bodyRefusal(res: HttpResult): boolean {
  return httpMismatch(res, { ok: false, kind: 'InvalidArgument', fields: ['body'] }, 0, () => null) === null;
}

async function runGrpc(ctx: Ctx, cmd: GrpcCmd): Promise<void> {
  const def = SERVICE[cmd.method]!;
  const header = headerOf(cmd.auth);
  let bytes: Buffer;
  let md: grpc.Metadata;
  try {
    md = metadataOf(header, cmd.spoof);
    if (cmd.raw !== undefined) bytes = Buffer.from(cmd.raw);
    else {
      const req: Record<string, unknown> = {};
      if (cmd.alloc) Object.assign(req, allocFields(cmd.alloc, grpcU64));
      if (cmd.batch) req.requests = cmd.batch.map((g) => allocFields(g, grpcU64));
      if (cmd.addr) {
        const a = grpcU64(resolveAddr(ctx.model, cmd.addr), cmd.addr.f);
        if (cmd.method === 'ListAreas') req.from_addr = a;
        else req.addr = a;
      }
      if (cmd.limit !== undefined) req.limit = cmd.limit;
      if (cmd.includeLazy !== undefined) req.include_lazy = cmd.includeLazy;
      bytes = def.requestSerialize(req);
      if (cmd.mutation) bytes = mutate(bytes, cmd.mutation);
    }
  } catch {
    // protobufjs or grpc-js refused to encode it: nothing was sent.
    ctx.stats.clientErrors++;
    return;
  }
  // What the server decodes: the same deserializer, on the same bytes.
  let view: Record<string, unknown> | undefined;
  try {
    view = def.requestDeserialize(bytes) as Record<string, unknown>;
  } catch {
    view = undefined;
  }
  const res = await grpcSend(ctx.raw, cmd.method, bytes, md);
  assertNoServerFault(res, cmd);
  note(ctx, `grpc ${cmd.method} ${res.ok ? 'OK' : grpc.status[res.code]}`, res.ok);
  if (view === undefined) {
    const why = grpcMismatch(res, { ok: false, kind: 'InvalidArgument', fields: ['request'] }, () => null);
    assert.equal(why, null, `${why} for ${label(cmd)}`);
    return;
  }
  const whos = whoOf(header, 'grpc');
  const reasons: string[] = [];
  for (const who of whos) {
    // With one candidate the model itself, else a copy per candidate; the one that matches stands.
    const model = whos.length === 1 ? ctx.model : ctx.model.clone();
    const p = predictGrpc(model, cmd.method, view, who, ctx.generation);
    const why = grpcMismatch(res, p.o, p.value);
    if (why === null) {
      ctx.model = model;
      return;
    }
    reasons.push(why);
  }
  assert.fail(`${reasons.join('; or ')} for ${label(cmd)}`);
}

/** The outcome of a POST /v1/areas whose body fastify read as `body`, on `model`. */
function predictAlloc(model: ServiceModel, body: unknown, who: Who | undefined): Outcome<VmapArea> {
  if (who === undefined) return { ok: false, kind: 'Unauthenticated' };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, kind: 'InvalidArgument', fields: ['body'] };
  const unknown = Object.keys(body).filter((k) => !['size', 'align', 'vstart', 'vend', 'no_guard', 'caller', 'request_id'].includes(k));
  if (unknown.length > 0) return { ok: false, kind: 'InvalidArgument', fields: unknown.map((k) => k.slice(0, 64)) };
  return model.alloc(body as Record<string, unknown>, who);
}

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

async function runHttp(ctx: Ctx, cmd: HttpCmd): Promise<void> {
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

/** Both lists and meminfo equal the model's; the generation never goes back. */
async function checkState(ctx: Ctx, cmd: unknown): Promise<void> {
  const list = await grpcSend(ctx.raw, 'ListAreas', SERVICE.ListAreas!.requestSerialize({ include_lazy: true }), metadataOf(ADMIN, false));
  assert.ok(list.ok, `ListAreas as admin failed after ${label(cmd)}`);
  assert.deepEqual(list.values, ctx.model.areas().map(areaMessage), `areas after ${label(cmd)}`);
  const r = await httpSend(ctx.s.vmapd.httpPort, ctx.agent, { method: 'GET', path: '/meminfo?format=json' });
  assert.ok(!('client' in r) && r.status === 200, '/meminfo answers');
  const mi = JSON.parse(r.body) as Record<string, number>;
  assert.ok(mi.generation! >= ctx.generation, 'the generation never goes back');
  ctx.generation = mi.generation!;
  assert.deepEqual({ ...mi, generation: undefined }, { ...meminfoJson(ctx.model), generation: undefined }, `meminfo after ${label(cmd)}`);
}

/**
 * Frees and purges everything as admin: an empty space and a fresh model. If
 * that does not empty it (an earlier run failed and left the server in a state
 * it cannot get out of), a new server takes its place, so that shrinking
 * starts every run from an empty space.
 */
async function reset(ctx: Ctx): Promise<void> {
  const admin = (): grpc.Metadata => metadataOf(ADMIN, false);
  ctx.model = new ServiceModel(LAZY_MAX_PAGES);
  const list = await grpcSend(ctx.raw, 'ListAreas', SERVICE.ListAreas!.requestSerialize({}), admin());
  if (list.ok) {
    for (const a of list.values as { addr: string }[]) await grpcSend(ctx.raw, 'Free', SERVICE.Free!.requestSerialize({ addr: a.addr }), admin());
    await grpcSend(ctx.raw, 'Purge', SERVICE.Purge!.requestSerialize({}), admin());
  }
  try {
    await checkState(ctx, 'reset');
  } catch {
    ctx.raw.close();
    await ctx.s.stop();
    ctx.s = await startServer(ctx.tokens);
    ctx.raw = new grpc.Client(ctx.s.grpcTarget, grpc.credentials.createInsecure());
    ctx.generation = 0;
    ctx.restarts++;
    await checkState(ctx, 'a new server');
  }
}

async function checkAlive(ctx: Ctx): Promise<void> {
  const h = await httpSend(ctx.s.vmapd.httpPort, ctx.agent, { method: 'GET', path: '/healthz' });
  assert.ok(!('client' in h) && h.status === 200, '/healthz answers 200');
  const mi = await grpcSend(ctx.raw, 'MemInfo', Buffer.alloc(0), new grpc.Metadata());
  assert.ok(mi.ok, 'MemInfo answers');
}

async function runCommands(ctx: Ctx, cmds: readonly Cmd[]): Promise<void> {
  await reset(ctx);
  for (const cmd of cmds) {
    const before = fc.stringify(ctx.model.areas());
    const generation = ctx.generation;
    const accepted = ctx.stats.accepted;
    if (cmd.edge === 'grpc') await runGrpc(ctx, cmd);
    else await runHttp(ctx, cmd);
    await checkState(ctx, cmd);
    // A rejected request leaves everything as it was, the generation included
    // (an all-or-none batch that took areas and gave them back may publish).
    const isBatch = cmd.edge === 'grpc' && cmd.method === 'AllocBatch';
    if (ctx.stats.accepted === accepted && fc.stringify(ctx.model.areas()) === before && !isBatch) {
      assert.equal(ctx.generation, generation, `a rejected request published a new generation: ${label(cmd)}`);
    }
  }
  await checkAlive(ctx);
}

// ---- raw bytes on the sockets ---------------------------------------------------------

/** Writes `bytes` to the HTTP port, half-closes, and reads whatever comes back until the server closes. */
function rawHttp(port: number, bytes: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.end(bytes));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

const rawHttpArb: fc.Arbitrary<Uint8Array> = fc.oneof(
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

// ---- the tests -------------------------------------------------------------------

function startServer(tokens: string): Promise<TestServer> {
  return startTestServer({ tokens, lazyMaxPages: LAZY_MAX_PAGES, rateLimit: 1_000_000_000 });
}

describe('fuzz: arbitrary and malformed requests against a real vmapd', () => {
  let dir: string;
  let ctx: Ctx;
  const started = Date.now();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmapd-fuzz-'));
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, `# two clients and an admin\n${TOKENS[0]} alice\n${TOKENS[1]} bob client\n${TOKENS[2]} root admin\n`);
    const s = await startServer(tokens);
    ctx = {
      s,
      tokens,
      restarts: 0,
      raw: new grpc.Client(s.grpcTarget, grpc.credentials.createInsecure()),
      agent: new http.Agent({ keepAlive: true, maxSockets: 4 }),
      model: new ServiceModel(LAZY_MAX_PAGES),
      generation: 0,
      stats: { accepted: 0, rejected: 0, clientErrors: 0, byCode: new Map() },
    };
  });

  after(async () => {
    if (ctx !== undefined) {
      ctx.raw.close();
      ctx.agent.destroy();
      await ctx.s.stop();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the runs so far sent and got, for the test log. */
  function tally(t: { diagnostic(message: string): void }): void {
    const codes = [...ctx.stats.byCode.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
    t.diagnostic(`so far: accepted ${ctx.stats.accepted}, rejected ${ctx.stats.rejected}, not sent ${ctx.stats.clientErrors}, servers replaced ${ctx.restarts}, ${Date.now() - started} ms`);
    t.diagnostic(codes.join('; '));
  }

  it('gRPC: every answer is the model’s and the state is the model’s after every request', async (t) => {
    await fc.assert(
      fc.asyncProperty(fc.array(grpcCmdArb, { minLength: 1, maxLength: 14 }), (cmds) => runCommands(ctx, cmds)),
      { numRuns: runs(60), includeErrorInReport: true },
    );
    tally(t);
  });

  it('HTTP: every answer is the model’s and the state is the model’s after every request', async (t) => {
    await fc.assert(
      fc.asyncProperty(fc.array(httpCmdArb, { minLength: 1, maxLength: 14 }), (cmds) => runCommands(ctx, cmds)),
      { numRuns: runs(60), includeErrorInReport: true },
    );
    tally(t);
  });

  it('both edges interleaved on one state', async (t) => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(grpcCmdArb, httpCmdArb), { minLength: 2, maxLength: 16 }), (cmds) => runCommands(ctx, cmds)),
      { numRuns: runs(40), includeErrorInReport: true },
    );
    tally(t);
  });

  it('an alloc that finds no room even after purging the lazy areas leaves the purge done and visible', async () => {
    // alloc_vmap_area() purges the lazy areas before it gives up, and so does
    // the model: the purge must be published (and stored) like any other,
    // not linger unseen in the live space until some later write.
    const alice: Auth = { t: 'token', i: 0, form: 0 };
    const plain: Form = { form: 0, junk: null };
    await runCommands(ctx, [
      { edge: 'grpc', method: 'Alloc', auth: alice, spoof: false, alloc: { size: [4096n, plain] } },
      { edge: 'grpc', method: 'Free', auth: alice, spoof: false, addr: { live: true, i: 0, delta: 0, core: BASE, f: plain } },
      // One page of range; a byte and its guard page need two: out of space.
      { edge: 'grpc', method: 'Alloc', auth: alice, spoof: false, alloc: { size: [1n, plain], window: [0, 1] } },
    ]);
    const r = await httpSend(ctx.s.vmapd.httpPort, ctx.agent, { method: 'GET', path: '/meminfo?format=json' });
    assert.ok(!('client' in r));
    const mi = JSON.parse(r.body) as Record<string, number>;
    assert.deepEqual([mi.vmalloc_lazy_kb, mi.nr_lazy_areas], [0, 0], 'readers see the purge the failed alloc made');
  });

  it('garbage bytes on the HTTP socket: never a 5xx, nothing changes, the server stays up', async () => {
    await reset(ctx);
    await fc.assert(
      fc.asyncProperty(fc.array(rawHttpArb, { minLength: 1, maxLength: 4 }), async (inputs) => {
        for (const bytes of inputs) {
          const out = await rawHttp(ctx.s.vmapd.httpPort, bytes);
          for (const m of out.matchAll(/HTTP\/1\.[01] (\d{3})/g)) assert.ok(Number(m[1]) < 500, `${m[0]} for ${JSON.stringify(Buffer.from(bytes).toString('latin1'))}`);
        }
        await checkState(ctx, inputs);
        await checkAlive(ctx);
      }),
      { numRuns: runs(50), includeErrorInReport: true },
    );
  });

  it('a gRPC message over the receive limit is RESOURCE_EXHAUSTED, not INTERNAL', async () => {
    await reset(ctx);
    const res = await grpcSend(ctx.raw, 'Alloc', Buffer.alloc(9 * 1024 * 1024, 0x3a), metadataOf(ADMIN, false));
    assert.ok(!res.ok && res.code === grpc.status.RESOURCE_EXHAUSTED, `got ${res.ok ? 'OK' : grpc.status[res.code]}`);
    await checkState(ctx, 'oversized message');
    await checkAlive(ctx);
  });
});
