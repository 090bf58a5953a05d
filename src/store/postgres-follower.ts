/**
 * What a standby reads to follow the leader: the change log after a
 * position, batch by batch, on a connection of its own that LISTENs for the
 * NOTIFY every commit sends, so a new batch is read as soon as it commits
 * (and, should a notification be missed, at the next poll).
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { CHANGES_CHANNEL } from './postgres-schema.js';
import type { PostgresTimeouts } from './postgres-session.js';
import type { Change } from './store.js';

/** One committed batch as the log holds it. */
export interface LoggedBatch {
  readonly position: number;
  readonly changes: readonly Change[];
}

/** Batches read per round trip while catching up. */
export const CATCH_UP_BATCHES = 256;

/** The batches after `position`, ascending, at most `limit`. */
export async function readLogAfter(client: pg.ClientBase, position: number, limit = CATCH_UP_BATCHES): Promise<LoggedBatch[]> {
  const rows = (
    await client.query<{ position: string; changes: Change[] }>({
      name: 'vmapd_follow',
      // Qualified: a bare `position` in ORDER BY names the text output
      // column, and would sort 10 before 9.
      text: 'SELECT l.position::text, l.changes FROM vmapd_change_log l WHERE l.position > $1 ORDER BY l.position LIMIT $2',
      values: [position, limit],
    })
  ).rows;
  return rows.map((r) => ({ position: Number(r.position), changes: r.changes }));
}

/** The last committed position (0 for none). */
export async function logEnd(client: pg.ClientBase): Promise<number> {
  const row = (await client.query<{ end: string }>('SELECT coalesce(max(position), 0)::text AS end FROM vmapd_change_log')).rows[0];
  return Number(row?.end ?? 0);
}

/**
 * The connection a node keeps for leadership and following: LISTENing on
 * the change channel, replaced whenever it fails. `onNotify` hears the
 * position of each batch committed (by anyone).
 */
export class FollowerSession {
  private current: pg.Client | undefined;

  constructor(
    private readonly url: string,
    private readonly timeouts: Pick<PostgresTimeouts, 'connectMs' | 'commitMs'>,
    private readonly logger: Logger,
    private readonly onNotify: (position: number) => void,
  ) {}

  /** The open connection, or a new one that LISTENs. Rejects when PostgreSQL cannot be reached. */
  async acquire(): Promise<pg.Client> {
    if (this.current !== undefined) return this.current;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'vmapd-follower',
      connectionTimeoutMillis: this.timeouts.connectMs,
      keepAlive: true,
      statement_timeout: this.timeouts.commitMs,
      // A takeover waits for a commit that holds the lease row: not for ever.
      lock_timeout: this.timeouts.commitMs,
    });
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'PostgreSQL follower connection lost');
      if (this.current === client) this.current = undefined;
    });
    client.on('notification', (n) => {
      if (n.channel === CHANGES_CHANNEL) this.onNotify(Number(n.payload));
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.current = client;
    return client;
  }

  /** Drops the connection after a failure; the next acquire connects anew. */
  discard(): void {
    const client = this.current;
    this.current = undefined;
    client?.end().catch(() => undefined);
  }

  /** Ends the connection. */
  async end(): Promise<void> {
    const client = this.current;
    this.current = undefined;
    await client?.end().catch(() => undefined);
  }
}
