/**
 * What test/interop/vmap_client.py reports (its JSON document), and the
 * assertions on it. Messages appear in protobuf's JSON mapping with every
 * field present: uint64 as decimal strings, as proto-loader hands them to
 * Node, so Python's and Node's views of an area compare directly.
 */
import assert from 'node:assert/strict';
import { DEFAULT_SPACE_BASE, hex } from '../../src/vmap/geometry.js';

/** An Area message. */
export interface AreaData {
  readonly addr: string;
  readonly size: string;
  readonly area_size: string;
  readonly caller: string;
  readonly owner: string;
  readonly lazy: boolean;
  readonly request_id: string;
}

/** A failed call: its status code name, details and vmapd's trailing metadata. */
export interface Failure {
  readonly code: string;
  readonly details: string;
  readonly field: string | null;
  readonly quota: string | null;
}

type MemInfoData = Record<'vmalloc_total_kb' | 'vmalloc_used_kb' | 'vmalloc_chunk_kb' | 'vmalloc_lazy_kb' | 'nr_areas' | 'nr_lazy_areas' | 'generation', string>;
type Serving = Record<'' | 'vmap.v1.Vmap', string>;
/** A file's wire-relevant shape, as Python's descriptor pool resolves it. */
type Schema = { name: string; package: string; syntax: string; messages: Record<string, unknown[]>; services: Record<string, [string, string, string, boolean, boolean][]> };

/** The script's whole document. */
export interface Observations {
  readonly versions: { grpc: string; python: string };
  readonly rpcs: {
    alloc: AreaData;
    alloc_retry: AreaData;
    alloc_batch: AreaData[];
    find_inside: AreaData;
    list: AreaData[];
    list_page: AreaData[];
    list_lazy: AreaData[];
    meminfo_before_free: MemInfoData;
    meminfo_after_purge: MemInfoData;
    free: { freed_bytes: string; purged: boolean };
    purge: { purged_areas: string; purged_bytes: string };
  };
  readonly errors: Record<string, Failure> & { fits: AreaData; quota_holder: AreaData[]; own_list: AreaData[] };
  readonly stall: { busy: Failure; ended: { code: string; details: string } | null; received: number; last_received: string; resumed: number };
  readonly health: {
    ready: Serving;
    unknown_service: Failure;
    undecodable: Failure;
    store_full: { before: Serving; alloc: Failure; after_failed_commit: Serving; fail_fast: Failure; alloc_again: Failure | null; after_good_commit: Serving };
    shutdown_watch: string[];
  };
  readonly reflection: {
    services: string[];
    services_v1alpha: string[];
    by_filename: string[];
    by_filename_v1alpha: string[];
    by_symbol: Record<string, string[]>;
    package_named_file: { error_code: number; error_message: string };
    undecodable: Failure;
    schema: { reflected: Schema; protoc: Schema };
  };
}

const PAGE = 4096n;
const addr = (a: bigint): string => a.toString();

/** Asserts `f` failed with `code`, naming `field` (or none) and `quota` (or none), its details matching `details`. */
function failed(f: Failure | null | undefined, code: string, details: RegExp, names: { field?: string; quota?: string } = {}): void {
  assert.ok(f, `expected ${code}, but the call succeeded`);
  assert.equal(f.code, code, `expected ${code}, got ${f.code}: ${f.details}`);
  assert.match(f.details, details);
  assert.equal(f.field, names.field ?? null, 'vmap-field');
  assert.equal(f.quota, names.quota ?? null, 'vmap-quota');
}

