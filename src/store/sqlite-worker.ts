/**
 * The store's worker thread: it owns the database connection and runs every
 * commit, so the fsync a commit waits on never blocks the event loop that
 * answers /meminfo. One message in, one transaction, one answer out.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Change } from './store.js';
import { configure, prepareCommit } from './sqlite-schema.js';
import { messageOf } from '../vmap/errors.js';
import { OutOfStep } from './errors.js';

/** A request from the main thread. */
export type WorkerRequest = { readonly type: 'commit'; readonly id: number; readonly changes: readonly Change[] } | { readonly type: 'close' };

/** The answer to one commit. */
export type WorkerReply =
  | { readonly type: 'ready' }
  | { readonly type: 'committed'; readonly id: number }
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
const { path } = workerData as { path: string };
const db = new Database(path);
configure(db);
const st = prepareCommit(db);
let usable = true;

const apply = db.transaction((changes: readonly Change[]) => {
  for (const c of changes) {
    switch (c.op) {
      case 'insert': {
        const a = c.area;
        st.insert.run(a.start, a.pages, a.guard ? 1 : 0, a.caller, a.owner, a.requestId === '' ? null : a.requestId);
        break;
      }
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
});

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'close') {
    if (usable) db.close();
    port.close();
    return;
  }
  if (!usable) {
    port.postMessage({ type: 'failed', id: msg.id, message: 'the store failed earlier and is closed', code: 'VMAPD_STORE_CLOSED', fatal: true } satisfies WorkerReply);
    return;
  }
  try {
    apply(msg.changes);
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

port.postMessage({ type: 'ready' } satisfies WorkerReply);
