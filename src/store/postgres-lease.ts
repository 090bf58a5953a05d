/**
 * Leadership of a group of vmapd nodes on one database: a lease in the
 * `vmapd_lease` row (holder, epoch, expiry, advertise address), taken and
 * renewed in transactions, and checked by every commit (postgres-commit.ts).
 *
 * Why a lease row and not a session advisory lock: an advisory lock lives as
 * long as its session, and PostgreSQL keeps the session of a leader that is
 * paused (SIGSTOP, a long GC, a VM migration) or cut off by the network until
 * TCP gives up, minutes later; the lock would never pass to a standby. A
 * lease expires by the database's clock whatever its holder does, so every
 * node's clock and health are out of the question; and its epoch, which
 * grows by one with each takeover, is the fencing token: a commit locks the
 * row (FOR SHARE) and proceeds only while the epoch is the one its node
 * took, so a takeover (an UPDATE of the row) and a commit are ordered by the
 * row lock, and a leader that comes back after losing the lease can commit
 * nothing.
 */
import type pg from 'pg';

/** The lease as a node reads it. */
export interface LeaseState {
  readonly holder: string;
  readonly epoch: number;
  readonly advertise: string;
  /** Until it expires by the database's clock (ms; 0 or less: expired). */
  readonly msLeft: number;
}

/** A commit or renewal found the lease taken by someone else: this node is no longer the leader. */
export class Deposed extends Error {
  constructor(
    /** The epoch this node held. */
    readonly epoch: number,
    /** The epoch in the row now, when read. */
    readonly current: number | undefined,
  ) {
    super(`leadership lost: this node held epoch ${epoch}, ${current === undefined ? 'and another node committed since' : `the lease is now at epoch ${current}`}`);
    this.name = 'Deposed';
  }
}

type LeaseRow = { holder: string; epoch: string; advertise: string; ms_left: number };

const SELECT_LEASE = "SELECT holder, epoch::text, advertise, extract(epoch FROM expires_at - clock_timestamp()) * 1000 AS ms_left FROM vmapd_lease WHERE id = 1";

function stateOf(row: LeaseRow): LeaseState {
  return { holder: row.holder, epoch: Number(row.epoch), advertise: row.advertise, msLeft: Number(row.ms_left) };
}

/** The lease as it stands. */
export async function readLease(client: pg.ClientBase): Promise<LeaseState> {
  const row = (await client.query<LeaseRow>(SELECT_LEASE)).rows[0];
  if (row === undefined) throw new Error('vmapd_lease has no row');
  return stateOf(row);
}

/**
 * Takes the lease for `holder` if it has expired: the epoch goes up by one.
 * Resolves with the new epoch, or undefined when it is held (another
 * standby took it first, or its holder renewed it meanwhile).
 */
export async function takeLease(client: pg.ClientBase, holder: string, advertise: string, leaseMs: number): Promise<number | undefined> {
  const row = (
    await client.query<{ epoch: string }>(
      'UPDATE vmapd_lease SET holder = $1, advertise = $2, epoch = epoch + 1, ' +
        "expires_at = clock_timestamp() + $3 * interval '1 millisecond' " +
        'WHERE id = 1 AND expires_at <= clock_timestamp() RETURNING epoch::text',
      [holder, advertise, leaseMs],
    )
  ).rows[0];
  return row === undefined ? undefined : Number(row.epoch);
}

/**
 * Extends the lease of `holder` at `epoch` by `leaseMs` from now. An
 * expired lease that nobody took yet is still this node's: the epoch says
 * nobody committed in between.
 *
 * @throws Deposed when another node took the lease
 */
export async function renewLease(client: pg.ClientBase, holder: string, epoch: number, leaseMs: number): Promise<void> {
  const renewed = await client.query(
    "UPDATE vmapd_lease SET expires_at = clock_timestamp() + $3 * interval '1 millisecond' WHERE id = 1 AND holder = $1 AND epoch = $2",
    [holder, epoch, leaseMs],
  );
  if (renewed.rowCount === 1) return;
  throw new Deposed(epoch, (await readLease(client)).epoch);
}

/**
 * Gives the lease up (a clean shutdown), so that a standby need not wait for
 * it to expire. Nothing happens if another node holds it already.
 */
export async function releaseLease(client: pg.ClientBase, holder: string, epoch: number): Promise<void> {
  await client.query("UPDATE vmapd_lease SET expires_at = 'epoch' WHERE id = 1 AND holder = $1 AND epoch = $2", [holder, epoch]);
}

/**
 * Inside a commit's transaction: locks the lease row against a takeover
 * until the transaction ends, and checks that it is still at `epoch`.
 *
 * @throws Deposed when it is not
 */
export async function checkEpoch(client: pg.ClientBase, epoch: number): Promise<void> {
  const row = (await client.query<{ epoch: string }>({ name: 'vmapd_fence', text: 'SELECT epoch::text FROM vmapd_lease WHERE id = 1 FOR SHARE' })).rows[0];
  const current = row === undefined ? -1 : Number(row.epoch);
  if (current !== epoch) throw new Deposed(epoch, current);
}
