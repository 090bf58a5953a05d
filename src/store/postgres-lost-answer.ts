/**
 * A batch whose COMMIT answer was lost (the connection dropped after COMMIT
 * was sent) either committed or did not; the change log knows which. This
 * asks it, patiently: PostgreSQL may be restarting.
 */
import type { Logger } from 'pino';
import { loggedWriter } from './postgres-commit.js';
import { reasonOf } from './postgres-failure.js';
import type { Lease, PostgresSession } from './postgres-session.js';

/** What the change log says of a batch whose answer was lost. */
export type LoggedOutcome = 'committed' | 'absent' | 'another writer' | 'unknown';

/** The first wait between questions about a lost answer; doubles up to a second. */
const ASK_BACKOFF_MS = 50;

/**
 * Asks the change log who holds `position`: `writer` (this store: the batch
 * committed), nobody, or another writer. Tries again with backoff until
 * `deadline` (epoch ms; at least once), then answers 'unknown'.
 */
export async function askLog(session: PostgresSession, writer: string, position: number, deadline: number, logger: Logger): Promise<LoggedOutcome> {
  for (let wait = ASK_BACKOFF_MS; ; wait = Math.min(wait * 2, 1000)) {
    let lease: Lease | undefined;
    try {
      lease = await session.acquire();
      const holder = await session.bounded(loggedWriter(lease.client, position), lease.client);
      if (holder === undefined) return 'absent';
      return holder === writer ? 'committed' : 'another writer';
    } catch (err) {
      if (lease !== undefined) session.discard(lease.client);
      const left = deadline - Date.now();
      logger.debug({ position, err: reasonOf(err) }, 'cannot ask PostgreSQL about the lost answer yet');
      if (left <= 0) return 'unknown';
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, left)));
    }
  }
}
