/**
 * The hand-written AllocBatch codecs against protobufjs (proto-loader, the
 * options the edge loads with): the same bytes out, the same values in,
 * for addresses from 0 to the last page below 2^64.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { decodeAreas, encodeAllocBatch, type WireAllocRequest } from '../../src/client/alloc-batch-codec.js';
import { areaOf } from '../../src/client/area.js';
import { decodeAllocBatch, encodeAreaBatch, fastAllocBatch } from '../../src/grpc/alloc-batch-codec.js';
import { areaMessage } from '../../src/grpc/area-message.js';
import type { AllocBatchRequest__Output } from '../../src/grpc/generated/vmap/v1/AllocBatchRequest.js';
import type { AllocBatchResponse__Output } from '../../src/grpc/generated/vmap/v1/AllocBatchResponse.js';
import { VmapClient } from '../../src/grpc/proto.js';
import { parseAllocInput } from '../../src/service/alloc-input.js';
import { quickAllocRequests, toAllocRequest } from '../../src/service/alloc-request.js';
import { areaViews, type AreaBatch } from '../../src/service/area-view.js';
import { SpaceGeometry } from '../../src/vmap/geometry.js';
import { makeArea, type VmapArea } from '../../src/vmap/vmap-area.js';

const method = VmapClient.service.AllocBatch as grpc.MethodDefinition<object, object>;

/** Spaces from address 0 to the very top of the 64-bit space. */
const GEOMETRIES = [
  new SpaceGeometry(0n, 1n << 40n),
  new SpaceGeometry(),
  new SpaceGeometry((1n << 64n) - (1n << 44n), 1n << 44n),
  new SpaceGeometry((1n << 53n) - (1n << 32n), 1n << 40n),
];

const text = fc.string({ unit: 'binary', maxLength: 24 });

/** Areas of `g`: the first page, the last one, and anything between. */
function areasOf(g: SpaceGeometry): fc.Arbitrary<VmapArea[]> {
  const area = fc
    .record({
      start: fc.oneof(fc.constant(0), fc.constant(g.pages - 1), fc.nat({ max: g.pages - 1 })),
      pages: fc.integer({ min: 1, max: 2 ** 20 }),
      guard: fc.boolean(),
      caller: fc.oneof(fc.constant('bench'), text),
      owner: fc.oneof(fc.constant('anonymous'), text),
      lazy: fc.boolean(),
      requestId: fc.oneof(fc.constant(''), text),
    })
    .map((a) => {
      const pages = Math.min(a.pages, g.pages - a.start);
      return makeArea(a.start, pages, a.guard && pages > 1, a.caller, a.owner, a.lazy, a.requestId);
    });
  return fc.array(area, { maxLength: 40 });
}

const batchArb: fc.Arbitrary<[SpaceGeometry, AreaBatch]> = fc
  .constantFrom(...GEOMETRIES)
  .chain((g) => areasOf(g).map((areas): [SpaceGeometry, AreaBatch] => [g, { basePage: g.basePage, areas }]));

