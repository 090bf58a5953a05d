import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { explainOpenFailure, StoreOpenError } from './store-open-error.js';

/** The lock file inside --data-dir: a tiny SQLite database, used for its OS lock only. */
export const LOCK_FILE = 'vmapd.lock';
/** Beside it, the pid of the holder, for the message a second vmapd gets. */
export const PID_FILE = 'vmapd.pid';

/**
 * One vmapd per data directory. Two processes committing to one database
 * would each hand out ranges the other does not know of. The lock is
 * SQLite's exclusive lock (an fcntl lock, which the kernel drops when the
 * holder dies, kill -9 included, so a crash never leaves a stale lock) held
 * by a connection to a lock file for as long as the store is open.
 */
export class DataDirLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly pidFile: string,
  ) {}

  /**
   * Takes the lock on `dir` (which must exist) and records this process's pid.
   *
   * @throws StoreOpenError naming the directory and the holder's pid when another process holds it
   */
  static acquire(dir: string): DataDirLock {
    const path = join(dir, LOCK_FILE);
    const pidFile = join(dir, PID_FILE);
    let db: Database.Database;
    try {
      db = new Database(path, { timeout: 0 });
    } catch (err) {
      throw explainOpenFailure(path, err);
    }
    try {
      // EXCLUSIVE locking mode keeps the lock of the first write transaction
      // until the connection closes; BEGIN EXCLUSIVE takes it without waiting.
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE; COMMIT;');
    } catch (err) {
      db.close();
      if ((err as { code?: unknown }).code === 'SQLITE_BUSY') {
        const holder = readHolder(pidFile);
        throw new StoreOpenError(
          `the data directory ${resolve(dir)} is in use by another vmapd (${holder}); ` +
            'one vmapd per --data-dir: stop that one first, or start this one with another --data-dir',
        );
      }
      throw explainOpenFailure(path, err);
    }
    writeFileSync(pidFile, `${process.pid}\n`);
    return new DataDirLock(db, pidFile);
  }

  /** Lets the directory go: removes the pid file (if still ours) and drops the lock. */
  release(): void {
    try {
      if (readFileSync(this.pidFile, 'utf8').trim() === String(process.pid)) unlinkSync(this.pidFile);
    } catch {
      // Already gone: nothing to tidy.
    }
    this.db.close();
  }
}

/** "pid N" from the holder's pid file, or why it cannot be said. */
function readHolder(pidFile: string): string {
  try {
    const pid = readFileSync(pidFile, 'utf8').trim();
    return /^[0-9]+$/.test(pid) ? `pid ${pid}` : 'pid unknown';
  } catch {
    return 'pid unknown';
  }
}
