/**
 * The store's worker thread: it opens the database and reads what it holds
 * (sqlite-open.ts) while the main thread loads the rest of vmapd, then owns
 * the connection and runs every commit, so the fsync a commit waits on never
 * blocks the event loop that answers /meminfo. One message in, one
 * transaction, one answer out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Change } from './store.js';
import { INSERT_CHUNK, prepareCommit, type CommitStatements, type InsertRow } from './sqlite-schema.js';
import { decodeChanges, type EncodedChanges } from './change-codec.js';
import { messageOf } from '../vmap/errors.js';
import { OutOfStep } from './errors.js';
import type { EncodedAreaList } from './area-list-codec.js';
import { SqliteImages, type ImageReply } from './sqlite-images.js';
import { openDatabase, type OpenDatabase } from './sqlite-open.js';
import type { StoredAreas } from './sqlite-recovery.js';
import { SpaceGeometry } from '../vmap/geometry.js';

/**
 * A request from the main thread: a commit's changes in columns (copied
 * between threads as a few arrays, not 10,000 objects), or the close, with
 * the areas as vmapd leaves them when it stops cleanly (written as the
 * area image before the connection closes).
 */
export type WorkerRequest =
  | { readonly type: 'commit'; readonly id: number; readonly changes: EncodedChanges }
  /** vmapd listens: work put off so as not to slow its start (the start's image) may begin. */
  | { readonly type: 'listening' }
  | { readonly type: 'close'; readonly image?: EncodedAreaList };

/** What the worker starts with. */
export interface WorkerData {
  /** The data directory, for messages. */
  readonly dir: string;
  /** The database file. */
  readonly path: string;
  /** The space the database must be of (SpaceGeometry's base and size). */
  readonly spaceBase: bigint;
  readonly spaceSize: bigint;
  /** The area image file beside it. */
  readonly imagePath: string;
  /** Rows changed that start a background image (0: only at a start and a stop). */
  readonly imageAfterChanges: number;
}

/**
 * What the worker says: first what it read (or why it could not open the
 * store, and then it ends), then the answer to each commit and the news of
 * each image.
 */
export type WorkerReply =
  /** The areas read (shared memory: posting them copies no column), as recoverAreas tells them. */
  | ({ readonly type: 'recovered' } & Omit<StoredAreas, 'areas'>)
  | { readonly type: 'openFailed'; readonly message: string }
  | { readonly type: 'committed'; readonly id: number }
  /** An area image was written and named (or not, and why). */
  | ImageReply
  | { readonly type: 'failed'; readonly id: number; readonly message: string; readonly code: string; readonly fatal: boolean };

/**
 * Whether, after `code`, the database files can still be trusted. A full disk
 * stops SQLite before anything reaches the files; an I/O error (a failed
 * fsync above all) may leave the kernel's page cache and the disk apart, and
 * retrying the fsync would wrongly report success (the PostgreSQL lesson).
 */
function isFatal(code: string): boolean {
  return code !== 'SQLITE_FULL' && code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED';
}

/** Values per inserted row (see InsertRow). */
const ROW_VALUES = 7;

const port = parentPort!;
const { dir, path, imagePath, imageAfterChanges, spaceBase, spaceSize } = workerData as WorkerData;

/** The database opened and read, or undefined (the main thread told why) when it cannot be. */
function open(): OpenDatabase | undefined {
  try {
    return openDatabase(path, dir, new SpaceGeometry(spaceBase, spaceSize));
  } catch (err) {
    port.postMessage({ type: 'openFailed', message: messageOf(err) } satisfies WorkerReply);
    return undefined;
  }
}

