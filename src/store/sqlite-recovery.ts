/**
 * Reading the SQLite store back at start: every area, ascending (the meta
 * table checked first, sqlite-meta.ts): from the area image and the rows
 * changed since it when the database names one (none when no commit came
 * after the image's epoch), else from every row. Runs on the store's worker
 * thread before anything is served, so blocking is fine; it is on the path
 * from spawn to listening, so it reads the rows the cheapest way
 * better-sqlite3 offers.
 *
 * For every row that way is one column at a time (`pluck().all()`): a row as an array
 * costs a JS array and a call per row, about twice what the same values
 * cost as one flat array per column (measured on 1M areas, CPU time on a
 * busy machine: 1.6 s for the seven columns as rows, 0.8 s as four plucked
 * columns, caller and owner together as one JSON pair). `start` is the
 * rowid, so each column is a scan in rowid order, and all of them run in one
 * read transaction: they see one state and line up row for row.
 */
import type Database from 'better-sqlite3';
import type { SpaceGeometry } from '../vmap/geometry.js';
import { makeArea, type VmapArea } from '../vmap/vmap-area.js';
import { stringInterner } from './interner.js';
import { EPOCH_KEY, IMAGE_EPOCH_KEY, IMAGE_FILE, IMAGE_KEY, WRITTEN_EPOCH_KEY } from './sqlite-schema.js';
import { checkMeta, epochOf } from './sqlite-meta.js';
import { applyDelta } from './area-delta.js';
import { decodeAreaImage } from './area-image.js';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { EncodedAreas, encodeAreaFields, type EncodedAreaList, type PutArea } from './area-list-codec.js';
import { StoreOpenError } from './store-open-error.js';
import { messageOf } from '../vmap/errors.js';

/**
 * Pages above this are not read as pages: packed with the two flag bits they
 * would no longer be exact in a double. No space is that large (2^50 pages
 * of 4 KiB is 4 EiB); such a row is malformed.
 */
const MAX_ROW_PAGES = 2 ** 50 - 1;

/**
 * Per row: pages × 4 + (guard = 1) × 2 + (lazy = 1), or -1 when pages is out
 * of range. One column instead of three: the flags ride on pages.
 */
const PACKED_PAGES = `CASE WHEN pages BETWEEN 1 AND ${MAX_ROW_PAGES} THEN pages * 4 + (guard = 1) * 2 + (lazy = 1) ELSE -1 END`;

/** One column of every row of `table` of an epoch after `since` (EVERY_ROW: of every row), ascending by start. */
function column(db: Database.Database, expr: string, since: number, table = 'areas'): unknown[] {
  if (since === EVERY_ROW) return db.prepare(`SELECT ${expr} FROM ${table} ORDER BY start`).pluck(true).all();
  return db.prepare(`SELECT ${expr} FROM ${table} WHERE gen > ? ORDER BY start`).pluck(true).all(since);
}

/** Before every epoch: a column of every row. */
const EVERY_ROW = -1;

/**
 * The recovered areas as the columns they were read in, made into areas one
 * at a time as they are walked. The space rebuilds itself from them once,
 * keeping areas of its own: a million areas made up front would be garbage
 * right after, and would have survived the young generation on the way.
 */
export class RecoveredAreas implements Iterable<VmapArea> {
  /** How many areas there are. */
  readonly length: number;

  /** Columns already checked by recoverAreas: row i of each is area i. */
  constructor(
    private readonly starts: readonly number[],
    private readonly packed: readonly number[],
    private readonly callers: readonly string[],
    private readonly owners: readonly string[],
    private readonly requestIds: readonly unknown[],
  ) {
    this.length = starts.length;
  }

  /** Visits the areas, ascending by start, made as the allocator makes them (a lazy one keeps no request id); a plain loop, cheaper than an iterator. */
  each(visit: (va: VmapArea) => void): void {
    this.fields((start, pages, guard, lazy, caller, owner, requestId) => visit(makeArea(start, pages, guard, caller, owner, lazy, requestId)));
  }

  /** The same areas in columns, encoded from the rows' columns (no area made). */
  toList(): EncodedAreaList {
    return encodeAreaFields(this.length, (put) => this.fields(put));
  }

