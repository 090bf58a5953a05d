/**
 * Reading the durable state back from PostgreSQL at start: every area,
 * ascending, and the change log's position, from one snapshot of the
 * database, so the areas are exactly the state after that position.
 */
import { stringInterner } from './interner.js';
import type pg from 'pg';
import type { VmapArea } from '../vmap/vmap-area.js';
import { StoreOpenError } from './store-open-error.js';

/** Rows fetched per round trip: bounds the memory a large space needs while it loads. */
const PAGE_ROWS = 10_000;

/** What the database holds. */
export interface PostgresState {
  readonly areas: VmapArea[];
  /** The last committed batch's log position (0 for none). */
  readonly position: number;
}

type Row = [start: string, pages: string, guard: boolean, lazy: boolean, caller: string, owner: string, requestId: string | null];

/** A non-negative int8 that a double holds exactly, or a StoreOpenError naming `what`. */
function safeNumber(text: string, what: string, where: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new StoreOpenError(`${where}: ${what} ${text} is out of range`);
  return n;
}

/** Reads the state on `client` (schema already migrated) in one REPEATABLE READ snapshot; `where` names the database in messages. */
export async function readState(client: pg.ClientBase, where: string): Promise<PostgresState> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const logged = (await client.query<[string]>({ text: 'SELECT coalesce(max(position), 0)::text FROM vmapd_change_log', rowMode: 'array' })).rows[0]![0];
    const position = safeNumber(logged, 'log position', where);
    // Callers and owners repeat across many areas: keep one copy of each string.
    const intern = stringInterner();
    const areas: VmapArea[] = [];
    let after = '-1';
    for (;;) {
      // Keyset pages by the primary key: each one an index range scan, however
      // large the space. (Qualified: a bare `start` in ORDER BY would name the
      // text output column, and sort 10 before 9.)
      const page = await client.query<Row>({
        name: 'vmapd_recover_page',
        text: 'SELECT a.start::text, a.pages::text, a.guard, a.lazy, a.caller, a.owner, a.request_id FROM vmapd_areas a WHERE a.start > $1 ORDER BY a.start LIMIT $2',
        values: [after, PAGE_ROWS],
        rowMode: 'array',
      });
      for (const [start, pages, guard, lazy, caller, owner, requestId] of page.rows) {
        areas.push({
          start: safeNumber(start, 'area start', where),
          pages: safeNumber(pages, `the page count of the area at page ${start}`, where),
          guard,
          caller: intern(caller),
          owner: intern(owner),
          lazy,
          requestId: lazy || requestId === null ? '' : requestId,
        });
      }
      if (page.rows.length < PAGE_ROWS) break;
      after = page.rows[page.rows.length - 1]![0];
    }
    await client.query('COMMIT');
    return { areas, position };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
