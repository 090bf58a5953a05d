/**
 * The durable stores the store tests run against, each the same way: a fresh
 * empty store per test (a temporary data directory, or a new database on a
 * throwaway PostgreSQL cluster), the vmapd arguments that use it, and what a
 * test needs to change it behind vmapd's back.
 */
import { SCHEMA_VERSION } from '../../src/store/postgres-schema.js';
import { SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from '../../src/store/sqlite-schema.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { postgresSkip, TestPostgres } from './postgres.js';

/** One fresh, empty store. */
export interface TestStore {
  /** vmapd's arguments that select this store. */
  readonly args: string[];
  /** Writes a busy area row (pages relative to the space base) directly, as a bug or another program would. */
  insertArea(start: number, pages: number): Promise<void>;
  /** Overwrites the stored schema version directly. */
  setSchemaVersion(version: number): Promise<void>;
}

/** A kind of store under test. */
export interface StoreTarget {
  readonly name: 'sqlite' | 'postgres';
  /** Why this store cannot be tested here (node:test's `skip`), or false. */
  readonly skip: string | false;
  /** How vmapd refuses a store whose schema is version 99. */
  readonly newerSchema: RegExp;
  /** Starts what fresh() needs; call in `before`. */
  setUp(): Promise<void>;
  /** A new empty store. */
  fresh(): Promise<TestStore>;
  /** Stops and removes everything fresh() made; call in `after`. */
  tearDown(): Promise<void>;
}

function sqliteTarget(): StoreTarget {
  const dirs: string[] = [];
  const exec = (dir: string, sql: string, ...values: unknown[]): void => {
    const db = new Database(join(dir, 'vmapd.db'));
    try {
      db.prepare(sql).run(...values);
    } finally {
      db.close();
    }
  };
  return {
    name: 'sqlite',
    skip: false,
    newerSchema: new RegExp(`database schema 99 is not the ${SQLITE_SCHEMA_VERSION} this vmapd reads`),
    setUp: () => Promise.resolve(),
    fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'vmapd-store-'));
      dirs.push(dir);
      return Promise.resolve({
        args: ['--data-dir', dir],
        insertArea: (start, pages) => Promise.resolve(exec(dir, "INSERT INTO areas (start, pages, guard, lazy, caller, owner) VALUES (?, ?, 1, 0, '', 'x')", start, pages)),
        setSchemaVersion: (version) => Promise.resolve(exec(dir, "UPDATE meta SET value = ? WHERE key = 'schema'", String(version))),
      });
    },
    tearDown() {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

function postgresTarget(): StoreTarget {
  let cluster: TestPostgres | undefined;
  return {
    name: 'postgres',
    skip: postgresSkip,
    newerSchema: new RegExp(`the database's schema is version 99, newer than the ${SCHEMA_VERSION} this vmapd knows; run a newer vmapd against it`),
    async setUp() {
      cluster = await TestPostgres.start();
    },
    async fresh() {
      if (cluster === undefined) throw new Error('setUp() first');
      const pg = cluster;
      const url = await pg.createDatabase();
      return {
        args: ['--store', 'postgres', '--postgres-url', url],
        insertArea: async (start, pages) => {
          await pg.sql("INSERT INTO vmapd_areas (start, pages, guard, lazy, caller, owner) VALUES ($1, $2, true, false, '', 'x')", [start, pages], url);
        },
        setSchemaVersion: async (version) => {
          await pg.sql("UPDATE vmapd_meta SET value = $1 WHERE key = 'schema'", [String(version)], url);
        },
      };
    },
    async tearDown() {
      await cluster?.stop();
      cluster = undefined;
    },
  };
}

/** Every durable store, the default first. */
export const STORE_TARGETS: readonly StoreTarget[] = [sqliteTarget(), postgresTarget()];
