import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { SpaceGeometry } from '../vmap/geometry.js';
import { StoreFailure } from './errors.js';
import { commitBatch, type Batch, type CommitProgress } from './postgres-commit.js';
import { commitFailure, connectionLost, reasonOf } from './postgres-failure.js';
import { Deposed } from './postgres-lease.js';
import { askLog } from './postgres-lost-answer.js';
import { readState } from './postgres-recovery.js';
import { migrate } from './postgres-schema.js';
import { DEFAULT_TIMEOUTS, describeTarget, PostgresSession, type Lease, type PostgresTimeouts } from './postgres-session.js';
import { StoreOpenError } from './store-open-error.js';
import type { Change, Recovered, Store } from './store.js';

/** Test and tuning knobs of PostgresStore.open. */
export interface PostgresStoreOptions {
  readonly timeouts?: Partial<PostgresTimeouts>;
}

/**
 * Whose commits this store makes: `solo` without leadership (a store used on
 * its own), `leader` at a lease epoch every commit checks, `standby`: none.
 */
type Role = { readonly kind: 'solo' } | { readonly kind: 'leader'; readonly epoch: number } | { readonly kind: 'standby' };

/**
 * The PostgreSQL store: the areas in a table whose exclusion constraint
 * refuses overlapping reserved ranges, each group-commit batch one
 * transaction that also appends it to the change log and NOTIFYs followers.
 *
 * Commits run one at a time, in order, on one connection that is replaced
 * whenever it fails, so writes resume by themselves once PostgreSQL is back.
 * A commit whose answer was lost (the connection dropped after COMMIT was
 * sent) is not guessed at: the store asks the change log whether that
 * batch's position is there, for a while; if it still cannot tell, the
 * writes are told their outcome is unknown and the next commit asks first.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres';
  /** Tells this store's log rows from any other writer's. */
  private readonly writer = randomUUID();
  /** The commit chain: each commit starts when the one before it has ended. */
  private tail: Promise<unknown> = Promise.resolve();
  /** Set when writes must stay off (memory and database disagree), or once closed. */
  private failure: StoreFailure | null = null;
  /** The log position of a batch whose answer was lost and whose outcome is still unknown. */
  private doubt: number | null = null;
  private closing: Promise<void> | undefined;
  private role: Role = { kind: 'solo' };
  /** Told when a commit finds the lease taken by another node. */
  private deposedListener: ((deposed: Deposed) => void) | undefined;

  private constructor(
    private readonly session: PostgresSession,
    /** `user@host:port/database`, for messages. */
    readonly where: string,
    /** The last committed batch's log position. */
    private logPosition: number,
    private readonly timeouts: PostgresTimeouts,
    private readonly logger: Logger,
  ) {}

  /** The log position of the last batch this store committed (or found at open, or followed). */
  get position(): number {
    return this.logPosition;
  }

  /** Names this store's commits in the change log's `writer` column. */
  get writerId(): string {
    return this.writer;
  }

  /** Whether writes are off for good (memory and database disagree): only a restart helps. */
  get broken(): boolean {
    return this.failure !== null;
  }

  /** Commits nothing from now on (a standby); the service forwards its writes to the leader. */
  standBy(): void {
    this.role = { kind: 'standby' };
  }

  /**
   * A standby applied the log up to `position` (postgres-follower.ts): the
   * next commit, once this node leads, goes after it.
   */
  followed(position: number): void {
    if (this.role.kind === 'leader') throw new Error('a leader does not follow the log');
    this.logPosition = position;
  }

  /** Commits from now on at lease `epoch`, after log `position` (the log's end, caught up to). */
  lead(epoch: number, position: number): void {
    this.logPosition = position;
    // Caught up to the log's end: memory holds what the log holds, a batch
    // whose answer was lost included if it did commit.
    this.doubt = null;
    this.role = { kind: 'leader', epoch };
  }

  /** Calls `listener` when a commit finds that another node took the lease (the store is a standby then). */
  onDeposed(listener: (deposed: Deposed) => void): void {
    this.deposedListener = listener;
  }

  /**
   * Connects to `url`, creates or migrates vmapd's schema, checks (or
   * records) `geometry`, and recovers the areas, ascending.
   *
   * @throws StoreOpenError naming the database and the cause: unreachable, a newer schema, another geometry
   */
  static async open(url: string, geometry: SpaceGeometry, logger: Logger, options: PostgresStoreOptions = {}): Promise<Recovered & { store: PostgresStore; position: number }> {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    let where: string;
    try {
      where = describeTarget(url);
    } catch (err) {
      // Not the URL itself: it may hold a password.
      throw new StoreOpenError(`--postgres-url: ${reasonOf(err)}`);
    }
    const session = new PostgresSession(url, timeouts, logger);
    const started = performance.now();
    let lease: Lease;
    try {
      lease = await session.acquire();
    } catch (err) {
      throw new StoreOpenError(`cannot connect to PostgreSQL ${where}: ${reasonOf(err)}`);
    }
    try {
      const fsync = (await lease.client.query<{ fsync: string }>('SHOW fsync')).rows[0]?.fsync;
      if (fsync === 'off') logger.warn({ postgres: where }, 'PostgreSQL runs with fsync=off: acknowledged writes may be lost if its machine crashes');
      await migrate(lease.client, geometry, where);
      const state = await readState(lease.client, where);
      logger.info({ postgres: where, areas: state.areas.length, position: state.position, ms: Math.round(performance.now() - started) }, 'store recovered');
      return { store: new PostgresStore(session, where, state.position, timeouts, logger), areas: state.areas, position: state.position };
    } catch (err) {
      await session.end();
      if (err instanceof StoreOpenError) throw err;
      throw new StoreOpenError(`cannot read the store in PostgreSQL ${where}: ${reasonOf(err)}`);
    }
  }

  /** @inheritdoc */
  commit(changes: readonly Change[]): Promise<void> {
    const run = this.tail.then(() => this.commitInTurn(changes));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** @inheritdoc */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.tail;
      this.failure ??= new StoreFailure('the store is closed', true);
      await this.session.end();
    })();
    return this.closing;
  }

  private async commitInTurn(changes: readonly Change[]): Promise<void> {
    if (this.failure !== null) throw this.failure;
    const role = this.role;
    if (role.kind === 'standby') throw new StoreFailure('this node is a standby and commits nothing; the write was not applied', false);
    if (this.doubt !== null) await this.settleDoubt(this.doubt);
    const batch: Batch = { position: this.logPosition + 1, writer: this.writer, changes, ...(role.kind === 'leader' ? { epoch: role.epoch } : {}) };
    for (let attempt = 1; ; attempt++) {
      let lease: Lease;
      try {
        lease = await this.session.acquire();
      } catch (err) {
        throw this.failed(commitFailure(err, this.where));
      }
      const progress: CommitProgress = { commitSent: false };
      try {
        await this.session.bounded(commitBatch(lease.client, batch, progress), lease.client);
        this.logPosition = batch.position;
        return;
      } catch (err) {
        this.session.discard(lease.client);
        if (progress.commitSent) return await this.afterLostAnswer(batch, err);
        if (err instanceof Deposed) throw this.deposed(err);
        // A connection that sat idle may have died unnoticed (PostgreSQL
        // restarted since): nothing was committed, so once more on a new one.
        if (!lease.fresh && attempt === 1 && connectionLost(err)) continue;
        throw this.failed(commitFailure(err, this.where));
      }
    }
  }

  /** COMMIT was sent and its answer lost (`err`): resolves if the batch is in the log, else rejects saying what is known. */
  private async afterLostAnswer(batch: Batch, err: unknown): Promise<void> {
    const reason = reasonOf(err);
    this.logger.warn({ position: batch.position, err: reason }, 'the answer to COMMIT was lost; asking PostgreSQL whether the batch committed');
    const outcome = await askLog(this.session, this.writer, batch.position, Date.now() + this.timeouts.doubtMs, this.logger);
    switch (outcome) {
      case 'committed':
        this.logger.info({ position: batch.position }, 'the batch whose answer was lost did commit');
        this.logPosition = batch.position;
        return;
      case 'absent':
        throw this.failed(new StoreFailure(`PostgreSQL ${this.where} is unavailable (${reason}); the batch did not commit`, false));
      case 'another writer':
        throw this.failed(this.anotherWriter());
      case 'unknown':
        this.doubt = batch.position;
        throw this.failed(
          new StoreFailure(`PostgreSQL ${this.where} is unavailable (${reason}) and whether the batch committed is not known yet; the next commit finds out first`, false, true),
        );
    }
  }

  /**
   * Before committing anything new: finds out whether the batch at
   * `position`, whose answer was lost and whose writes were undone, did
   * commit. If it did, memory lacks what the database holds.
   */
  private async settleDoubt(position: number): Promise<void> {
    const outcome = await askLog(this.session, this.writer, position, Date.now(), this.logger);
    switch (outcome) {
      case 'absent':
        this.logger.info({ position }, 'the batch whose answer was lost did not commit');
        this.doubt = null;
        return;
      case 'committed':
        throw this.failed(
          new StoreFailure(
            `a batch whose answer was lost did commit to ${this.where} after its writes were undone; writes are off until vmapd restarts and reloads the database`,
            true,
          ),
        );
      case 'another writer':
        throw this.failed(this.anotherWriter());
      case 'unknown':
        throw this.failed(new StoreFailure(`PostgreSQL ${this.where} is unavailable; whether an earlier batch committed is still not known`, false));
    }
  }

  /** Another node took the lease: this one is a standby from now on. */
  private deposed(err: Deposed): StoreFailure {
    if (this.role.kind === 'leader' && this.role.epoch === err.epoch) {
      this.role = { kind: 'standby' };
      this.logger.warn({ epoch: err.epoch, current: err.current }, 'a commit found the lease taken by another node: standing down');
      this.deposedListener?.(err);
    }
    return new StoreFailure(`this node is no longer the leader (${err.message}); the write was not applied`, false);
  }

  /**
   * Another writer holds the position of a batch whose answer was lost: so
   * that batch did not commit. A leader learns it lost the lease (whoever
   * wrote there held a newer epoch: a leader paused mid-commit, whose
   * transaction the server ended, meets this) and stands by; without
   * leadership, two writers share the database: writes stop.
   */
  private anotherWriter(): StoreFailure {
    if (this.role.kind === 'leader') return this.deposed(new Deposed(this.role.epoch, undefined));
    return this.takenByAnother();
  }

  private takenByAnother(): StoreFailure {
    return new StoreFailure(
      `another writer committed to ${this.where} since this vmapd loaded it (its log position is taken); writes are off until vmapd restarts and reloads the database`,
      true,
    );
  }

  /** Logs `failure`, remembers it when fatal, and returns it to be thrown. */
  private failed(failure: StoreFailure): StoreFailure {
    if (failure.fatal) {
      this.failure ??= failure;
      this.logger.error(`store commit failed: ${failure.message}`);
    } else {
      this.logger.warn(`store commit failed: ${failure.message}`);
    }
    return failure;
  }
}
