/**
 * AllocBatch's messages on the server, written and read by hand: 10,000
 * areas through protobufjs cost an address string, a decimal string and a
 * Long per uint64 field, both ways. The reply is encoded straight from the
 * areas' page numbers, byte for byte what protobufjs writes for the
 * AllocBatchResponse the Area messages of areaMessage make (every field
 * present, in field order); requests are read into plain numbers where
 * protobufjs would give decimal strings (decimal strings above 2^53). Any
 * request the reader does not expect goes to protobufjs, so odd bytes are
 * answered exactly as before.
 */
import type * as grpc from '@grpc/grpc-js';
import type { AreaBatch } from '../service/area-view.js';
import type { VmapArea } from '../vmap/vmap-area.js';
import {
  pageBytesHi,
  pageBytesLo,
  RepeatedStrings,
  Utf8Column,
  tag,
  varint32Size,
  varint64Size,
  WIRE,
  WireReader,
  WireSurprise,
  writeVarint32,
  writeUtf8,
  writeVarint64,
} from './protobuf-wire.js';

/** One AllocRequest as read: every field present (proto3 defaults), uint64 fields as numbers, or decimal strings above 2^53. */
export interface DecodedAllocRequest {
  size: number | string;
  align: number | string;
  vstart: number | string;
  vend: number | string;
  no_guard: boolean;
  caller: string;
  request_id: string;
}

/** An AllocBatchRequest as read. */
export interface DecodedAllocBatch {
  readonly requests: DecodedAllocRequest[];
}

const TAG_AREA = tag(1, WIRE.len);
const TAG_ADDR = tag(1, WIRE.varint);
const TAG_SIZE = tag(2, WIRE.varint);
const TAG_AREA_SIZE = tag(3, WIRE.varint);
const TAG_CALLER = tag(4, WIRE.len);
const TAG_OWNER = tag(5, WIRE.len);
const TAG_LAZY = tag(6, WIRE.varint);
const TAG_REQUEST_ID = tag(7, WIRE.len);

/** Bytes of page count `pages` as a uint64 field's varint (its byte count, pages * 4096). */
function pageBytesSize(pages: number): number {
  return varint64Size(pageBytesLo(pages), pageBytesHi(pages));
}

function writePageBytes(buf: Buffer, pos: number, pages: number): number {
  return writeVarint64(buf, pos, pageBytesLo(pages), pageBytesHi(pages));
}

/** The AllocBatchResponse of `batch`: what `{ areas: batch's views.map(areaMessage) }` encodes to. */
export function encodeAreaBatch(batch: AreaBatch): Buffer {
  const { basePage, areas } = batch;
  const n = areas.length;
  const lengths = new Uint32Array(n);
  // The texts are looked up again while writing: a repeated one costs a comparison.
  const callers = new Utf8Column();
  const owners = new Utf8Column();
  const requestIds = new Utf8Column();
  let total = 0;
  for (let i = 0; i < n; i++) {
    const va: VmapArea = areas[i]!;
    const caller = callers.bytes(va.caller);
    const owner = owners.bytes(va.owner);
    const requestId = requestIds.bytes(va.requestId);
    const usable = va.guard ? va.pages - 1 : va.pages;
    const len =
      7 + // the seven tags
      pageBytesSize(basePage + va.start) +
      pageBytesSize(usable) +
      pageBytesSize(va.pages) +
      varint32Size(caller.length) +
      caller.length +
      varint32Size(owner.length) +
      owner.length +
      1 + // lazy
      varint32Size(requestId.length) +
      requestId.length;
    lengths[i] = len;
    total += 1 + varint32Size(len) + len;
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < n; i++) {
    const va = areas[i]!;
    buf[pos++] = TAG_AREA;
    pos = writeVarint32(buf, pos, lengths[i]!);
    buf[pos++] = TAG_ADDR;
    pos = writePageBytes(buf, pos, basePage + va.start);
    buf[pos++] = TAG_SIZE;
    pos = writePageBytes(buf, pos, va.guard ? va.pages - 1 : va.pages);
    buf[pos++] = TAG_AREA_SIZE;
    pos = writePageBytes(buf, pos, va.pages);
    buf[pos++] = TAG_CALLER;
    pos = writeUtf8(buf, pos, callers.bytes(va.caller));
    buf[pos++] = TAG_OWNER;
    pos = writeUtf8(buf, pos, owners.bytes(va.owner));
    buf[pos++] = TAG_LAZY;
    buf[pos++] = va.lazy ? 1 : 0;
    buf[pos++] = TAG_REQUEST_ID;
    pos = writeUtf8(buf, pos, requestIds.bytes(va.requestId));
  }
  if (pos !== total) throw new Error(`AllocBatchResponse: wrote ${pos} bytes of ${total}`);
  return buf;
}

