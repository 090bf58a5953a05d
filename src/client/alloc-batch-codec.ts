/**
 * AllocBatch's messages on the client, written and read by hand (see
 * src/grpc/alloc-batch-codec.ts for why): the request encoded straight from
 * the AllocSpecs, byte for byte what protobufjs writes for the AllocRequest
 * objects the client used to build (every field present, in field order);
 * the reply read straight into Areas, uint64 fields into bigint, exact.
 */
import type * as grpc from '@grpc/grpc-js';
import {
  highWord,
  lowWord,
  RepeatedStrings,
  Utf8Column,
  tag,
  varint32Size,
  varint64Size,
  WIRE,
  WireReader,
  WireSurprise,
  writeUtf8,
  writeVarint32,
  writeVarint64,
} from '../grpc/protobuf-wire.js';
import type { Area } from './area.js';

/** One AllocRequest, checked: uint64 fields as safe integers or bigint. */
export interface WireAllocRequest {
  readonly size: number | bigint;
  readonly align: number | bigint;
  readonly vstart: number | bigint;
  readonly vend: number | bigint;
  readonly noGuard: boolean;
  readonly caller: string;
  readonly requestId: string;
}

const MASK32 = 0xffffffffn;

function u64Size(v: number | bigint): number {
  return typeof v === 'number' ? varint64Size(lowWord(v), highWord(v)) : varint64Size(Number(v & MASK32), Number(v >> 32n));
}

function writeU64(buf: Buffer, pos: number, v: number | bigint): number {
  return typeof v === 'number' ? writeVarint64(buf, pos, lowWord(v), highWord(v)) : writeVarint64(buf, pos, Number(v & MASK32), Number(v >> 32n));
}

/** The AllocBatchRequest of `requests`. */
export function encodeAllocBatch(requests: readonly WireAllocRequest[]): Buffer {
  const n = requests.length;
  const lengths = new Uint32Array(n);
  const texts: Buffer[] = new Array<Buffer>(2 * n);
  const callers = new Utf8Column();
  const requestIds = new Utf8Column();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = requests[i]!;
    const caller = (texts[2 * i] = callers.bytes(r.caller)).length;
    const requestId = (texts[2 * i + 1] = requestIds.bytes(r.requestId)).length;
    const len =
      7 + // the seven tags
      u64Size(r.size) +
      u64Size(r.align) +
      u64Size(r.vstart) +
      u64Size(r.vend) +
      1 + // no_guard
      varint32Size(caller) +
      caller +
      varint32Size(requestId) +
      requestId;
    lengths[i] = len;
    total += 1 + varint32Size(len) + len;
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const r = requests[i]!;
    buf[pos++] = tag(1, WIRE.len);
    pos = writeVarint32(buf, pos, lengths[i]!);
    buf[pos++] = tag(1, WIRE.varint);
    pos = writeU64(buf, pos, r.size);
    buf[pos++] = tag(2, WIRE.varint);
    pos = writeU64(buf, pos, r.align);
    buf[pos++] = tag(3, WIRE.varint);
    pos = writeU64(buf, pos, r.vstart);
    buf[pos++] = tag(4, WIRE.varint);
    pos = writeU64(buf, pos, r.vend);
    buf[pos++] = tag(5, WIRE.varint);
    buf[pos++] = r.noGuard ? 1 : 0;
    buf[pos++] = tag(6, WIRE.len);
    pos = writeUtf8(buf, pos, texts[2 * i]!);
    buf[pos++] = tag(7, WIRE.len);
    pos = writeUtf8(buf, pos, texts[2 * i + 1]!);
  }
  if (pos !== total) throw new Error(`AllocBatchRequest: wrote ${pos} bytes of ${total}`);
  return buf;
}

/** The uint64 just read, as bigint. */
function big(r: WireReader): bigint {
  const n = r.safe();
  return n >= 0 ? BigInt(n) : (BigInt(r.hi) << 32n) | BigInt(r.lo);
}

/**
 * Addresses above 2^53 as bigint, each from the first one's bigint and a
 * safe difference (two bigints made per address instead of four): the
 * areas of one batch lie close together.
 */
class Addresses {
  private hi = 0;
  private lo = 0;
  private ref: bigint | undefined;

  /** The uint64 just read, as bigint. */
  of(r: WireReader): bigint {
    if (r.hi < 0x200000) return BigInt(r.hi * 2 ** 32 + r.lo);
    const d = (r.hi - this.hi) * 2 ** 32 + (r.lo - this.lo);
    if (this.ref !== undefined && Number.isSafeInteger(d)) return this.ref + BigInt(d);
    this.hi = r.hi;
    this.lo = r.lo;
    this.ref = (BigInt(r.hi) << 32n) | BigInt(r.lo);
    return this.ref;
  }
}

function readArea(r: WireReader, end: number, callers: RepeatedStrings, owners: RepeatedStrings, addrs: Addresses): Area {
  let addr = 0n;
  let size = 0n;
  let areaSize = 0n;
  let caller = '';
  let owner = '';
  let lazy = false;
  let requestId = '';
  while (r.pos < end) {
    const t = r.varint32();
    const wire = t & 7;
    const field = t >>> 3;
    const expected = field === 4 || field === 5 || field === 7 ? WIRE.len : field >= 1 && field <= 6 ? WIRE.varint : wire;
    if (wire !== expected) throw new WireSurprise(`Area field ${field} with wire type ${wire}`);
    switch (field) {
      case 1:
        r.varint64();
        addr = addrs.of(r);
        break;
      case 2:
        r.varint64();
        size = big(r);
        break;
      case 3:
        r.varint64();
        areaSize = big(r);
        break;
      case 4:
        caller = callers.string(r);
        break;
      case 5:
        owner = owners.string(r);
        break;
      case 6:
        r.varint64();
        lazy = r.lo !== 0;
        break;
      case 7:
        requestId = r.string();
        break;
      default:
        r.skip(wire);
    }
  }
  if (r.pos !== end) throw new WireSurprise('field beyond its message');
  return { addr, size, areaSize, caller, owner, lazy, requestId };
}

/**
 * The Areas of an AllocBatchResponse, in order.
 *
 * @throws WireSurprise for bytes that are no AllocBatchResponse
 */
export function decodeAreas(bytes: Buffer): Area[] {
  const r = new WireReader(bytes, 0, bytes.length);
  const areas: Area[] = [];
  const callers = new RepeatedStrings();
  const owners = new RepeatedStrings();
  const addrs = new Addresses();
  while (r.more) {
    const t = r.varint32();
    if (t >>> 3 !== 1) {
      r.skip(t & 7);
      continue;
    }
    if ((t & 7) !== WIRE.len) throw new WireSurprise(`areas with wire type ${t & 7}`);
    const end = r.lengthEnd();
    areas.push(readArea(r, end, callers, owners, addrs));
  }
  return areas;
}

/**
 * `definition` (vmap.v1.Vmap) for VmapClient: AllocBatch takes the request
 * as encodeAllocBatch's bytes and answers the Areas of decodeAreas.
 */
export function clientAllocBatch(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const method = definition.AllocBatch as grpc.MethodDefinition<unknown, unknown> | undefined;
  if (method === undefined) return definition;
  const slowRequest = method.requestSerialize;
  return {
    ...definition,
    AllocBatch: {
      ...method,
      requestSerialize: (value: unknown): Buffer => (Buffer.isBuffer(value) ? value : slowRequest(value)),
      responseDeserialize: (bytes: Buffer): unknown => decodeAreas(bytes),
    },
  };
}
