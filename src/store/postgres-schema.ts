/**
 * The PostgreSQL layout of the durable state, and how vmapd creates and
 * migrates it.
 *
 * One row per reserved area, busy or lazy, as the SQLite store keeps them,
 * plus the reserved page range as an `int8range` under an exclusion
 * constraint: PostgreSQL itself refuses two overlapping reserved ranges, so
 * a bug in vmapd (or a second writer) cannot hand out a range twice. Every
 * committed batch is also appended to a change log, numbered without gaps,
 * which is what followers replay; the same transaction NOTIFYs them.
 *
 * `vmapd_meta` pins the schema version and the geometry the rows were made
 * for. The version only grows: each step of MIGRATIONS takes the schema one
 * version up, all in one transaction; a database whose version is newer than
 * this vmapd knows is refused rather than guessed at.
 */
import type pg from 'pg';
import type { SpaceGeometry } from '../vmap/geometry.js';
import { hex } from '../vmap/geometry.js';
import { StoreOpenError } from './store-open-error.js';

/** The channel NOTIFYed with the new log position after every committed batch. */
export const CHANGES_CHANNEL = 'vmapd_changes';

/**
 * The advisory lock every writer of vmapd's tables holds for its whole
 * transaction ('vmapd' in ASCII): migrations never run twice at once, two
 * batches never interleave, and whoever must learn the outcome of a batch
 * whose answer was lost can wait for that batch's transaction to end.
 */
export const WRITE_LOCK = 0x766d617064n;

/** Each step takes the schema from version i to i + 1. */
const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE vmapd_areas (
       start      int8 PRIMARY KEY CHECK (start >= 0),  -- first page, relative to the space base
       pages      int8 NOT NULL CHECK (pages > 0),      -- reserved pages, guard included
       range      int8range GENERATED ALWAYS AS (int8range(start, start + pages)) STORED,
       guard      boolean NOT NULL,                     -- the last page is a guard page
       lazy       boolean NOT NULL,                     -- freed, awaiting purge
       caller     text NOT NULL,
       owner      text NOT NULL,
       request_id text,                                 -- idempotency key of a busy area
       CONSTRAINT vmapd_areas_no_overlap EXCLUDE USING gist (range WITH &&),
       CONSTRAINT vmapd_areas_lazy_has_no_request_id CHECK (NOT lazy OR request_id IS NULL)
     )`,
    // A purge deletes every lazy area: find them without reading the busy ones.
    'CREATE INDEX vmapd_areas_lazy ON vmapd_areas (start) WHERE lazy',
    `CREATE TABLE vmapd_change_log (
       position     int8 PRIMARY KEY CHECK (position > 0),  -- 1, 2, 3, …: one per committed batch
       writer       text NOT NULL,                          -- the store instance that committed it
       changes      jsonb NOT NULL,                         -- the batch's Change records, in order
       committed_at timestamptz NOT NULL DEFAULT now()
     )`,
  ],
  [
    // Leadership (postgres-lease.ts): one row, whoever holds it and until
    // when, by the database's clock. `epoch` grows by one with every
    // takeover and is what each commit checks (the fencing token).
    `CREATE TABLE vmapd_lease (
       id         int PRIMARY KEY CHECK (id = 1),
       holder     text NOT NULL,                 -- the node that holds it ('' for none yet)
       epoch      int8 NOT NULL CHECK (epoch >= 0),
       expires_at timestamptz NOT NULL,
       advertise  text NOT NULL                  -- where the holder's gRPC is reached
     )`,
    "INSERT INTO vmapd_lease (id, holder, epoch, expires_at, advertise) VALUES (1, '', 0, 'epoch', '')",
  ],
];

/** The version this vmapd reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Creates or migrates the schema on `client` and checks (or, in a new
 * database, records) `geometry`, in one transaction under WRITE_LOCK.
 * `where` names the database in messages.
 *
 * @throws StoreOpenError when the schema is newer than this vmapd's, or the database belongs to another geometry
 */
export async function migrate(client: pg.ClientBase, geometry: SpaceGeometry, where: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK.toString()]);
    await client.query('CREATE TABLE IF NOT EXISTS vmapd_meta (key text PRIMARY KEY, value text NOT NULL)');
    const meta = new Map((await client.query<{ key: string; value: string }>('SELECT key, value FROM vmapd_meta')).rows.map((r) => [r.key, r.value]));
    const stored = meta.get('schema');
    let version: number;
    if (stored === undefined) {
      const orphans = (await client.query<{ name: string }>("SELECT name FROM unnest(ARRAY['vmapd_areas', 'vmapd_change_log']) AS name WHERE to_regclass(name) IS NOT NULL")).rows;
      if (orphans.length > 0) {
        throw new StoreOpenError(`${where}: the database has ${orphans.map((r) => r.name).join(', ')} but no schema version in vmapd_meta; refusing to guess what they hold`);
      }
      version = 0;
    } else {
      version = Number(stored);
      if (!Number.isSafeInteger(version) || version < 1) throw new StoreOpenError(`${where}: malformed schema version ${JSON.stringify(stored)} in vmapd_meta`);
      if (version > SCHEMA_VERSION) {
        throw new StoreOpenError(`${where}: the database's schema is version ${version}, newer than the ${SCHEMA_VERSION} this vmapd knows; run a newer vmapd against it`);
      }
    }
    for (let v = version; v < SCHEMA_VERSION; v++) for (const statement of MIGRATIONS[v]!) await client.query(statement);
    const put = 'INSERT INTO vmapd_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value';
    if (version !== SCHEMA_VERSION) await client.query(put, ['schema', String(SCHEMA_VERSION)]);
    if (version === 0) {
      await client.query(put, ['space_base', hex(geometry.base)]);
      await client.query(put, ['space_size', geometry.size.toString()]);
    } else {
      const base = meta.get('space_base');
      const size = meta.get('space_size');
      if (base !== hex(geometry.base) || size !== geometry.size.toString()) {
        throw new StoreOpenError(
          `${where}: the database was made for the space at ${base} of ${size} bytes, not the configured ${hex(geometry.base)} of ${geometry.size} bytes; ` +
            'start with that --space-base/--space-size or use another database',
        );
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
