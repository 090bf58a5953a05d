/**
 * The SQLite layout of the durable state, shared by the opener (main thread,
 * at start) and the committer (the store's worker thread).
 *
 * One row per reserved area, busy or lazy; free space is not stored, since it
 * is exactly the gaps between rows. `meta` pins the geometry the rows were
 * made for, so a database is never read as another space.
 *
 * The area image (IMAGE_FILE) is every area as of the end of an epoch. Each
 * row carries the epoch it was last written in, and each deleted row leaves
 * its start in `removed` with the epoch of the delete, so the image and the
 * rows and removals of later epochs are the table. An image is cut between
 * commits: the epoch is moved on first, so every commit after the cut is of
 * a later epoch, and the image is named once its file is whole, which also
 * forgets the removals it already has.
 */
import type Database from 'better-sqlite3';

/**
 * Bumped when the layout changes. 2 added the area image (IMAGE_FILE, named
 * by meta's IMAGE_KEY). 3 keeps the image across commits: every row carries
 * the epoch it was last written in (`gen`) and every removed row leaves its
 * start in `removed`, so a start reads the image and only the rows changed
 * since it. An older vmapd would commit without either, and a start would
 * miss its changes, so it refuses a database of schema 3; one of schema 1 or
 * 2 is brought up to 3 (its rows of epoch 0, the image it names at epoch 0).
 * 4 records the last epoch any row was written in (WRITTEN_EPOCH_KEY), so a
 * start after a clean stop reads no row at all; a vmapd of schema 3 would
 * write rows without it, so it refuses schema 4, and a database of schema 3
 * is marked 4 as it is (no key yet: its next start reads the changed rows).
 */
export const SCHEMA_VERSION = '4';

/** Schemas this vmapd reads and brings up to SCHEMA_VERSION. */
export const UPGRADABLE_SCHEMAS: readonly string[] = ['1', '2', '3'];

/** The file inside --data-dir. */
export const DB_FILE = 'vmapd.db';

/** The area image beside it (area-image.ts), written at a clean stop and after a start that read changed rows. */
export const IMAGE_FILE = 'vmapd.image';

/**
 * The meta key naming the area image: its token, in hex. Set after the
 * image file is written whole, together with IMAGE_EPOCH_KEY. An image the
 * database does not name is never read.
 */
export const IMAGE_KEY = 'image';

/**
 * The meta key of the named image's epoch: the image holds every change of
 * that epoch and before; the rows of a later one (`gen`), and the starts
 * removed in a later one, are what changed since.
 */
export const IMAGE_EPOCH_KEY = 'image_epoch';

/**
 * The meta key of the epoch commits write in: always after the named
 * image's. Naming an image of epoch E moves it to E + 1.
 */
export const EPOCH_KEY = 'epoch';

/**
 * The meta key of the last epoch a commit wrote a row or a removal in, set
 * by the first commit of each epoch in its own transaction. When it is the
 * named image's epoch or before, no row or removal is newer than the image
 * and a start reads none; when it is absent (a database brought up from
 * schema 3), the start reads the changed rows as schema 3 did.
 */
export const WRITTEN_EPOCH_KEY = 'written_epoch';

/** Opens settings every connection needs: WAL, and an fsync at every commit. */
export function configure(db: Database.Database): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // A batch must not fail because a checkpoint briefly holds the file.
  db.pragma('busy_timeout = 5000');
}