/** The RPCs returned what the contract says, placed by the kernel's rules. */
export function checkRpcs(r: Observations['rpcs']): void {
  const base = DEFAULT_SPACE_BASE;
  const area = (a: bigint, size: number, areaSize: number, extra: Partial<AreaData> = {}): AreaData => ({
    addr: addr(a),
    size: String(size),
    area_size: String(areaSize),
    caller: '',
    owner: 'anonymous',
    lazy: false,
    request_id: '',
    ...extra,
  });
  const first = area(base, 8192, 12288, { caller: 'python', request_id: 'py-1' });
  assert.deepEqual(r.alloc, first, 'the lowest range, with a guard page');
  assert.deepEqual(r.alloc_retry, first, 'a retry with the same request_id returns the same area');
  assert.deepEqual(r.alloc_batch, [area(base + 3n * PAGE, 4096, 8192), area(base + (1n << 30n), 4096, 4096)], 'in order: right after the first, then the next 1 GiB boundary, no guard');
  assert.deepEqual(r.find_inside, first, 'Find takes any address inside the area');
  assert.deepEqual(r.list, [first, ...r.alloc_batch]);
  assert.deepEqual(r.list_page, [r.alloc_batch[0]], 'from_addr and limit');
  assert.deepEqual(r.free, { freed_bytes: '12288', purged: false });
  assert.deepEqual(r.list_lazy, [{ ...first, lazy: true, request_id: '' }, ...r.alloc_batch], 'a freed area stays, lazy, until a purge');
  assert.deepEqual(r.purge, { purged_areas: '1', purged_bytes: '12288' });
  const before = r.meminfo_before_free;
  const afterwards = r.meminfo_after_purge;
  assert.equal(before.vmalloc_total_kb, String(32 * 1024 ** 3 - 1));
  assert.deepEqual([before.nr_areas, before.vmalloc_used_kb, before.nr_lazy_areas], ['3', '24', '0']);
  assert.deepEqual([afterwards.nr_areas, afterwards.vmalloc_used_kb, afterwards.nr_lazy_areas, afterwards.vmalloc_lazy_kb], ['2', '12', '0', '0']);
  assert.equal(Number(afterwards.generation), Number(before.generation) + 2, 'the free and the purge each published once');
}

/** Every error code, with the field or quota it concerns. */
export function checkErrors(e: Observations['errors']): void {
  failed(e.size_zero, 'INVALID_ARGUMENT', /^size: must be greater than 0/, { field: 'size' });
  failed(e.align_not_power_of_two, 'INVALID_ARGUMENT', /^align: /, { field: 'align' });
  failed(e.vstart_below_space, 'INVALID_ARGUMENT', /^vstart: .* lies outside the space/, { field: 'vstart' });
  failed(e.batch_field, 'INVALID_ARGUMENT', /^requests\[1\]\.align: /, { field: 'requests[1].align' });
  for (const raw of [e.undecodable_alloc, e.undecodable_list]) failed(raw, 'INVALID_ARGUMENT', /^request: not a valid protobuf message/, { field: 'request' });
  const far = hex(DEFAULT_SPACE_BASE + (1n << 40n));
  failed(e.free_missing, 'NOT_FOUND', new RegExp(`nonexistent area at ${far}`));
  failed(e.find_missing, 'NOT_FOUND', new RegExp(`contains ${far}`));
  assert.equal(e.fits.area_size, '36864', 'half the small space, with its guard page');
  failed(e.out_of_space, 'RESOURCE_EXHAUSTED', /no free range of 36864 bytes/);
  failed(e.no_token, 'UNAUTHENTICATED', /missing "authorization: Bearer <token>"/);
  failed(e.no_token_list, 'UNAUTHENTICATED', /missing/);
  failed(e.unknown_token, 'UNAUTHENTICATED', /^unknown token$/);
  assert.deepEqual(
    e.quota_holder.map((a) => a.owner),
    ['alice', 'alice'],
  );
  failed(e.quota_areas, 'RESOURCE_EXHAUSTED', /^quota-areas: alice already holds 2 of its 2 areas/, { quota: 'quota-areas' });
  failed(e.other_owner_free, 'PERMISSION_DENIED', /belongs to another owner/);
  failed(e.other_owner_find, 'NOT_FOUND', /no busy area of yours/);
  assert.deepEqual(e.own_list, e.quota_holder, 'a client lists its own areas');
}

