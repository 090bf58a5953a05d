import { closeSync, constants, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { messageOf, VmapError } from '../vmap/errors.js';

/** The store cannot be used for this vmapd: the message says why, where, and what to do. */
export class StoreOpenError extends VmapError {
  readonly code = 'VMAP_ERR_STORE_OPEN';
  constructor(message: string) {
    super(message);
    this.name = 'StoreOpenError';
  }
}

/** What an errno means to the operator who must fix it. */
const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  EISDIR: 'is a directory',
  ENOTDIR: 'a component of the path is not a directory',
  ENOENT: 'no such file or directory',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
};

/** `permission denied: /abs/path` for an fs error `err` on `path`, or its own message. */
export function describeFsError(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reason = code === undefined ? undefined : REASONS[code];
  const who = typeof process.getuid === 'function' ? ` (vmapd runs as uid ${process.getuid()})` : '';
  if (reason === undefined) return `${resolve(path)}: ${messageOf(err)}`;
  return `${reason}: ${resolve(path)}${code === 'EACCES' || code === 'EPERM' ? who : ''}`;
}

/**
 * Why SQLite could not open `path` (it says only "unable to open database
 * file"): the operating system is asked directly, by opening the file for
 * reading and writing as SQLite would, so the message names the cause and
 * the path, the usual case being a bind mount the service user cannot write.
 */
export function explainOpenFailure(path: string, sqliteError: unknown): StoreOpenError {
  try {
    closeSync(openSync(path, constants.O_RDWR | constants.O_CREAT, 0o600));
  } catch (err) {
    return new StoreOpenError(`cannot open the store: ${describeFsError(path, err)}`);
  }
  const message = messageOf(sqliteError);
  // The file itself opens: the directory must let SQLite create its -wal and -shm files beside it.
  return new StoreOpenError(`cannot open the store ${resolve(path)}: ${message} (the directory must be writable by vmapd for the write-ahead log)`);
}