/** Creates the tables if the database is new. */
export function createSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (
      key   TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) STRICT;
    CREATE TABLE IF NOT EXISTS areas (
      start      INTEGER PRIMARY KEY,   -- first page, relative to the space base
      pages      INTEGER NOT NULL,      -- reserved pages, guard included
      guard      INTEGER NOT NULL,      -- 1 when the last page is a guard page
      lazy       INTEGER NOT NULL,      -- 1 when freed and awaiting purge
      caller     TEXT NOT NULL,
      owner      TEXT NOT NULL,
      request_id TEXT,                  -- idempotency key of a busy area, else NULL
      gen        INTEGER NOT NULL DEFAULT 0  -- the epoch the row was last written in
    ) STRICT;
    CREATE TABLE IF NOT EXISTS removed (
      start INTEGER PRIMARY KEY,        -- a start whose row was deleted
      gen   INTEGER NOT NULL            -- in this epoch (the latest delete)
    ) STRICT;
  `);
}

/** Brings the tables of schema 1 or 2 up to 3 (createSchema has made `removed`): every row of epoch 0. */
export function upgradeSchema(db: Database.Database): void {
  const columns = db.prepare('SELECT name FROM pragma_table_info(\'areas\')').pluck(true).all();
  if (!columns.includes('gen')) db.exec('ALTER TABLE areas ADD COLUMN gen INTEGER NOT NULL DEFAULT 0');
}

/**
 * Creates the indexes a database of this schema lacks, once it is known to be
 * one (never on a database about to be refused). A purge finds the lazy rows
 * by `areas_lazy` instead of reading every row: at 1M rows a purge commit
 * took 166 ms, now under 1. An index is no new layout: any vmapd of this
 * schema keeps it up to date, and an older database gets it here (about
 * 0.2 s for 1M rows, once).
 */
export function createIndexes(db: Database.Database): void {
  db.exec('CREATE INDEX IF NOT EXISTS areas_lazy ON areas (start) WHERE lazy = 1');
}

/** Rows one `insertMany` statement inserts: one statement call instead of this many. */
export const INSERT_CHUNK = 100;

/** The values of one inserted row: start, pages, guard, caller, owner, request id, epoch. */
export type InsertRow = [number, number, number, string, string, string | null, number];

/** The statements a batch commit runs, prepared once. */
export interface CommitStatements {
  readonly insert: Database.Statement<InsertRow>;
  /** INSERT_CHUNK rows at once, their values one after the other. */
  readonly insertMany: Database.Statement<unknown[]>;
  /** Epoch, start. */
  readonly markLazy: Database.Statement<[number, number]>;
  readonly remove: Database.Statement<[number]>;
  /** Start, epoch: a removed row's start. */
  readonly tombstone: Database.Statement<[number, number]>;
  /** Epoch: the starts of every lazy row, as purge is about to remove them. */
  readonly tombstoneLazy: Database.Statement<[number]>;
  readonly purge: Database.Statement<[]>;
  /** Sets the epoch commits write in. */
  readonly setEpoch: Database.Statement<[string]>;
  /** Names the area image of token `hex` (then setImageEpoch and setEpoch, then pruneRemoved, in one transaction). */
  readonly nameImage: Database.Statement<[string]>;
  readonly setImageEpoch: Database.Statement<[string]>;
  /** Records the epoch a commit writes in as the last one written in (WRITTEN_EPOCH_KEY). */
  readonly setWrittenEpoch: Database.Statement<[string]>;
  /** Forgets the removals of epoch `gen` and before: an image of that epoch has them. */
  readonly pruneRemoved: Database.Statement<[number]>;
}

const putMeta = (db: Database.Database, key: string): Database.Statement<[string]> => db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('${key}', ?)`);

/** Prepares the commit statements on `db`. */
export function prepareCommit(db: Database.Database): CommitStatements {
  return {
    insert: db.prepare('INSERT INTO areas (start, pages, guard, lazy, caller, owner, request_id, gen) VALUES (?, ?, ?, 0, ?, ?, ?, ?)'),
    insertMany: db.prepare(`INSERT INTO areas (start, pages, guard, lazy, caller, owner, request_id, gen) VALUES ${Array(INSERT_CHUNK).fill('(?, ?, ?, 0, ?, ?, ?, ?)').join(', ')}`),
    markLazy: db.prepare('UPDATE areas SET lazy = 1, request_id = NULL, gen = ? WHERE start = ? AND lazy = 0'),
    remove: db.prepare('DELETE FROM areas WHERE start = ? AND lazy = 0'),
    tombstone: db.prepare('INSERT OR REPLACE INTO removed (start, gen) VALUES (?, ?)'),
    tombstoneLazy: db.prepare('INSERT OR REPLACE INTO removed (start, gen) SELECT start, ? FROM areas WHERE lazy = 1'),
    purge: db.prepare('DELETE FROM areas WHERE lazy = 1'),
    setEpoch: putMeta(db, EPOCH_KEY),
    nameImage: putMeta(db, IMAGE_KEY),
    setImageEpoch: putMeta(db, IMAGE_EPOCH_KEY),
    setWrittenEpoch: putMeta(db, WRITTEN_EPOCH_KEY),
    pruneRemoved: db.prepare('DELETE FROM removed WHERE gen <= ?'),
  };
}