const u64 = fc.oneof(fc.constant(0n), fc.constant((1n << 64n) - 1n), fc.constant(1n << 53n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.nat().map(BigInt));
const wireValue = (b: bigint): number | bigint => (b <= BigInt(Number.MAX_SAFE_INTEGER) && b % 2n === 0n ? Number(b) : b);

const requestArb = fc.record({ size: u64, align: u64, vstart: u64, vend: u64, noGuard: fc.boolean(), caller: fc.oneof(fc.constant('c'), text), requestId: text });

describe('AllocBatch codecs', () => {
  it('encode the reply byte for byte as protobufjs encodes the Area messages of areaMessage', () => {
    fc.assert(
      fc.property(batchArb, ([g, batch]) => {
        const slow = method.responseSerialize({ areas: areaViews(g, batch).map(areaMessage) });
        assert.deepEqual(encodeAreaBatch(batch), slow);
      }),
      { numRuns: 400 },
    );
  });

  it('decode the reply on the client into the Areas protobufjs and areaOf make', () => {
    fc.assert(
      fc.property(batchArb, ([g, batch]) => {
        const bytes = method.responseSerialize({ areas: areaViews(g, batch).map(areaMessage) });
        const slow = (method.responseDeserialize(bytes) as AllocBatchResponse__Output).areas.map(areaOf);
        assert.deepEqual(decodeAreas(bytes), slow);
      }),
      { numRuns: 400 },
    );
  });

  it('answer the top page of a space that ends at 2^64 exactly', () => {
    const g = GEOMETRIES[2]!;
    const top = makeArea(g.pages - 1, 1, false, '', '', false, '');
    const [area] = decodeAreas(encodeAreaBatch({ basePage: g.basePage, areas: [top] }));
    assert.equal(area!.addr, (1n << 64n) - 2n * 4096n);
    assert.equal(area!.areaSize, 4096n);
    const [zero] = decodeAreas(encodeAreaBatch({ basePage: 0, areas: [makeArea(0, 2, true, 'c', 'o', false, 'r')] }));
    assert.deepEqual(zero, { addr: 0n, size: 4096n, areaSize: 8192n, caller: 'c', owner: 'o', lazy: false, requestId: 'r' });
  });

  it('encode the request byte for byte as protobufjs encodes the decimal-string requests', () => {
    fc.assert(
      fc.property(fc.array(requestArb, { maxLength: 30 }), (reqs) => {
        const fast = encodeAllocBatch(reqs.map((r): WireAllocRequest => ({ ...r, size: wireValue(r.size), align: wireValue(r.align), vstart: wireValue(r.vstart), vend: wireValue(r.vend) })));
        const slow = method.requestSerialize({
          requests: reqs.map((r) => ({ size: String(r.size), align: String(r.align), vstart: String(r.vstart), vend: String(r.vend), no_guard: r.noGuard, caller: r.caller, request_id: r.requestId })),
        });
        assert.deepEqual(fast, slow);
      }),
      { numRuns: 300 },
    );
  });

  it('read the request on the server into what parseAllocInput makes of protobufjs output, odd bytes included', () => {
    const served = fastAllocBatch(VmapClient.service).AllocBatch!.requestDeserialize;
    const parsed = (req: AllocBatchRequest__Output): unknown =>
      req.requests.map((r, i) => {
        try {
          return parseAllocInput(r, 'o', `requests[${i}].`);
        } catch (err) {
          return String(err);
        }
      });
    const bytesArb = fc.oneof(
      fc.array(requestArb, { maxLength: 10 }).map((reqs) =>
        method.requestSerialize({
          requests: reqs.map((r) => ({ size: String(r.size), align: String(r.align), vstart: String(r.vstart), vend: String(r.vend), no_guard: r.noGuard, caller: r.caller, request_id: r.requestId })),
        }),
      ),
      // Anything at all: what protobufjs refuses must be refused, what it reads read alike.
      fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)),
      // A request with an unknown field and fields out of order and repeated.
      fc.constant(Buffer.from([0x0a, 0x0c, 0x32, 0x00, 0x08, 0x80, 0x20, 0x60, 0x05, 0x08, 0x81, 0x20, 0x28, 0x01])),
    );
    fc.assert(
      fc.property(bytesArb, (bytes) => {
        let slow: unknown;
        try {
          slow = parsed(method.requestDeserialize(bytes) as AllocBatchRequest__Output);
        } catch {
          slow = 'refused';
        }
        let fast: unknown;
        try {
          fast = parsed(served(bytes) as AllocBatchRequest__Output);
        } catch {
          fast = 'refused';
        }
        assert.deepEqual(fast, slow);
      }),
      { numRuns: 1000 },
    );
    assert.equal(decodeAllocBatch(Buffer.from([0x0a, 0x0c, 0x32, 0x00, 0x08, 0x80, 0x20, 0x60, 0x05, 0x08, 0x81, 0x20, 0x28, 0x01])).requests[0]!.size, 4097);
  });

  it('read a bool varint longer than five bytes on the server as protobufjs does (its Reader takes ten bytes)', () => {
    // no_guard as a seven-byte varint, then caller "c": protobufjs's bool reads past the caller.
    const inner = [0x28, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x32, 0x01, 0x63];
    const bytes = Buffer.from([0x0a, inner.length, ...inner]);
    const slow = (method.requestDeserialize(bytes) as AllocBatchRequest__Output).requests[0]!;
    const fast = decodeAllocBatch(bytes).requests[0]!;
    assert.deepEqual([fast.no_guard, fast.caller], [slow.no_guard, slow.caller]);
  });

  it('check plain requests as parseAllocInput and toAllocRequest do, and leave the others to them', () => {
    const g = new SpaceGeometry();
    const plain = { size: 4096, align: 0, vstart: 0, vend: 0, no_guard: false, caller: 'c', request_id: 'r' };
    const slow = (f: typeof plain) => toAllocRequest(g, parseAllocInput(f, 'o'), '');
    assert.deepEqual(quickAllocRequests(g, [plain, { ...plain, size: 1, no_guard: true }], 'o'), [slow(plain), slow({ ...plain, size: 1, no_guard: true })]);
    for (const odd of [{ size: 0 }, { size: 2 ** 60 }, { size: '4096' }, { align: 4096 }, { vstart: 1 }, { caller: 'a\nb' }, { caller: 'x'.repeat(257) }, { request_id: 'x'.repeat(129) }]) {
      assert.equal(quickAllocRequests(g, [plain, { ...plain, ...odd }], 'o'), undefined, JSON.stringify(odd));
    }
  });
});
