/**
 * Opening the SQLite store's database and reading what it holds: on the
 * store's worker thread, which keeps the connection for its commits. The
 * main thread meanwhile loads the rest of vmapd (gRPC, the service), so the
 * read no longer waits for those modules, nor they for it.
 */
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { SpaceGeometry } from '../vmap/geometry.js';
import { messageOf } from '../vmap/errors.js';
import { configure, createSchema } from './sqlite-schema.js';
import { recoverAreas, type StoredAreas } from './sqlite-recovery.js';
import { explainOpenFailure, StoreOpenError } from './store-open-error.js';

/** An open database and the areas it held. */
export interface OpenDatabase {
  readonly db: Database.Database;
  readonly stored: StoredAreas;
}

/**
 * Opens (creating if needed) the database at `path` in `dir` for
 * `geometry` and recovers its areas. Nothing is left open when it throws.
 *
 * @throws StoreOpenError saying why the store cannot be used
 */
export function openDatabase(path: string, dir: string, geometry: SpaceGeometry): OpenDatabase {
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (err) {
    throw explainOpenFailure(path, err);
  }
  try {
    configure(db);
    createSchema(db);
    return { db, stored: recoverAreas(db, geometry, dir) };
  } catch (err) {
    db.close();
    if (err instanceof StoreOpenError) throw err;
    if ((err as { code?: unknown }).code === 'SQLITE_CANTOPEN') throw explainOpenFailure(path, err);
    throw new StoreOpenError(`cannot read the store ${resolve(path)}: ${messageOf(err)}`);
  }
}
