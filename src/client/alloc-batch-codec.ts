/**
 * AllocBatch's messages on the client (see src/grpc/alloc-batch-codec.ts
 * for why): the request written straight from the AllocSpecs into one
 * buffer (src/grpc/varint-writer.ts), byte for byte what protobufjs writes
 * for the AllocRequest objects the client used to build (every field
 * present, in field order); the reply read field by field at protobufjs's
 * Reader (src/grpc/varint-reader.ts) straight into Areas, uint64 fields
 * into bigint, exact.
 */
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import { RepeatedStrings, Utf8Column } from '../grpc/repeated-strings.js';
import { bigValue, readString, readUint64, type Uint64Halves } from '../grpc/varint-reader.js';
import { varint32Size, varint64Size, writeBytes, writeVarint32, writeVarint64 } from '../grpc/varint-writer.js';
import type { Area } from './area.js';

const { Reader } = protobuf;

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

/** Wire types (the low three bits of a tag). */
const VARINT = 0;
const LEN = 2;

const MASK32 = 0xffffffffn;
/** 2^32. */
const WORD = 0x100000000;

/** The low 32 bits of a uint64 (a safe integer or a bigint below 2^64). */
function lowWord(v: number | bigint): number {
  return typeof v === 'number' ? v >>> 0 : Number(v & MASK32);
}

/** The high 32 bits of a uint64. */
function highWord(v: number | bigint): number {
  return typeof v === 'number' ? Math.floor(v / WORD) : Number((v >> 32n) & MASK32);
}

function u64Size(v: number | bigint): number {
  return varint64Size(lowWord(v), highWord(v));
}

function writeU64(buf: Buffer, pos: number, v: number | bigint): number {
  return writeVarint64(buf, pos, lowWord(v), highWord(v));
}

/** The AllocBatchRequest of `requests`, written into one buffer sized first (see src/grpc/varint-writer.ts). */
export function encodeAllocBatch(requests: readonly WireAllocRequest[]): Buffer {
  const n = requests.length;
  const lengths = new Uint32Array(n);
  // The texts are looked up again while writing: a repeated one costs a comparison.
  const callers = new Utf8Column();
  const requestIds = new Utf8Column();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const r = requests[i]!;
    const caller = callers.bytes(r.caller).length;
    const requestId = requestIds.bytes(r.requestId).length;
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
    buf[pos++] = (1 << 3) | LEN;
    pos = writeVarint32(buf, pos, lengths[i]!);
    buf[pos++] = (1 << 3) | VARINT;
    pos = writeU64(buf, pos, r.size);
    buf[pos++] = (2 << 3) | VARINT;
    pos = writeU64(buf, pos, r.align);
    buf[pos++] = (3 << 3) | VARINT;
    pos = writeU64(buf, pos, r.vstart);
    buf[pos++] = (4 << 3) | VARINT;
    pos = writeU64(buf, pos, r.vend);
    buf[pos++] = (5 << 3) | VARINT;
    buf[pos++] = r.noGuard ? 1 : 0;
    buf[pos++] = (6 << 3) | LEN;
    pos = writeBytes(buf, pos, callers.bytes(r.caller));
    buf[pos++] = (7 << 3) | LEN;
    pos = writeBytes(buf, pos, requestIds.bytes(r.requestId));
  }
  if (pos !== total) throw new Error(`AllocBatchRequest: wrote ${pos} bytes of ${total}`);
  return buf;
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

  /** The uint64 `v`, as bigint. */
  of(v: Uint64Halves): bigint {
    const { hi, lo } = v;
    if (hi < 0x200000) return BigInt(hi * 0x100000000 + lo);
    const d = (hi - this.hi) * 0x100000000 + (lo - this.lo);
    if (this.ref !== undefined && Number.isSafeInteger(d)) return this.ref + BigInt(d);
    this.hi = hi;
    this.lo = lo;
    this.ref = (BigInt(hi) << 32n) | BigInt(lo);
    return this.ref;
  }
}

/** Each field's wire type in an Area (index: field number). */
const AREA_WIRE = [-1, VARINT, VARINT, VARINT, LEN, LEN, VARINT, LEN];

function readArea(r: protobuf.Reader, end: number, callers: RepeatedStrings, owners: RepeatedStrings, addrs: Addresses, v: Uint64Halves): Area {
  let addr = 0n;
  let size = 0n;
  let areaSize = 0n;
  let caller = '';
  let owner = '';
  let lazy = false;
  let requestId = '';
  // As protobufjs's decoder does: the reader ends with the message while reading it.
  const len = r.len;
  r.len = end;
  while (r.pos < end) {
    const t = r.uint32();
    const wire = t & 7;
    const field = t >>> 3;
    const expected = field >= 1 && field <= 7 ? AREA_WIRE[field] : wire;
    if (wire !== expected) throw new Error(`AllocBatchResponse: Area field ${field} with wire type ${wire}`);
    switch (field) {
      case 1:
        readUint64(r, v);
        addr = addrs.of(v);
        break;
      case 2:
        readUint64(r, v);
        size = bigValue(v);
        break;
      case 3:
        readUint64(r, v);
        areaSize = bigValue(v);
        break;
      case 4:
        caller = callers.string(r);
        break;
      case 5:
        owner = owners.string(r);
        break;
      case 6:
        lazy = r.bool();
        break;
      case 7:
        requestId = readString(r);
        break;
      default:
        r.skipType(wire);
    }
  }
  if (r.pos !== end) throw new Error('AllocBatchResponse: a field beyond its Area');
  r.len = len;
  return { addr, size, areaSize, caller, owner, lazy, requestId };
}

/**
 * The Areas of an AllocBatchResponse, in order.
 *
 * @throws for bytes that are no AllocBatchResponse
 */
export function decodeAreas(bytes: Buffer): Area[] {
  const r = Reader.create(bytes);
  const areas: Area[] = [];
  const callers = new RepeatedStrings(bytes);
  const owners = new RepeatedStrings(bytes);
  const addrs = new Addresses();
  const v: Uint64Halves = { lo: 0, hi: 0 };
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t >>> 3 !== 1) {
      r.skipType(t & 7);
      continue;
    }
    if ((t & 7) !== LEN) throw new Error(`AllocBatchResponse: areas with wire type ${t & 7}`);
    const end = r.uint32() + r.pos;
    if (end > r.len) throw new Error('AllocBatchResponse: an Area beyond the message');
    areas.push(readArea(r, end, callers, owners, addrs, v));
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