/** Answers with what `opened` holds, then takes the commits and the close. */
function serve({ db, stored }: OpenDatabase): void {
  const st: CommitStatements = prepareCommit(db);
  let usable = true;
  const images = new SqliteImages({ db, dbPath: path, imagePath, imageAfterChanges, post: (reply) => port.postMessage(reply satisfies WorkerReply), usable: () => usable });

  /** Inserts the rows whose values `values` holds one after the other (consecutive inserts of one batch), INSERT_CHUNK to a statement while that many remain. */
  function insertRows(values: unknown[]): void {
    const chunk = INSERT_CHUNK * ROW_VALUES;
    let at = 0;
    for (; at + chunk <= values.length; at += chunk) st.insertMany.run(values.slice(at, at + chunk));
    for (; at < values.length; at += ROW_VALUES) st.insert.run(...(values.slice(at, at + ROW_VALUES) as InsertRow));
    values.length = 0;
  }

  /** The epoch a commit last recorded as written in (WRITTEN_EPOCH_KEY); -1: none yet on this connection. */
  let writtenEpoch = -1;

  /** Commits `changes` in the current epoch; returns how many rows they changed. */
  const apply = (changes: readonly Change[]): number => {
    const { epoch } = images;
    // The first commit of each epoch says so, in its own transaction: a start then knows whether any row is newer than the image.
    if (writtenEpoch !== epoch) st.setWrittenEpoch.run(String(epoch));
    const values: unknown[] = [];
    let rows = 0;
    for (const c of changes) {
      if (c.op === 'insert') {
        const a = c.area;
        values.push(a.start, a.pages, a.guard ? 1 : 0, a.caller, a.owner, a.requestId === '' ? null : a.requestId, epoch);
        rows++;
        continue;
      }
      // In order: the inserts before this change first.
      insertRows(values);
      switch (c.op) {
        case 'lazy':
          if (st.markLazy.run(epoch, c.start).changes !== 1) throw new OutOfStep(`no busy row at page ${c.start} to mark lazy`);
          rows++;
          break;
        case 'delete':
          if (st.remove.run(c.start).changes !== 1) throw new OutOfStep(`no busy row at page ${c.start} to delete`);
          st.tombstone.run(c.start, epoch);
          rows++;
          break;
        case 'purge':
          st.tombstoneLazy.run(epoch);
          rows += st.purge.run().changes;
          break;
      }
    }
    insertRows(values);
    return rows;
  };
  const applyAll = db.transaction(apply);

  {
    const { list, from, imageRefused, epoch, delta } = stored;
    port.postMessage({ type: 'recovered', list, from, epoch, delta, ...(imageRefused === undefined ? {} : { imageRefused }) } satisfies WorkerReply);
    // Rows read that the image lacks go into a new one, cut now and written
    // once vmapd listens, so a crash from then on reads few rows.
    images.open(st, epoch, from === 'image' && delta === 0, delta > 0 ? list : undefined);
  }

  port.on('message', (msg: WorkerRequest) => {
    if (msg.type === 'listening') {
      images.listening();
      return;
    }
    if (msg.type === 'close') {
      void images.close(usable ? msg.image : undefined).finally(() => {
        if (usable) db.close();
        port.close();
      });
      return;
    }
    if (!usable) {
      port.postMessage({ type: 'failed', id: msg.id, message: 'the store failed earlier and is closed', code: 'VMAPD_STORE_CLOSED', fatal: true } satisfies WorkerReply);
      return;
    }
    let rows: number;
    try {
      rows = applyAll(decodeChanges(msg.changes));
      // Committed: later commits of this epoch need not record it again.
      writtenEpoch = images.epoch;
    } catch (err) {
      const code = typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'VMAPD_UNKNOWN';
      const fatal = isFatal(code);
      if (fatal) {
        // Do not trust this connection or its files any more: stop using them.
        usable = false;
        try {
          db.close();
        } catch {
          // Closing a failed connection may fail too; it is abandoned either way.
        }
      }
      const message = messageOf(err);
      port.postMessage({ type: 'failed', id: msg.id, message, code, fatal } satisfies WorkerReply);
      return;
    }
    port.postMessage({ type: 'committed', id: msg.id } satisfies WorkerReply);
    // After the answer, and never instead of it: the commit stands whatever happens to an image.
    images.committed(rows);
  });
}

const opened = open();
// Nothing is open when it failed: closing the port ends this thread.
if (opened === undefined) port.close();
else serve(opened);
