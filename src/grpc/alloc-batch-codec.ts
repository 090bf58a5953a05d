/**
 * AllocBatch's messages on the server: 10,000 areas through the reflection
 * codec cost an address string, a decimal string and a Long per uint64
 * field, both ways. The reply is written straight from the areas' page
 * numbers into one buffer (varint-writer.ts), byte for byte what protobufjs
 * writes for the AllocBatchResponse the Area messages of areaMessage make
 * (every field present, in field order); requests are read field by field
 * at protobufjs's Reader (varint-reader.ts) into plain numbers where protobufjs would give
 * decimal strings (decimal strings above 2^53). Any request the reader does
 * not expect goes to the reflection codec, so odd bytes are answered exactly
 * as before.
 */
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import type { AreaBatch } from '../service/area-view.js';
import type { VmapArea } from '../vmap/vmap-area.js';
import { RepeatedStrings, Utf8Column } from './repeated-strings.js';
import { bigValue, readString, readUint64, safeValue, type Uint64Halves } from './varint-reader.js';
import { varint32Size, varint64Size, writeBytes, writeVarint32, writeVarint64 } from './varint-writer.js';

const { Reader } = protobuf;

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

/** Wire types (the low three bits of a tag). */
const VARINT = 0;
const LEN = 2;

/** The Area message's tags, fields 1 to 7. */
const TAG_AREA = (1 << 3) | LEN;
const TAG_ADDR = (1 << 3) | VARINT;
const TAG_SIZE = (2 << 3) | VARINT;
const TAG_AREA_SIZE = (3 << 3) | VARINT;
const TAG_CALLER = (4 << 3) | LEN;
const TAG_OWNER = (5 << 3) | LEN;
const TAG_LAZY = (6 << 3) | VARINT;
const TAG_REQUEST_ID = (7 << 3) | LEN;

/** 2^20: a page number's low 20 bits times the page size fill exactly 32 bits. */
const PAGES_PER_WORD = 0x100000;

/** The low 32 bits of `pages * 4096` (pages < 2^52: the byte count is below 2^64, exact). */
function pageBytesLo(pages: number): number {
  // `>>> 0` takes a double's low 32 bits exactly, without the fmod a `%` of a double costs.
  return ((pages >>> 0) & (PAGES_PER_WORD - 1)) * 4096;
}

/** The high 32 bits of `pages * 4096`. */
function pageBytesHi(pages: number): number {
  return Math.floor(pages / PAGES_PER_WORD);
}

/** Bytes of `pages * 4096` as a uint64 field's varint. */
function pageBytesSize(pages: number): number {
  return varint64Size(pageBytesLo(pages), pageBytesHi(pages));
}

function writePageBytes(buf: Buffer, pos: number, pages: number): number {
  return writeVarint64(buf, pos, pageBytesLo(pages), pageBytesHi(pages));
}

/**
 * The AllocBatchResponse of `batch`: what `{ areas: batch's views.map(areaMessage) }`
 * encodes to, written into one buffer sized first (see varint-writer.ts).
 */
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
    const caller = callers.bytes(va.caller).length;
    const owner = owners.bytes(va.owner).length;
    const requestId = requestIds.bytes(va.requestId).length;
    const len =
      7 + // the seven tags
      pageBytesSize(basePage + va.start) +
      pageBytesSize(va.guard ? va.pages - 1 : va.pages) +
      pageBytesSize(va.pages) +
      varint32Size(caller) +
      caller +
      varint32Size(owner) +
      owner +
      1 + // lazy
      varint32Size(requestId) +
      requestId;
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
    pos = writeBytes(buf, pos, callers.bytes(va.caller));
    buf[pos++] = TAG_OWNER;
    pos = writeBytes(buf, pos, owners.bytes(va.owner));
    buf[pos++] = TAG_LAZY;
    buf[pos++] = va.lazy ? 1 : 0;
    buf[pos++] = TAG_REQUEST_ID;
    pos = writeBytes(buf, pos, requestIds.bytes(va.requestId));
  }
  if (pos !== total) throw new Error(`AllocBatchResponse: wrote ${pos} bytes of ${total}`);
  return buf;
}

/** The uint64 field at `r`: a number up to 2^53, else its decimal string (as protobufjs would give it). */
function u64(r: protobuf.Reader, v: Uint64Halves): number | string {
  readUint64(r, v);
  const n = safeValue(v);
  return n >= 0 ? n : bigValue(v).toString();
}

/** The bytes are not the plain encoding: the reflection codec reads them instead. */
class Unexpected extends Error {}

function readAllocRequest(r: protobuf.Reader, end: number, callers: RepeatedStrings, v: Uint64Halves): DecodedAllocRequest {
  const m: DecodedAllocRequest = { size: 0, align: 0, vstart: 0, vend: 0, no_guard: false, caller: '', request_id: '' };
  // As protobufjs's decoder does: the reader ends with the message while reading it.
  const len = r.len;
  r.len = end;
  while (r.pos < end) {
    const t = r.uint32();
    const wire = t & 7;
    const field = t >>> 3;
    if (field >= 1 && field <= 5 && wire !== VARINT) throw new Unexpected(`field ${field} with wire type ${wire}`);
    if ((field === 6 || field === 7) && wire !== LEN) throw new Unexpected(`field ${field} with wire type ${wire}`);
    switch (field) {
      case 1:
        m.size = u64(r, v);
        break;
      case 2:
        m.align = u64(r, v);
        break;
      case 3:
        m.vstart = u64(r, v);
        break;
      case 4:
        m.vend = u64(r, v);
        break;
      case 5:
        m.no_guard = r.bool();
        break;
      case 6:
        m.caller = callers.string(r);
        break;
      case 7:
        m.request_id = readString(r);
        break;
      default:
        r.skipType(wire);
    }
  }
  if (r.pos !== end) throw new Unexpected('field beyond its message');
  r.len = len;
  return m;
}

/**
 * An AllocBatchRequest read field by field.
 *
 * @throws for anything but the plain encoding (the caller hands the bytes to the reflection codec)
 */
export function decodeAllocBatch(bytes: Buffer): DecodedAllocBatch {
  const r = Reader.create(bytes);
  const requests: DecodedAllocRequest[] = [];
  const callers = new RepeatedStrings(bytes);
  const v: Uint64Halves = { lo: 0, hi: 0 };
  while (r.pos < r.len) {
    const t = r.uint32();
    if (t >>> 3 !== 1) {
      r.skipType(t & 7);
      continue;
    }
    if ((t & 7) !== LEN) throw new Unexpected(`requests with wire type ${t & 7}`);
    const end = r.uint32() + r.pos;
    if (end > r.len) throw new Unexpected('request beyond the message');
    requests.push(readAllocRequest(r, end, callers, v));
  }
  return { requests };
}

/**
 * `definition` (vmap.v1.Vmap) with AllocBatch's request read by
 * decodeAllocBatch (the reflection codec for whatever it throws on: its own
 * checks, or protobufjs's Reader on truncated bytes) and its reply passed
 * through when the handler encoded it already (a Buffer).
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
        } catch {
          return slowRequest(bytes);
        }
      },
      responseSerialize: (value: unknown): Buffer => (Buffer.isBuffer(value) ? value : slowResponse(value)),
    },
  };
}
