/**
 * The SQLite layout of the durable state, shared by the opener (main thread,
 * at start) and the committer (the store's worker thread).
 *
 * One row per reserved area, busy or lazy; free space is not stored, since it
 * is exactly the gaps between rows. `meta` pins the geometry the rows were
 * made for, so a database is never read as another space.
 */
import type Database from 'better-sqlite3';

/** Bumped when the layout changes incompatibly. */
export const SCHEMA_VERSION = '1';

/** The file inside --data-dir. */
export const DB_FILE = 'vmapd.db';

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
}

/** Prepares the commit statements on `db`. */
export function prepareCommit(db: Database.Database): CommitStatements {
  return {
    insert: db.prepare('INSERT INTO areas (start, pages, guard, lazy, caller, owner, request_id) VALUES (?, ?, ?, 0, ?, ?, ?)'),
    insertMany: db.prepare(`INSERT INTO areas (start, pages, guard, lazy, caller, owner, request_id) VALUES ${Array(INSERT_CHUNK).fill('(?, ?, ?, 0, ?, ?, ?)').join(', ')}`),
    markLazy: db.prepare('UPDATE areas SET lazy = 1, request_id = NULL WHERE start = ? AND lazy = 0'),
    remove: db.prepare('DELETE FROM areas WHERE start = ? AND lazy = 0'),
    purge: db.prepare('DELETE FROM areas WHERE lazy = 1'),
  };
}
