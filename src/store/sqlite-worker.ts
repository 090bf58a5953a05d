/**
 * The store's worker thread: it owns the database connection and runs every
 * commit, so the fsync a commit waits on never blocks the event loop that
 * answers /meminfo. One message in, one transaction, one answer out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Change } from './store.js';
import { configure, INSERT_CHUNK, prepareCommit, type CommitStatements, type InsertRow } from './sqlite-schema.js';
import { decodeChanges, type EncodedChanges } from './change-codec.js';
import { messageOf } from '../vmap/errors.js';
import { OutOfStep } from './errors.js';
import type { EncodedAreaList } from './area-list-codec.js';
import { encodeAreaImage, IMAGE_TOKEN_BYTES } from './area-image.js';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * A request from the main thread: a commit's changes in columns (copied
 * between threads as a few arrays, not 10,000 objects), or the close, with
 * the areas as vmapd leaves them when it stops cleanly (written as the
 * area image before the connection closes).
 */
export type WorkerRequest =
  /**
   * Sent first, once the store is read: the epoch to commit in, whether the
   * named image is the table as it is (read at this start with nothing
   * changed since: the close need not write it again), and, when it is not,
   * the areas as read (`rebase`), to be written as a new image at once so
   * that a crash from now on restarts from it and the changes after it.
   */
  | { readonly type: 'open'; readonly epoch: number; readonly current: boolean; readonly rebase?: EncodedAreaList }
  | { readonly type: 'commit'; readonly id: number; readonly changes: EncodedChanges }
  | { readonly type: 'close'; readonly image?: EncodedAreaList };

/** What the worker starts with. */
export interface WorkerData {
  /** The database file. */
  readonly path: string;
  /** The area image file beside it. */
  readonly imagePath: string;
}

/** The answer to one commit. */
export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'committed'; readonly id: number }
  /** An area image was written and named (or not, and why): at the close, or after a start that read changed rows. */
  | { readonly type: 'imageWritten'; readonly areas: number; readonly bytes: number; readonly ms: number; readonly epoch: number }
  | { readonly type: 'imageFailed'; readonly message: string }
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

const port = parentPort!;
const { path, imagePath } = workerData as WorkerData;
const db = new Database(path);
configure(db);
/** Prepared at the open: the opener brings an older schema up to date first. */
let st: CommitStatements;
/** The epoch commits write in (sqlite-schema.ts). */
let epoch = 0;
/** Whether the named image is the table as it is (nothing committed since it): the close need not write it again. */
let current = false;
/** Whether a commit came since the image being written was cut. */
let changedSinceCut = false;
/** The image being written, if one is. */
let writing: Promise<void> = Promise.resolve();
let usable = true;

/** Values per inserted row (see InsertRow). */
const ROW_VALUES = 7;

/** Inserts the rows whose values `values` holds one after the other (consecutive inserts of one batch), INSERT_CHUNK to a statement while that many remain. */
function insertRows(values: unknown[]): void {
  const chunk = INSERT_CHUNK * ROW_VALUES;
  let at = 0;
  for (; at + chunk <= values.length; at += chunk) st.insertMany.run(values.slice(at, at + chunk));
  for (; at < values.length; at += ROW_VALUES) st.insert.run(...(values.slice(at, at + ROW_VALUES) as InsertRow));
  values.length = 0;
}

const apply = (changes: readonly Change[]): void => {
  const values: unknown[] = [];
  for (const c of changes) {
    if (c.op === 'insert') {
      const a = c.area;
      values.push(a.start, a.pages, a.guard ? 1 : 0, a.caller, a.owner, a.requestId === '' ? null : a.requestId, epoch);
      continue;
    }
    // In order: the inserts before this change first.
    insertRows(values);
    switch (c.op) {
      case 'lazy':
        if (st.markLazy.run(epoch, c.start).changes !== 1) throw new OutOfStep(`no busy row at page ${c.start} to mark lazy`);
        break;
      case 'delete':
        if (st.remove.run(c.start).changes !== 1) throw new OutOfStep(`no busy row at page ${c.start} to delete`);
        st.tombstone.run(c.start, epoch);
        break;
      case 'purge':
        st.tombstoneLazy.run(epoch);
        st.purge.run();
        break;
    }
  }
  insertRows(values);
};
const applyAll = db.transaction(apply);

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'open') {
    st = prepareCommit(db);
    epoch = msg.epoch;
    current = msg.current;
    if (msg.rebase !== undefined) {
      // Cut here: every row read is of this epoch or before; commits from now on are of the next.
      const cut = epoch;
      db.transaction(() => st.setEpoch.run(String((epoch = cut + 1))))();
      changedSinceCut = false;
      const list = msg.rebase;
      writing = writeImage(list, cut);
    }
    port.postMessage({ type: 'ready' } satisfies WorkerReply);
    return;
  }
  if (msg.type === 'close') {
    void writing.then(async () => {
      if (usable && msg.image !== undefined && !current) {
        changedSinceCut = false;
        await writeImage(msg.image, epoch);
      }
      if (usable) db.close();
      port.close();
    });
    return;
  }
  if (!usable) {
    port.postMessage({ type: 'failed', id: msg.id, message: 'the store failed earlier and is closed', code: 'VMAPD_STORE_CLOSED', fatal: true } satisfies WorkerReply);
    return;
  }
  try {
    applyAll(decodeChanges(msg.changes));
    current = false;
    changedSinceCut = true;
    port.postMessage({ type: 'committed', id: msg.id } satisfies WorkerReply);
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
  }
});

/**
 * Writes `list`, the areas as they were when epoch `cut` ended, as the area
 * image, and names it: the image of epoch `cut`. Commits go on meanwhile
 * (in a later epoch). The file is written whole (a temporary file, synced,
 * renamed, its directory synced) before the database names it, so a crash
 * on the way leaves an image the database does not name, which is never
 * read. A failure (a full disk) costs only the next start's speed: it reads
 * the image named before, or the rows.
 */
async function writeImage(list: EncodedAreaList, cut: number): Promise<void> {
  const started = performance.now();
  const tmp = `${imagePath}.tmp`;
  try {
    const token = randomBytes(IMAGE_TOKEN_BYTES);
    const data = encodeAreaImage(list, token);
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    // A store that failed meanwhile names nothing more: its image is not replaced either.
    if (!usable) throw new Error('the store failed while it was written');
    await rename(tmp, imagePath);
    const dir = await open(dirname(imagePath), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    if (!usable) throw new Error('the store failed while it was written');
    db.transaction(() => {
      st.nameImage.run(token.toString('hex'));
      st.setImageEpoch.run(String(cut));
      if (epoch <= cut) st.setEpoch.run(String((epoch = cut + 1)));
      st.pruneRemoved.run(cut);
    })();
    if (!changedSinceCut) current = true;
    port.postMessage({ type: 'imageWritten', areas: list.starts.length, bytes: data.length, ms: Math.round(performance.now() - started), epoch: cut } satisfies WorkerReply);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    port.postMessage({ type: 'imageFailed', message: messageOf(err) } satisfies WorkerReply);
  }
}
