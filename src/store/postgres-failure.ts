/**
 * What a failed PostgreSQL commit means for the writes that wait on it, as
 * the StoreFailure the service answers them by.
 *
 * Fatal only when the database and vmapd's memory are known to disagree: a
 * constraint refused the batch (the exclusion constraint above all: vmapd
 * thought a range free that the database holds) or a free found no busy row,
 * or another writer took the log position this vmapd was at. Then neither
 * side can be trusted to hand out ranges, and writes stay off until a restart
 * reloads the database. Everything else (PostgreSQL down or restarting, the
 * connection lost, a timeout, a full disk, authentication) left nothing
 * behind: not fatal, tried again later.
 */
import pg from 'pg';
import { OutOfStep, StoreFailure } from './errors.js';
import { messageOf } from '../vmap/errors.js';

/** The reason in `err` for an operator: SQLSTATE and message, or the socket's code and message. */
export function reasonOf(err: unknown): string {
  if (err instanceof pg.DatabaseError) return `${err.code ?? 'no SQLSTATE'}: ${err.message}`;
  // Connecting to every address of a name fails as one AggregateError with an empty message.
  if (err instanceof AggregateError && err.message === '') return err.errors.map(reasonOf).join('; ');
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && !messageOf(err).includes(code) ? `${code}: ${messageOf(err)}` : messageOf(err);
}

/** The StoreFailure for a commit to `where` that failed with `err` before (or without) COMMIT. */
export function commitFailure(err: unknown, where: string): StoreFailure {
  const restart = 'writes are off until vmapd restarts and reloads the database';
  if (err instanceof OutOfStep) return new StoreFailure(`${where} does not hold what vmapd holds (${err.message}); ${restart}`, true);
  if (err instanceof pg.DatabaseError && err.code?.startsWith('23') === true) {
    if (err.constraint === 'vmapd_change_log_pkey') {
      return new StoreFailure(`another writer committed to ${where} since this vmapd loaded it (its log position is taken); ${restart}`, true);
    }
    return new StoreFailure(`${where} refused the batch (${reasonOf(err)}${err.constraint === undefined ? '' : `, ${err.constraint}`}): it does not hold what vmapd holds; ${restart}`, true);
  }
  return new StoreFailure(`PostgreSQL ${where} is unavailable (${reasonOf(err)})`, false);
}

/** A commit (or a question about one) that PostgreSQL did not answer in time. */
export class CommitTimeout extends Error {
  constructor(ms: number) {
    super(`no answer from PostgreSQL within ${ms} ms`);
    this.name = 'CommitTimeout';
  }
}

/**
 * Whether `err` is the connection going away rather than PostgreSQL refusing
 * something: a socket error, or the server ending the session (class 08, or
 * 57P01-57P03: shut down, crashed, still starting).
 */
export function connectionLost(err: unknown): boolean {
  if (err instanceof CommitTimeout || err instanceof OutOfStep) return false;
  if (err instanceof pg.DatabaseError) return err.code?.startsWith('08') === true || /^57P0[123]$/.test(err.code ?? '');
  return true;
}
