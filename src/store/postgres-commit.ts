/**
 * One group-commit batch as one PostgreSQL transaction: the batch appended to
 * the change log at the next position, its changes applied to the areas with
 * the SQLite store's checks, followers NOTIFYed, then COMMIT.
 *
 * Consecutive changes of one kind go in one statement (a batch of sixteen
 * allocs is one INSERT), which keeps the round trips per batch small; the
 * order of the runs is the order of the changes, and each run checks what the
 * SQLite store checks change by change (a free or a release must find its
 * busy row), so the outcome is the same.
 */
import type pg from 'pg';
import { OutOfStep } from './errors.js';
import { checkEpoch } from './postgres-lease.js';
import { CHANGES_CHANNEL, WRITE_LOCK } from './postgres-schema.js';
import type { Change } from './store.js';

/** One batch to commit. */
export interface Batch {
  /** Its log position: the last committed one plus one. */
  readonly position: number;
  /** Who commits it (the store instance). */
  readonly writer: string;
  readonly changes: readonly Change[];
  /** The lease epoch this node leads at, checked in the transaction (postgres-lease.ts); none for a store used without leadership. */
  readonly epoch?: number;
}

/** How far a commit got: once COMMIT is sent, a lost answer leaves its outcome unknown. */
export interface CommitProgress {
  commitSent: boolean;
}

type Op = Change['op'];

/** Splits `changes` into runs of one op, in order. */
function runs(changes: readonly Change[]): { op: Op; changes: Change[] }[] {
  const out: { op: Op; changes: Change[] }[] = [];
  for (const c of changes) {
    const last = out[out.length - 1];
    if (last !== undefined && last.op === c.op) last.changes.push(c);
    else out.push({ op: c.op, changes: [c] });
  }
  return out;
}

function starts(changes: readonly Change[]): number[] {
  return changes.flatMap((c) => (c.op === 'lazy' || c.op === 'delete' ? [c.start] : []));
}

/** Throws OutOfStep unless every start in `wanted` is among the `found` rows. */
function expectRows(wanted: readonly number[], found: readonly { start: string }[], what: string): void {
  if (found.length === wanted.length) return;
  const hit = new Set(found.map((r) => Number(r.start)));
  const missing = wanted.filter((s) => !hit.has(s));
  throw new OutOfStep(`no busy row at page ${missing.join(', ')} to ${what}`);
}

/** Applies one run of changes inside the open transaction. */
async function applyRun(client: pg.ClientBase, op: Op, changes: readonly Change[]): Promise<void> {
  switch (op) {
    case 'insert': {
      const areas = changes.flatMap((c) => (c.op === 'insert' ? [c.area] : []));
      await client.query({
        name: 'vmapd_insert',
        text:
          'INSERT INTO vmapd_areas (start, pages, guard, lazy, caller, owner, request_id) ' +
          'SELECT s, p, g, false, c, o, r FROM unnest($1::int8[], $2::int8[], $3::bool[], $4::text[], $5::text[], $6::text[]) AS t(s, p, g, c, o, r)',
        values: [
          areas.map((a) => a.start),
          areas.map((a) => a.pages),
          areas.map((a) => a.guard),
          areas.map((a) => a.caller),
          areas.map((a) => a.owner),
          areas.map((a) => (a.requestId === '' ? null : a.requestId)),
        ],
      });
      return;
    }
    case 'lazy': {
      const wanted = starts(changes);
      const found = await client.query<{ start: string }>({
        name: 'vmapd_lazy',
        text: 'UPDATE vmapd_areas SET lazy = true, request_id = NULL WHERE start = ANY($1::int8[]) AND NOT lazy RETURNING start',
        values: [wanted],
      });
      expectRows(wanted, found.rows, 'mark lazy');
      return;
    }
    case 'delete': {
      const wanted = starts(changes);
      const found = await client.query<{ start: string }>({
        name: 'vmapd_delete',
        text: 'DELETE FROM vmapd_areas WHERE start = ANY($1::int8[]) AND NOT lazy RETURNING start',
        values: [wanted],
      });
      expectRows(wanted, found.rows, 'delete');
      return;
    }
    case 'purge':
      // Two purges in a row purge what one does.
      await client.query({ name: 'vmapd_purge', text: 'DELETE FROM vmapd_areas WHERE lazy' });
      return;
  }
}

/**
 * Commits `batch` on `client`, all or nothing. On any failure the caller
 * drops the connection, which ends the transaction on the server; `progress`
 * says whether COMMIT had been sent (then the outcome is not known).
 */
export async function commitBatch(client: pg.ClientBase, batch: Batch, progress: CommitProgress): Promise<void> {
  // The write lock first: a second writer waits here, and whoever must learn
  // the outcome of a lost answer can wait for this transaction to end.
  await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
  // Fencing: a leader that lost the lease while it was paused or cut off
  // stops here, before it changes anything.
  if (batch.epoch !== undefined) await checkEpoch(client, batch.epoch);
  // The log row before the areas: a second writer at the same position fails
  // here (the primary key) before it changes anything.
  await client.query({
    name: 'vmapd_log',
    text:
      'WITH entry AS (INSERT INTO vmapd_change_log (position, writer, changes) VALUES ($1, $2, $3) RETURNING position) ' +
      `SELECT pg_notify('${CHANGES_CHANNEL}', position::text) FROM entry`,
    values: [batch.position, batch.writer, JSON.stringify(batch.changes)],
  });
  for (const run of runs(batch.changes)) await applyRun(client, run.op, run.changes);
  progress.commitSent = true;
  const done = await client.query('COMMIT');
  // COMMIT of a transaction that failed earlier answers ROLLBACK, not an error.
  if (done.command !== 'COMMIT') throw new Error(`COMMIT answered ${done.command}`);
}

/**
 * Whether the batch at `position` is in the log, and whose it is: asked after
 * a commit's answer was lost. Waits, under the write lock, for that commit's
 * transaction to end if the server is still running it.
 */
export async function loggedWriter(client: pg.ClientBase, position: number): Promise<string | undefined> {
  await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK})`);
  const rows = (await client.query<{ writer: string }>('SELECT writer FROM vmapd_change_log WHERE position = $1', [position])).rows;
  await client.query('COMMIT');
  return rows[0]?.writer;
}
