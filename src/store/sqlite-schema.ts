/**
 * The SQLite layout of the durable state, shared by the opener (main thread,
 * at start) and the committer (the store's worker thread).
 *
 * One row per reserved area, busy or lazy; free space is not stored, since it
 * is exactly the gaps between rows. `meta` pins the geometry the rows were
 * made for, so a database is never read as another space.
 */
import type Database from 'better-sqlite3';

/**
 * Bumped when the layout changes. 2 added the area image (IMAGE_FILE, named
 * by meta's IMAGE_KEY): a vmapd of schema 1 would commit without unnaming
 * it, and the next start would read a stale image, so a database of schema 2
 * is refused by it; one of schema 1 is read as it is and marked 2.
 */
export const SCHEMA_VERSION = '2';

/** Schemas this vmapd reads and brings up to SCHEMA_VERSION. */
export const UPGRADABLE_SCHEMAS: readonly string[] = ['1'];

/** The file inside --data-dir. */
export const DB_FILE = 'vmapd.db';

/** The area image beside it (area-image.ts), written at a clean stop. */
export const IMAGE_FILE = 'vmapd.image';

/**
 * The meta key naming the image that matches the areas table: its token, in
 * hex. Set after the image file is written whole (at a clean stop, the last
 * transaction); deleted by the first commit after a start, in that commit's
 * own transaction. An image the database does not name is never read.
 */
export const IMAGE_KEY = 'image';

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
      request_id TEXT                   -- idempotency key of a busy area, else NULL
    ) STRICT;
  `);
}

/** Rows one `insertMany` statement inserts: one statement call instead of this many. */
export const INSERT_CHUNK = 100;

/** The values of one inserted row: start, pages, guard, caller, owner, request id. */
export type InsertRow = [number, number, number, string, string, string | null];

/** The statements a batch commit runs, prepared once. */
export interface CommitStatements {
  readonly insert: Database.Statement<InsertRow>;
  /** INSERT_CHUNK rows at once, their values one after the other. */
  readonly insertMany: Database.Statement<unknown[]>;
  readonly markLazy: Database.Statement<[number]>;
  readonly remove: Database.Statement<[number]>;
  readonly purge: Database.Statement<[]>;
  /** Unnames the area image: the commit that runs it makes it stale. */
  readonly dropImage: Database.Statement<[]>;
  /** Names the area image of token `hex` as the table's. */
  readonly nameImage: Database.Statement<[string]>;
}

/** Prepares the commit statements on `db`. */
export function prepareCommit(db: Database.Database): CommitStatements {
  return {
    insert: db.prepare('INSERT INTO areas (start, pages, guard, lazy, caller, owner, request_id) VALUES (?, ?, ?, 0, ?, ?, ?)'),
    insertMany: db.prepare(`INSERT INTO areas (start, pages, guard, lazy, caller, owner, request_id) VALUES ${Array(INSERT_CHUNK).fill('(?, ?, ?, 0, ?, ?, ?)').join(', ')}`),
    markLazy: db.prepare('UPDATE areas SET lazy = 1, request_id = NULL WHERE start = ? AND lazy = 0'),
    remove: db.prepare('DELETE FROM areas WHERE start = ? AND lazy = 0'),
    purge: db.prepare('DELETE FROM areas WHERE lazy = 1'),
    dropImage: db.prepare(`DELETE FROM meta WHERE key = '${IMAGE_KEY}'`),
    nameImage: db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('${IMAGE_KEY}', ?)`),
  };
}
