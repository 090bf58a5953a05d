import { mkdirSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { StoreFailure } from './errors.js';
import type { SpaceGeometry } from '../vmap/geometry.js';
import { DataDirLock } from './data-dir-lock.js';
import { DB_FILE, IMAGE_FILE } from './sqlite-schema.js';
import { EncodedAreas, type EncodedAreaList } from './area-list-codec.js';
import { describeFsError, StoreOpenError } from './store-open-error.js';
import type { WorkerData, WorkerReply, WorkerRequest } from './sqlite-worker.js';
import type { Change, Recovered, Store } from './store.js';
import { encodeChanges } from './change-codec.js';
import { DEFAULT_IMAGE_AFTER_CHANGES } from '../config.js';

/** What the worker read: recoverAreas's account, the areas in columns only. */
type Recovery = Omit<Extract<WorkerReply, { type: 'recovered' }>, 'type'>;

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
  /** What the worker read, once it says (the first thing it says); rejected with why it could not. */
  private readonly recovery: Promise<Recovery>;
  /** Settles `recovery`; null once it has. */
  private recoverySettles: { resolve: (r: Recovery) => void; reject: (err: StoreOpenError) => void } | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly logger: Logger,
    private readonly lock: DataDirLock,
    path: string,
  ) {
    this.recovery = new Promise<Recovery>((resolve, reject) => (this.recoverySettles = { resolve, reject }));
    const where = `cannot read the store ${resolvePath(path)}`;
    // Listening from the start: no reply can come before its handler.
    worker.on('message', (reply: WorkerReply) => this.onReply(reply));
    worker.on('error', (err) => {
      if (this.recoveryFailed(new StoreOpenError(`${where}: ${err.message}`))) return;
      this.logger.error({ err }, 'store worker crashed');
      this.fail(new StoreFailure(`store worker crashed: ${err.message}`, true));
    });
    this.exited = new Promise((resolve) =>
      worker.once('exit', () => {
        this.recoveryFailed(new StoreOpenError(`${where}: its worker ended before it read it`));
        this.fail(new StoreFailure('store worker exited', true));
        resolve();
      }),
    );
  }

  /** Rejects the recovery with `err` while it is still awaited; whether it was. */
  private recoveryFailed(err: StoreOpenError): boolean {
    const settles = this.recoverySettles;
    if (settles === null) return false;
    this.recoverySettles = null;
    settles.reject(err);
    return true;
  }

  /**
   * Opens (creating if needed) the store in `dir` for `geometry`: its
   * worker opens the database and recovers the areas (sqlite-open.ts), and
   * keeps the connection for the commits. The calling thread is free
   * meanwhile (vmapd loads its other modules).
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
    const path = join(dir, DB_FILE);
    const started = performance.now();
    const workerData: WorkerData = {
      dir,
      path,
      imagePath: join(dir, IMAGE_FILE),
      imageAfterChanges: options.imageAfterChanges ?? DEFAULT_IMAGE_AFTER_CHANGES,
      spaceBase: geometry.base,
      spaceSize: geometry.size,
    };
    const store = new SqliteStore(new Worker(new URL('./sqlite-worker.js', import.meta.url), { workerData }), logger, lock, path);
    let read: Recovery;
    try {
      read = await store.recovery;
    } catch (err) {
      // The worker has closed what it opened, or never opened it: then the lock goes.
      await store.exited;
      lock.release();
      throw err;
    }
    const { list, from, imageRefused, delta } = read;
    if (imageRefused !== undefined) logger.warn({ dataDir: dir }, `the area image is not used (${imageRefused}); reading the rows`);
    logger.info({ dataDir: dir, areas: list.starts.length, from, changed: from === 'image' ? delta : undefined, ms: Math.round(performance.now() - started) }, 'store recovered');
    return { store, areas: new EncodedAreas(list), list };
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
  listening(): void {
    if (this.failure === null) this.worker.postMessage({ type: 'listening' } satisfies WorkerRequest);
  }

  /** @inheritdoc */
  async close(finalList?: () => EncodedAreaList): Promise<void> {
    if (this.failure === null) this.worker.postMessage({ type: 'close', ...(finalList === undefined ? {} : { image: finalList() }) } satisfies WorkerRequest);
    else await this.worker.terminate();
    await this.exited;
    this.lock.release();
  }

  private onReply(reply: WorkerReply): void {
    if (reply.type === 'recovered') {
      const { type: _, ...recovery } = reply;
      this.recoverySettles?.resolve(recovery);
      this.recoverySettles = null;
      return;
    }
    if (reply.type === 'openFailed') {
      this.recoveryFailed(new StoreOpenError(reply.message));
      return;
    }
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
