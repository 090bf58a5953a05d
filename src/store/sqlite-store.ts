import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { StoreFailure } from './errors.js';
import type { SpaceGeometry } from '../vmap/geometry.js';
import { DataDirLock } from './data-dir-lock.js';
import { configure, createSchema, DB_FILE, IMAGE_FILE } from './sqlite-schema.js';
import { recoverAreas, type StoredAreas } from './sqlite-recovery.js';
import type { EncodedAreaList } from './area-list-codec.js';
import { describeFsError, explainOpenFailure, StoreOpenError } from './store-open-error.js';
import type { WorkerData, WorkerReply, WorkerRequest } from './sqlite-worker.js';
import type { Change, Recovered, Store } from './store.js';
import { messageOf } from '../vmap/errors.js';
import { encodeChanges } from './change-codec.js';
import { DEFAULT_IMAGE_AFTER_CHANGES } from '../config.js';

/** How the SQLite store keeps its images. */
export interface SqliteOptions {
  /** Rows changed since the last area image that start a new one in the background (0: none; default DEFAULT_IMAGE_AFTER_CHANGES). */
  readonly imageAfterChanges?: number;
}

/**
 * The embedded durable store: SQLite (WAL, synchronous=FULL) in --data-dir,
 * written by a worker thread that owns the connection. A commit is one
 * transaction whose fsync happens on that thread; the event loop only posts a
 * message and waits for the answer.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: StoreFailure) => void }>();
  private nextId = 1;
  /** Set when the worker is gone or the store failed fatally; every later commit fails with it. */
  private failure: StoreFailure | null = null;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
    private readonly lock: DataDirLock,
  ) {
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker.on('error', (err) => {
      this.logger.error({ err }, 'store worker crashed');
      this.fail(new StoreFailure(`store worker crashed: ${err.message}`, true));
    });
    this.exited = new Promise((resolve) =>
      worker.once('exit', () => {
        this.fail(new StoreFailure('store worker exited', true));
        resolve();
      }),
    );
  }

  /**
   * Opens (creating if needed) the store in `dir` for `geometry`, recovers
   * its areas and starts the committing worker.
   *
   * @throws StoreOpenError when the database belongs to another geometry or is malformed
   */
  static async open(dir: string, geometry: SpaceGeometry, logger: Logger, options: SqliteOptions = {}): Promise<Recovered> {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new StoreOpenError(`cannot use the data directory: ${describeFsError(dir, err)}`);
    }
    // First the lock: nothing is read or written while another vmapd may be committing.
    const lock = DataDirLock.acquire(dir);
    try {
      const path = join(dir, DB_FILE);
      const started = performance.now();
      let stored: StoredAreas;
      let db: Database.Database;
      try {
        db = new Database(path);
      } catch (err) {
        throw explainOpenFailure(path, err);
      }
      let worker: Worker | undefined;
      try {
        configure(db);
        createSchema(db);
        // The committing worker loads and opens its connection while this one reads.
        worker = new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData: { path, imagePath: join(dir, IMAGE_FILE), imageAfterChanges: options.imageAfterChanges ?? DEFAULT_IMAGE_AFTER_CHANGES } satisfies WorkerData });
        stored = recoverAreas(db, geometry, dir);
      } catch (err) {
        await worker?.terminate();
        if (err instanceof StoreOpenError) throw err;
        if ((err as { code?: unknown }).code === 'SQLITE_CANTOPEN') throw explainOpenFailure(path, err);
        throw new StoreOpenError(`cannot read the store ${resolve(path)}: ${messageOf(err)}`);
      } finally {
        db.close();
      }
      const { areas, list, from, imageRefused, epoch, delta } = stored;
      if (imageRefused !== undefined) logger.warn({ dataDir: dir }, `the area image is not used (${imageRefused}); reading the rows`);
      logger.info({ dataDir: dir, areas: areas.length, from, changed: from === 'image' ? delta : undefined, ms: Math.round(performance.now() - started) }, 'store recovered');
      // Before any commit. Rows read that the image lacks: they go into a new one at once, so a crash from now on reads few rows.
      worker.postMessage({ type: 'open', epoch, current: from === 'image' && delta === 0, ...(delta > 0 ? { rebase: list } : {}) } satisfies WorkerRequest);
      const ready = worker;
      await new Promise<void>((resolve, reject) => {
        const onMessage = (m: WorkerReply): void => {
          if (m.type === 'ready') {
            ready.off('error', reject);
            resolve();
          }
        };
        ready.once('message', onMessage);
        ready.once('error', reject);
      });
      return { store: new SqliteStore(worker, logger, lock), areas, list };
    } catch (err) {
      lock.release();
      throw err;
    }
  }

  /** @inheritdoc */
  commit(changes: readonly Change[]): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'commit', id, changes: encodeChanges(changes) } satisfies WorkerRequest);
    });
  }

  /** @inheritdoc */
  async close(finalList?: () => EncodedAreaList): Promise<void> {
    if (this.failure === null) this.worker.postMessage({ type: 'close', ...(finalList === undefined ? {} : { image: finalList() }) } satisfies WorkerRequest);
    else await this.worker.terminate();
    await this.exited;
    this.lock.release();
  }

  private onReply(reply: WorkerReply): void {
    if (reply.type === 'ready') return;
    if (reply.type === 'imageWritten') {
      this.logger.info({ areas: reply.areas, bytes: reply.bytes, ms: reply.ms, epoch: reply.epoch, at: reply.why }, 'area image written');
      return;
    }
    if (reply.type === 'imageFailed') {
      this.logger.warn({ at: reply.why }, `the area image was not written (${reply.message}); the next start reads the image named before, or the rows`);
      return;
    }
    const waiter = this.pending.get(reply.id);
    if (waiter === undefined) return;
    this.pending.delete(reply.id);
    if (reply.type === 'committed') {
      waiter.resolve();
      return;
    }
    const failure = new StoreFailure(describe(reply.code, reply.message), reply.fatal);
    this.logger.error({ code: reply.code, fatal: reply.fatal }, `store commit failed: ${reply.message}`);
    if (reply.fatal) this.fail(failure);
    waiter.reject(failure);
  }

  private fail(failure: StoreFailure): void {
    this.failure ??= failure;
    for (const [, waiter] of this.pending) waiter.reject(this.failure);
    this.pending.clear();
  }
}

/** A client-facing reason for a failed commit. */
function describe(code: string, message: string): string {
  if (code === 'SQLITE_FULL') return `the disk holding the store is full (${message})`;
  if (code.startsWith('SQLITE_IOERR')) return `the store's disk failed (${code}: ${message}); writes are off until vmapd restarts`;
  return `store commit failed (${code}: ${message})`;
}