  /** Puts every area's fields, ascending, as `each` makes them. */
  private fields(put: PutArea): void {
    const { starts, packed, callers, owners, requestIds } = this;
    for (let i = 0; i < starts.length; i++) {
      const p = packed[i]!;
      const pages = Math.floor(p / 4);
      const flags = p - pages * 4;
      const lazy = (flags & 1) !== 0;
      const requestId = requestIds[i];
      put(starts[i]!, pages, (flags & 2) !== 0, lazy, callers[i]!, owners[i]!, lazy || typeof requestId !== 'string' ? '' : requestId);
    }
  }

  /** The areas, all made at once (see each). */
  [Symbol.iterator](): IterableIterator<VmapArea> {
    const out: VmapArea[] = [];
    this.each((va) => out.push(va));
    return out[Symbol.iterator]();
  }
}

/** No row: what a start reads when none changed since the image. */
const NO_ROWS = new RecoveredAreas([], [], [], [], []);

/** What the store held, and how it was read. */
export interface StoredAreas {
  /** Every area, busy and lazy, ascending by start. */
  readonly areas: Iterable<VmapArea> & { readonly length: number };
  /** The same areas in columns (the image's own, or encoded from the rows' columns): the reader threads start from them. */
  readonly list: EncodedAreaList;
  /** `image` (the blob a clean stop wrote) or `rows`. */
  readonly from: 'image' | 'rows';
  /** Why an image that was there was not used (it is read as rows then). */
  readonly imageRefused?: string;
  /** The epoch commits write in (meta's EPOCH_KEY): after that of every row read. */
  readonly epoch: number;
  /** Rows changed and starts removed since the image (read from it): 0 when the image is the table as it is. */
  readonly delta: number;
}

/**
 * Checks the database's geometry against `geometry` (recording it in a new
 * database) and reads every area, busy and lazy, ascending by start: from
 * the area image when there is one that fits the table, else row by row.
 * Whether the areas fit the space and each other is the space's check, not
 * this one's.
 *
 * @throws StoreOpenError for another geometry or schema, or a malformed row
 */
export function recoverAreas(db: Database.Database, geometry: SpaceGeometry, dir: string): StoredAreas {
  const meta = checkMeta(db, geometry, dir);
  db.exec('BEGIN');
  try {
    const stored = readAreas(db, meta, dir);
    // A database brought up from schema 3 does not say when it was last
    // written; once a start has looked and found no row newer than the image,
    // it does, and the next start reads none. (Only here: nothing else writes
    // while a store opens.)
    if (stored.from === 'image' && stored.delta === 0 && !meta.has(WRITTEN_EPOCH_KEY)) {
      db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(WRITTEN_EPOCH_KEY, meta.get(IMAGE_EPOCH_KEY));
    }
    return stored;
  } finally {
    db.exec('COMMIT');
  }
}

/**
 * Every area of a database of this schema whose meta is `meta`, inside the
 * caller's read transaction: see recoverAreas.
 */
export function readAreas(db: Database.Database, meta: ReadonlyMap<string, string>, dir: string): StoredAreas {
  const token = meta.get(IMAGE_KEY);
  const epoch = epochOf(meta, EPOCH_KEY);
  if (epoch === undefined) throw new StoreOpenError(`${dir}: the database's ${EPOCH_KEY} is ${JSON.stringify(meta.get(EPOCH_KEY) ?? null)}, not an epoch`);
  let imageRefused: string | undefined;
  if (token !== undefined) {
    try {
      const since = epochOf(meta, IMAGE_EPOCH_KEY);
      if (since === undefined || since >= epoch) throw new Error(`its epoch is ${JSON.stringify(meta.get(IMAGE_EPOCH_KEY) ?? null)}, not one before ${epoch}`);
      // No commit since the image's epoch (a clean stop): no row to look for, and the scan of every row that finds none is saved.
      const written = epochOf(meta, WRITTEN_EPOCH_KEY);
      const unchanged = written !== undefined && written <= since;
      const changed = unchanged ? NO_ROWS : readRows(db, dir, since);
      const removed = unchanged ? [] : (column(db, 'start', since, 'removed') as number[]);
      const list = applyDelta(readImage(join(dir, IMAGE_FILE), token), changed.toList(), removed);
      // A cheap look at the table it claims to be (about 30 ms for 1M rows): rows deleted by hand are noticed.
      const rows = db.prepare('SELECT count(*) FROM areas').pluck(true).get() as number;
      if (list.starts.length !== rows) throw new Error(`it holds ${list.starts.length} areas, the table ${rows}`);
      return { areas: new EncodedAreas(list), list, from: 'image', epoch, delta: changed.length + removed.length };
    } catch (err) {
      if (err instanceof StoreOpenError) throw err;
      imageRefused = messageOf(err);
    }
  }
  const rows = readRows(db, dir, EVERY_ROW);
  return { areas: rows, list: rows.toList(), from: 'rows', epoch, delta: rows.length, ...(imageRefused === undefined ? {} : { imageRefused }) };
}

