/**
 * The SQLite store's `meta` table as a start reads it: the geometry a
 * database was made for (checked against the configured one, recorded in a
 * new database), its schema (brought up to SCHEMA_VERSION, or refused), and
 * its epochs.
 */
import type Database from 'better-sqlite3';
import type { SpaceGeometry } from '../vmap/geometry.js';
import { hex } from '../vmap/geometry.js';
import { EPOCH_KEY, IMAGE_EPOCH_KEY, SCHEMA_VERSION, UPGRADABLE_SCHEMAS, WRITTEN_EPOCH_KEY, createIndexes, upgradeSchema } from './sqlite-schema.js';
import { StoreOpenError } from './store-open-error.js';

/**
 * Checks the database's geometry against `geometry`, recording it in a new
 * database; throws StoreOpenError when it was made for another space or
 * another schema.
 */
export function checkMeta(db: Database.Database, geometry: SpaceGeometry, dir: string): Map<string, string> {
  const meta = readMeta(db);
  if (meta.size === 0) {
    const rows = (db.prepare('SELECT count(*) AS n FROM areas').get() as { n: number }).n;
    if (rows > 0) throw new StoreOpenError(`${dir}: the database holds ${rows} areas but no geometry; refusing to guess which space they belong to`);
    const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      put.run('schema', SCHEMA_VERSION);
      put.run('space_base', hex(geometry.base));
      put.run('space_size', geometry.size.toString());
      put.run(EPOCH_KEY, '1');
      put.run(WRITTEN_EPOCH_KEY, '0');
    })();
    meta.set(EPOCH_KEY, '1').set(WRITTEN_EPOCH_KEY, '0');
    createIndexes(db);
    return meta;
  }
  const schema = meta.get('schema') ?? '';
  if (schema === '3') {
    // Its epochs stand; no last written epoch yet, so this start reads the changed rows.
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
  } else if (UPGRADABLE_SCHEMAS.includes(schema)) {
    // Every row is of epoch 0, and so is the image a schema 2 database names: it is the table as it is.
    const put = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    db.transaction(() => {
      upgradeSchema(db);
      put.run('schema', SCHEMA_VERSION);
      put.run(EPOCH_KEY, '1');
      put.run(IMAGE_EPOCH_KEY, '0');
      put.run(WRITTEN_EPOCH_KEY, '0');
    })();
    meta.set(EPOCH_KEY, '1').set(IMAGE_EPOCH_KEY, '0').set(WRITTEN_EPOCH_KEY, '0');
  } else if (schema !== SCHEMA_VERSION) {
    throw new StoreOpenError(`${dir}: database schema ${meta.get('schema')} is not the ${SCHEMA_VERSION} this vmapd reads`);
  }
  const base = meta.get('space_base');
  const size = meta.get('space_size');
  if (base !== hex(geometry.base) || size !== geometry.size.toString()) {
    throw new StoreOpenError(
      `${dir}: the database was made for the space at ${base} of ${size} bytes, not the configured ${hex(geometry.base)} of ${geometry.size} bytes; ` +
        'start with that --space-base/--space-size or use another --data-dir',
    );
  }
  createIndexes(db);
  return meta;
}

/** The meta table, key to value. */
export function readMeta(db: Database.Database): Map<string, string> {
  return new Map((db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
}

/** The epoch meta's `key` holds, or undefined when it holds none. */
export function epochOf(meta: ReadonlyMap<string, string>, key: string): number | undefined {
  const value = meta.get(key) ?? '';
  return /^[0-9]{1,15}$/.test(value) ? Number(value) : undefined;
}
