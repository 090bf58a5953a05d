/**
 * A thread that writes a new area image while vmapd runs, so that a crash
 * after many writes restarts from a recent image and few changed rows. The
 * store's worker starts it once enough has changed since the last image,
 * right after moving the epoch on (the cut): this thread's read transaction
 * then sees every change of the cut epoch and before, and perhaps a few of
 * the next, which the rows of that epoch carry anyway. It reads the areas
 * as a start does (the named image and the rows changed since, off the
 * writer's event loop and the committing thread), writes them to the
 * temporary image file and reports the token; the worker puts the file in
 * place and names it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { messageOf } from '../vmap/errors.js';
import { writeImageFile, type WrittenImage } from './image-file.js';
import { readAreas } from './sqlite-recovery.js';
import { readMeta } from './sqlite-meta.js';

/** What the thread is started with. */
export interface ImageThreadData {
  /** The database file, and the data directory it is in. */
  readonly path: string;
  readonly dir: string;
  /** Where to write the image. */
  readonly tmp: string;
}

/** Its one message. */
export type ImageThreadReply = ({ readonly type: 'written' } & WrittenImage) | { readonly type: 'failed'; readonly message: string };

const { path, dir, tmp } = workerData as ImageThreadData;
const port = parentPort!;
let reply: ImageThreadReply;
try {
  const db = new Database(path, { readonly: true });
  try {
    // A checkpoint of the WAL may hold the file for a moment.
    db.pragma('busy_timeout = 5000');
    db.exec('BEGIN');
    const { list } = readAreas(db, readMeta(db), dir);
    db.exec('COMMIT');
    reply = { type: 'written', ...(await writeImageFile(list, tmp)) };
  } finally {
    db.close();
  }
} catch (err) {
  reply = { type: 'failed', message: messageOf(err) };
}
port.postMessage(reply);
