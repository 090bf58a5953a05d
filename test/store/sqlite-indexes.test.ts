/**
 * The SQLite store's indexes: a purge finds the lazy rows by `areas_lazy`
 * rather than reading every row (a purge of a store of 1M areas read all of
 * them), a database made before the index gets it when it is opened, and a
 * purge through the store removes exactly the lazy rows.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { DEFAULT_CONFIG } from '../../src/config.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { DB_FILE, prepareCommit } from '../../src/store/sqlite-schema.js';
import { SpaceGeometry } from '../../src/vmap/geometry.js';
import { makeArea } from '../../src/vmap/vmap-area.js';

const geometry = new SpaceGeometry(DEFAULT_CONFIG.spaceBase, DEFAULT_CONFIG.spaceSize);
const logger = pino({ level: 'silent' });
const dirs: string[] = [];

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vmapd-indexes-test-'));
  dirs.push(dir);
  return dir;
}

/** What SQLite's planner says it does for `sql` (its parameters bound to 0): one line per step. */
function plan(db: Database.Database, sql: string): string[] {
  const statement = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
  const params = new Array<number>((sql.match(/\?/g) ?? []).length).fill(0);
  return (statement.all(...params) as { detail: string }[]).map((r) => r.detail);
}

function indexNames(db: Database.Database): string[] {
  return db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'areas' AND sql IS NOT NULL ORDER BY name").pluck(true).all() as string[];
}

/** The rows as stored: start, lazy. */
function rows(db: Database.Database): [number, number][] {
  return db.prepare('SELECT start, lazy FROM areas ORDER BY start').raw(true).all() as [number, number][];
}

async function openAndClose(dir: string, work: (store: SqliteStore) => Promise<void> = async () => undefined): Promise<void> {
  const { store } = await SqliteStore.open(dir, geometry, logger, { imageAfterChanges: 0 });
  await work(store as SqliteStore);
  await store.close();
}

describe('the SQLite store indexes', () => {
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('has a purge find the lazy rows by their index, never by reading every row', async () => {
    const dir = freshDir();
    await openAndClose(dir);
    const db = new Database(join(dir, DB_FILE));
    try {
      assert.deepEqual(indexNames(db), ['areas_lazy']);
      const st = prepareCommit(db);
      for (const statement of [st.purge, st.tombstoneLazy]) {
        const steps = plan(db, statement.source);
        assert.ok(
          steps.some((s) => s.includes('areas_lazy')),
          `${statement.source}: ${steps.join('; ')}`,
        );
        assert.ok(!steps.includes('SCAN areas'), `${statement.source} reads every row: ${steps.join('; ')}`);
      }
    } finally {
      db.close();
    }
  });

  it('gives a database made without the index the index on open, its rows as they were', async () => {
    const dir = freshDir();
    await openAndClose(dir, (store) => store.commit([0, 100, 200].map((start) => ({ op: 'insert', area: makeArea(start, 3, true, 'c', 'o', false, '') }))));
    const db = new Database(join(dir, DB_FILE));
    const before = rows(db);
    db.exec('DROP INDEX areas_lazy');
    assert.deepEqual(indexNames(db), []);
    db.close();
    await openAndClose(dir);
    const again = new Database(join(dir, DB_FILE));
    try {
      assert.deepEqual(indexNames(again), ['areas_lazy']);
      assert.deepEqual(rows(again), before);
      assert.equal(again.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      again.close();
    }
  });

  it('has a purge remove exactly the lazy rows', async () => {
    const dir = freshDir();
    await openAndClose(dir, async (store) => {
      await store.commit([0, 100, 200, 300].map((start) => ({ op: 'insert', area: makeArea(start, 3, true, 'c', 'o', false, `r${start}`) })));
      await store.commit([
        { op: 'lazy', start: 100 },
        { op: 'lazy', start: 300 },
      ]);
      await store.commit([{ op: 'purge' }]);
    });
    const db = new Database(join(dir, DB_FILE));
    try {
      assert.deepEqual(rows(db), [
        [0, 0],
        [200, 0],
      ]);
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      db.close();
    }
  });
});