/** The list in the image file at `path`, read whole into shared memory; it must be the image of token `hex`. */
function readImage(path: string, hex: string): EncodedAreaList {
  const fd = openSync(path, 'r');
  let sab: SharedArrayBuffer;
  try {
    const size = fstatSync(fd).size;
    sab = new SharedArrayBuffer(size);
    const bytes = new Uint8Array(sab);
    for (let at = 0; at < size; ) {
      const n = readSync(fd, bytes, at, size - at, at);
      if (n === 0) throw new Error(`it ends at byte ${at} of ${size}`);
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  const image = decodeAreaImage(sab);
  if (Buffer.from(image.token).toString('hex') !== hex) throw new Error('it is not the image the database names');
  return image.list;
}

/** Every area of a row written after epoch `since`, in columns, inside the caller's read transaction. */
function readRows(db: Database.Database, dir: string, since: number): RecoveredAreas {
  // Caller and owner as one text per row: half the strings to make, and a pair repeats as much as either.
  const fields = ['start', PACKED_PAGES, 'json_array(caller, owner)', 'request_id'];
  let starts: unknown[], packed: unknown[], holders: unknown[], requestIds: unknown[];
  if (since === EVERY_ROW) {
    // Every row: a column at a time (see the module comment).
    [starts, packed, holders, requestIds] = fields.map((f) => column(db, f, since)) as [unknown[], unknown[], unknown[], unknown[]];
  } else {
    // The rows changed since an image, usually few: one scan of the table, not one a column.
    const rows = db.prepare(`SELECT ${fields.join(', ')} FROM areas WHERE gen > ? ORDER BY start`).raw(true).all(since) as unknown[][];
    [starts, packed, holders, requestIds] = [0, 1, 2, 3].map((f) => rows.map((row) => row[f])) as [unknown[], unknown[], unknown[], unknown[]];
  }
  const n = starts.length;
  if (packed.length !== n || holders.length !== n || requestIds.length !== n) {
    throw new StoreOpenError(`${dir}: the areas table changed while it was read`);
  }
  // Callers and owners repeat across many areas: keep one copy of each string.
  const intern = stringInterner();
  const pairs = new Map<unknown, readonly [string, string]>();
  const callers: string[] = [];
  const owners: string[] = [];
  for (let i = 0; i < n; i++) {
    const start = starts[i];
    const p = packed[i];
    let pair = pairs.get(holders[i]);
    if (pair === undefined) {
      const parsed = typeof holders[i] === 'string' ? (JSON.parse(holders[i] as string) as unknown) : null;
      if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') {
        throw new StoreOpenError(`${dir}: malformed area row at page ${String(start)}`);
      }
      pair = [intern(parsed[0]), intern(parsed[1])];
      pairs.set(holders[i], pair);
    }
    if (typeof start !== 'number' || typeof p !== 'number' || p < 0) throw new StoreOpenError(`${dir}: malformed area row at page ${String(start)}`);
    callers.push(pair[0]);
    owners.push(pair[1]);
  }
  return new RecoveredAreas(starts as number[], packed as number[], callers, owners, requestIds);
}
