/**
 * The store's one connection to PostgreSQL, replaced whenever it fails. Its
 * commits run one at a time (the writer mutex serializes them), so one
 * connection is all a store needs; what matters is that after PostgreSQL
 * restarts, or the network drops the connection, the next commit gets a new
 * one by itself.
 */
import pg from 'pg';
import type { Logger } from 'pino';
import { CommitTimeout } from './postgres-failure.js';

/** Bounds on what a store waits for, in ms. */
export interface PostgresTimeouts {
  /** Connecting (TCP, TLS, authentication) before the attempt is given up. */
  readonly connectMs: number;
  /** One commit, start to answer; also the server's statement and idle-in-transaction timeouts. */
  readonly commitMs: number;
  /** How long a commit whose answer was lost keeps asking PostgreSQL whether it committed. */
  readonly doubtMs: number;
  /**
   * How long the server lets a commit's transaction sit without a statement
   * before ending it. A leader paused mid-transaction holds the lease row
   * (postgres-lease.ts) that a takeover must lock, so with leadership this is
   * well under the lease. Default: commitMs.
   */
  readonly idleInTransactionMs?: number;
}

export const DEFAULT_TIMEOUTS: PostgresTimeouts = { connectMs: 5000, commitMs: 10_000, doubtMs: 5000 };

/** A connection handed out: `fresh` when it was made for this use (a reused one may have died while idle). */
export interface Lease {
  readonly client: pg.Client;
  readonly fresh: boolean;
}

/**
 * `user@host:port/database` of `url`: names the database in messages, never
 * with its password.
 *
 * @throws Error when `url` is not a postgres:// (or postgresql://) URL
 */
export function describeTarget(url: string): string {
  // pg would read anything else as a path below some default host.
  if (!/^postgres(ql)?:\/\//.test(url)) throw new Error('not a postgres:// or postgresql:// URL');
  const c = new pg.Client({ connectionString: url });
  return `${c.user === undefined ? '' : `${c.user}@`}${c.host}:${c.port}/${c.database ?? ''}`;
}

export class PostgresSession {
  private current: pg.Client | undefined;

  constructor(
    private readonly url: string,
    private readonly timeouts: PostgresTimeouts,
    private readonly logger: Logger,
  ) {}

  /** The open connection, or a new one. Rejects with pg's (or the socket's) error when PostgreSQL cannot be reached. */
  async acquire(): Promise<Lease> {
    if (this.current !== undefined) return { client: this.current, fresh: false };
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'vmapd',
      connectionTimeoutMillis: this.timeouts.connectMs,
      keepAlive: true,
      // The server gives up on a statement, or on a transaction whose client
      // went quiet, about when vmapd gives up waiting: nothing of a commit
      // vmapd abandoned keeps holding locks for long.
      statement_timeout: this.timeouts.commitMs,
      idle_in_transaction_session_timeout: this.timeouts.idleInTransactionMs ?? this.timeouts.commitMs,
    });
    // A connection that dies while idle (PostgreSQL restarted) says so here,
    // not as an uncaught 'error' event; the next acquire makes a new one.
    client.on('error', (err) => {
      this.logger.warn({ err: err.message }, 'PostgreSQL connection lost');
      if (this.current === client) this.current = undefined;
    });
    try {
      await client.connect();
      // An acknowledged write must be durable: a server-wide
      // synchronous_commit=off would make it merely likely.
      const sync = (await client.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]?.synchronous_commit;
      if (sync === 'off') {
        this.logger.warn('PostgreSQL runs with synchronous_commit=off; vmapd sets it to on for its own commits');
        await client.query('SET synchronous_commit = on');
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.current = client;
    return { client, fresh: true };
  }

  /** Drops `client` (after any failure: it may be dead, mid-transaction or stuck); the next acquire connects anew. */
  discard(client: pg.Client): void {
    if (this.current === client) this.current = undefined;
    // end() cuts the socket at once when a query is still running.
    client.end().catch(() => undefined);
  }

  /**
   * `work` on `client`, or a CommitTimeout after commitMs, when the
   * connection is cut so nothing of it lingers.
   */
  async bounded<T>(work: Promise<T>, client: pg.Client): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new CommitTimeout(this.timeouts.commitMs));
        this.discard(client);
      }, this.timeouts.commitMs);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      // Cutting the connection rejects the abandoned work too: nothing to report.
      work.catch(() => undefined);
    }
  }

  /** Ends the connection. */
  async end(): Promise<void> {
    const client = this.current;
    this.current = undefined;
    await client?.end().catch(() => undefined);
  }
}