/** The stalled listing: refused company, then DEADLINE_EXCEEDED naming the last area the client got. */
export function checkStall(s: Observations['stall'], total: number): void {
  failed(s.busy, 'RESOURCE_EXHAUSTED', /--max-listings 1\b/);
  assert.ok(s.ended, 'the stalled listing ended with an error');
  assert.equal(s.ended.code, 'DEADLINE_EXCEEDED', s.ended.details);
  assert.match(s.ended.details, /took nothing for 1000 ms \(--stall-timeout-ms\)/);
  const named = /last area sent starts at (0x[0-9a-f]+)/.exec(s.ended.details);
  assert.ok(named, s.ended.details);
  assert.equal(named[1], hex(BigInt(s.last_received)), 'the last area named is the last one the client received');
  assert.ok(s.received > 0 && s.received < total, `${s.received} of ${total} areas before the stall`);
  assert.equal(s.received + s.resumed, total, 'listing again from above it gives the rest, exactly');
}

/** Health follows readiness: a failed commit and shutdown make it NOT_SERVING. */
export function checkHealth(h: Observations['health']): void {
  const all = (status: string): Serving => ({ '': status, 'vmap.v1.Vmap': status });
  assert.deepEqual(h.ready, all('SERVING'));
  failed(h.unknown_service, 'NOT_FOUND', /no\.such\.Service/);
  failed(h.undecodable, 'INVALID_ARGUMENT', /^request: not a valid protobuf message/, { field: 'request' });
  assert.deepEqual(h.store_full.before, all('SERVING'));
  failed(h.store_full.alloc, 'UNAVAILABLE', /write not applied: the disk holding the store is full/);
  assert.deepEqual(h.store_full.after_failed_commit, all('NOT_SERVING'));
  failed(h.store_full.fail_fast, 'UNAVAILABLE', /the disk holding the store is full; the store is tried again in \d+ ms$/);
  assert.equal(h.store_full.alloc_again, null, 'the next write commits');
  assert.deepEqual(h.store_full.after_good_commit, all('SERVING'));
  assert.deepEqual(h.shutdown_watch, ['SERVING', 'NOT_SERVING']);
}

/** Reflection lists every service and serves the real files, vmap's with protoc's schema. */
export function checkReflection(r: Observations['reflection']): void {
  const services = ['grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection', 'vmap.v1.Vmap'];
  assert.deepEqual(r.services, services);
  assert.deepEqual(r.services_v1alpha, services);
  assert.deepEqual(r.by_filename, ['vmap/v1/vmap.proto']);
  assert.deepEqual(r.by_filename_v1alpha, ['vmap/v1/vmap.proto']);
  assert.deepEqual(r.by_symbol, {
    'vmap.v1.Vmap': ['vmap/v1/vmap.proto'],
    'vmap.v1.Vmap.Alloc': ['vmap/v1/vmap.proto'],
    'vmap.v1.MemInfo': ['vmap/v1/vmap.proto'],
    'grpc.health.v1.Health': ['grpc/health/v1/health.proto'],
    'grpc.reflection.v1.ServerReflection': ['grpc/reflection/v1/reflection.proto'],
  });
  assert.equal(r.package_named_file.error_code, 5, 'NOT_FOUND: no file is named after its package any more');
  failed(r.undecodable, 'INVALID_ARGUMENT', /^request: not a valid protobuf message/, { field: 'request' });
  assert.deepEqual(r.schema.reflected, r.schema.protoc, 'the reflected file resolves to what protoc compiled');
  const methods = r.schema.protoc.services.Vmap!;
  assert.deepEqual(methods.find((m) => m[0] === 'MemInfo'), ['MemInfo', '.vmap.v1.MemInfoRequest', '.vmap.v1.MemInfo', false, false]);
  assert.deepEqual(methods.find((m) => m[0] === 'ListAreas'), ['ListAreas', '.vmap.v1.ListAreasRequest', '.vmap.v1.Area', false, true]);
  assert.equal(methods.length, 7);
}