/** The uint64 just read: a number up to 2^53, else its decimal string (as protobufjs would give it). */
function u64(r: WireReader): number | string {
  const n = r.safe();
  return n >= 0 ? n : ((BigInt(r.hi) << 32n) | BigInt(r.lo)).toString();
}

function readAllocRequest(r: WireReader, end: number, callers: RepeatedStrings): DecodedAllocRequest {
  const m: DecodedAllocRequest = { size: 0, align: 0, vstart: 0, vend: 0, no_guard: false, caller: '', request_id: '' };
  while (r.pos < end) {
    const t = r.varint32();
    const wire = t & 7;
    const field = t >>> 3;
    if (field >= 1 && field <= 5 && wire !== WIRE.varint) throw new WireSurprise(`field ${field} with wire type ${wire}`);
    if ((field === 6 || field === 7) && wire !== WIRE.len) throw new WireSurprise(`field ${field} with wire type ${wire}`);
    switch (field) {
      case 1:
        r.varint64();
        m.size = u64(r);
        break;
      case 2:
        r.varint64();
        m.align = u64(r);
        break;
      case 3:
        r.varint64();
        m.vstart = u64(r);
        break;
      case 4:
        r.varint64();
        m.vend = u64(r);
        break;
      case 5:
        r.varint64();
        m.no_guard = r.lo !== 0; // protobufjs reads a bool as its low 32 bits
        break;
      case 6:
        m.caller = callers.string(r);
        break;
      case 7:
        m.request_id = r.string();
        break;
      default:
        r.skip(wire);
    }
  }
  if (r.pos !== end) throw new WireSurprise('field beyond its message');
  return m;
}

/**
 * An AllocBatchRequest read by hand.
 *
 * @throws WireSurprise for anything but the plain encoding (the caller falls back to protobufjs)
 */
export function decodeAllocBatch(bytes: Buffer): DecodedAllocBatch {
  const r = new WireReader(bytes, 0, bytes.length);
  const requests: DecodedAllocRequest[] = [];
  const callers = new RepeatedStrings();
  while (r.more) {
    const t = r.varint32();
    if (t >>> 3 !== 1) {
      r.skip(t & 7);
      continue;
    }
    if ((t & 7) !== WIRE.len) throw new WireSurprise(`requests with wire type ${t & 7}`);
    const end = r.lengthEnd();
    requests.push(readAllocRequest(r, end, callers));
  }
  return { requests };
}

/**
 * `definition` (vmap.v1.Vmap) with AllocBatch's request read by
 * decodeAllocBatch (protobufjs for whatever it does not expect) and its
 * reply passed through when the handler encoded it already (a Buffer).
 */
export function fastAllocBatch(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const method = definition.AllocBatch as grpc.MethodDefinition<unknown, unknown> | undefined;
  if (method === undefined) return definition;
  const slowRequest = method.requestDeserialize;
  const slowResponse = method.responseSerialize;
  return {
    ...definition,
    AllocBatch: {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return decodeAllocBatch(bytes);
        } catch (err) {
          if (err instanceof WireSurprise) return slowRequest(bytes);
          throw err;
        }
      },
      responseSerialize: (value: unknown): Buffer => (Buffer.isBuffer(value) ? value : slowResponse(value)),
    },
  };
}
