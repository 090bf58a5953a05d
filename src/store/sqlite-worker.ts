/**
 * The store's worker thread: it owns the database connection and runs every
 * commit, so the fsync a commit waits on never blocks the event loop that
 * answers /meminfo. One message in, one transaction, one answer out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Change } from './store.js';
import { configure, INSERT_CHUNK, prepareCommit, type InsertRow } from './sqlite-schema.js';
import { decodeChanges, type EncodedChanges } from './change-codec.js';
import { messageOf } from '../vmap/errors.js';
import { OutOfStep } from './errors.js';
import type { EncodedAreaList } from './area-list-codec.js';
import { encodeAreaImage, IMAGE_TOKEN_BYTES } from './area-image.js';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * A request from the main thread: a commit's changes in columns (copied
 * between threads as a few arrays, not 10,000 objects), or the close, with
 * the areas as vmapd leaves them when it stops cleanly (written as the
 * area image before the connection closes).
 */
export type WorkerRequest =
  /** Sent first, once the store is read: whether the database names an area image, and whether it was read at this start (so is still what the table holds until a commit). */
  | { readonly type: 'image'; readonly named: boolean; readonly read: boolean }
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
  /** The area image was written at the close (or not, and why). */
  | { readonly type: 'imageWritten'; readonly areas: number; readonly bytes: number; readonly ms: number }
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
/** Whether the database names an area image: it is stale from the first commit on, which unnames it. */
let named = false;
/** Whether the named image is the table as it is (read at this start, nothing committed since): the close need not write it again. */
let current = false;
const db = new Database(path);
configure(db);
const st = prepareCommit(db);
let usable = true;

/** Values per inserted row (see InsertRow). */
const ROW_VALUES = 6;

/** Inserts the rows whose values `values` holds one after the other (consecutive inserts of one batch), INSERT_CHUNK to a statement while that many remain. */
function insertRows(values: unknown[]): void {
  const chunk = INSERT_CHUNK * ROW_VALUES;
  let at = 0;
  for (; at + chunk <= values.length; at += chunk) st.insertMany.run(values.slice(at, at + chunk));
  for (; at < values.length; at += ROW_VALUES) st.insert.run(...(values.slice(at, at + ROW_VALUES) as InsertRow));
  values.length = 0;
}

const apply = db.transaction((changes: readonly Change[]) => {
  if (named) st.dropImage.run();
  const values: unknown[] = [];
  for (const c of changes) {
    if (c.op === 'insert') {
      const a = c.area;
      values.push(a.start, a.pages, a.guard ? 1 : 0, a.caller, a.owner, a.requestId === '' ? null : a.requestId);
      continue;
    }
    // In order: the inserts before this change first.
    insertRows(values);
    switch (c.op) {
      case 'lazy':
        if (st.markLazy.run(c.start).changes !== 1) throw new OutOfStep(`no busy row at page ${c.start} to mark lazy`);
        break;
      case 'delete':
        if (st.remove.run(c.start).changes !== 1) throw new OutOfStep(`no busy row at page ${c.start} to delete`);
        break;
      case 'purge':
        st.purge.run();
        break;
    }
  }
  insertRows(values);
});

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'image') {
    named = msg.named;
    current = msg.read;
    return;
  }
  if (msg.type === 'close') {
    if (usable && msg.image !== undefined && !current) writeImage(msg.image);
    if (usable) db.close();
    port.close();
    return;
  }
  if (!usable) {
    port.postMessage({ type: 'failed', id: msg.id, message: 'the store failed earlier and is closed', code: 'VMAPD_STORE_CLOSED', fatal: true } satisfies WorkerReply);
    return;
  }
  try {
    apply(decodeChanges(msg.changes));
    if (named) {
      named = false;
      current = false;
      // Unnamed, it is never read again: the file goes too, if it will.
      rmSync(imagePath, { force: true });
    }
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
 * Writes `list` as the area image and names it. Nothing is committed after
 * it (the close follows), so it is what the areas table holds. The file is
 * written whole (a temporary file, synced, renamed, its directory synced)
 * before the database names it, so a crash on the way leaves an image the
 * database does not name, which is never read. A failure (a full disk)
 * costs only the next start's speed: it reads the rows.
 */
function writeImage(list: EncodedAreaList): void {
  const started = performance.now();
  const tmp = `${imagePath}.tmp`;
  try {
    const token = randomBytes(IMAGE_TOKEN_BYTES);
    const data = encodeAreaImage(list, token);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, imagePath);
    const dirFd = openSync(dirname(imagePath), 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    st.nameImage.run(token.toString('hex'));
    port.postMessage({ type: 'imageWritten', areas: list.starts.length, bytes: data.length, ms: Math.round(performance.now() - started) } satisfies WorkerReply);
  } catch (err) {
    rmSync(tmp, { force: true });
    port.postMessage({ type: 'imageFailed', message: messageOf(err) } satisfies WorkerReply);
  }
}

port.postMessage({ type: 'ready' } satisfies WorkerReply);
