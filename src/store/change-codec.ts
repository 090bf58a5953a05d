/**
 * The store's change records in their wire form between threads (to the
 * SQLite store's thread and to the HTTP reader threads): columns, not objects.
 * Structured clone copies an array of 10,000 change objects in about 35 ms
 * (half on the writer, half on the reader thread, measured on Node 24); the
 * same changes as typed arrays plus one JSON string of their texts take
 * about 4 ms, encoding and decoding included. The writer encodes a slice
 * once for every reader thread; each reader decodes only what it receives.
 */
import type { Change } from './store.js';
import { makeArea, type VmapArea } from '../vmap/vmap-area.js';

/** Changes as columns: the i-th entry of each array belongs to the i-th change. */
export interface EncodedChanges {
  /** OP codes. */
  readonly ops: Uint8Array;
  /** The area's start (insert) or the start the change names (lazy, delete); 0 for purge. */
  readonly starts: Float64Array;
  /** Pages of an inserted area; 0 otherwise. */
  readonly pages: Float64Array;
  /** GUARD and LAZY bits of an inserted area. */
  readonly flags: Uint8Array;
  /** Caller, owner and request id of each insert, in order, as indexes into `texts`. */
  readonly textIds: Uint32Array;
  /** JSON array of the distinct texts. */
  readonly texts: string;
}

const OP = { insert: 0, lazy: 1, delete: 2, purge: 3 } as const;
const GUARD = 1;
const LAZY = 2;

/** What a decoder met that no encoder writes: the stream is corrupt. */
export class ChangeCodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChangeCodecError';
  }
}

/** The distinct texts of an encoding and each one's index; a text equal to the last one of its column is looked up no further. */
class TextTable {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();
  private readonly last: (string | undefined)[] = [undefined, undefined, undefined];
  private readonly lastId = [0, 0, 0];

  /** The index of `s`, the text of column `column` (0 caller, 1 owner, 2 request id). */
  id(column: number, s: string): number {
    if (s === this.last[column]) return this.lastId[column]!;
    let id = this.index.get(s);
    if (id === undefined) {
      id = this.list.length;
      this.list.push(s);
      this.index.set(s, id);
    }
    this.last[column] = s;
    this.lastId[column] = id;
    return id;
  }
}

function encode(n: number, inserts: number, each: (put: (op: number, start: number, area: VmapArea | undefined) => void) => void): EncodedChanges {
  const ops = new Uint8Array(n);
  const starts = new Float64Array(n);
  const pages = new Float64Array(n);
  const flags = new Uint8Array(n);
  const textIds = new Uint32Array(3 * inserts);
  const texts = new TextTable();
  let i = 0;
  let t = 0;
  each((op, start, area) => {
    ops[i] = op;
    starts[i] = start;
    if (area !== undefined) {
      pages[i] = area.pages;
      flags[i] = (area.guard ? GUARD : 0) | (area.lazy ? LAZY : 0);
      textIds[t++] = texts.id(0, area.caller);
      textIds[t++] = texts.id(1, area.owner);
      textIds[t++] = texts.id(2, area.requestId);
    }
    i++;
  });
  return { ops, starts, pages, flags, textIds, texts: JSON.stringify(texts.list) };
}

/** `changes` in columns. */
export function encodeChanges(changes: readonly Change[]): EncodedChanges {
  let inserts = 0;
  for (const c of changes) if (c.op === 'insert') inserts++;
  return encode(changes.length, inserts, (put) => {
    for (const c of changes) {
      if (c.op === 'insert') put(OP.insert, c.area.start, c.area);
      else if (c.op === 'purge') put(OP.purge, 0, undefined);
      else put(OP[c.op], c.start, undefined);
    }
  });
}

/** The changes `e` holds; the areas of inserts made as the allocator makes them (one hidden class). */
export function decodeChanges(e: EncodedChanges): Change[] {
  const texts = JSON.parse(e.texts) as unknown;
  if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) throw new ChangeCodecError('the texts column is not an array of strings');
  const text = (t: number): string => {
    const s = (texts as string[])[e.textIds[t]!];
    if (s === undefined) throw new ChangeCodecError(`text ${t} names no text`);
    return s;
  };
  const n = e.ops.length;
  const out = new Array<Change>(n);
  let t = 0;
  for (let i = 0; i < n; i++) {
    const start = e.starts[i]!;
    switch (e.ops[i]) {
      case OP.insert: {
        const f = e.flags[i]!;
        if (t + 3 > e.textIds.length) throw new ChangeCodecError(`insert ${i} has no texts`);
        out[i] = { op: 'insert', area: makeArea(start, e.pages[i]!, (f & GUARD) !== 0, text(t), text(t + 1), (f & LAZY) !== 0, text(t + 2)) };
        t += 3;
        break;
      }
      case OP.lazy:
        out[i] = { op: 'lazy', start };
        break;
      case OP.delete:
        out[i] = { op: 'delete', start };
        break;
      case OP.purge:
        out[i] = { op: 'purge' };
        break;
      default:
        throw new ChangeCodecError(`unknown op ${e.ops[i]} at ${i}`);
    }
  }
  return out;
}
