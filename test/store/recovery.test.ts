/**
 * A restart on a big SQLite store: every stored area comes back exactly
 * (busy and lazy, caller, owner, guard, request id), the request ids still
 * name their areas (a retried alloc gets its area back, nothing new is
 * reserved), and the HTTP reader threads, which listen before their replica
 * is filled, list exactly what the writer holds.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { buildRecoveryData } from '../../loadtest/bench/recovery-data.js';
import { ANONYMOUS } from '../../src/auth/tokens.js';
import { areaView } from '../../src/service/area-view.js';
import { vmallocinfoChunks } from '../../src/http/vmallocinfo.js';
import { DB_FILE } from '../../src/store/sqlite-schema.js';
import { PAGE_SIZE } from '../../src/vmap/page.js';
import { makeArea, type VmapArea } from '../../src/vmap/vmap-area.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const AREAS = 120_000;

type Row = [number, number, number, number, string, string, string | null];

/** The areas table as stored, made into areas the way a recovery must make them. */
function storedAreas(dir: string): VmapArea[] {
  const db = new Database(join(dir, DB_FILE), { readonly: true });
  try {
    const rows = db.prepare('SELECT start, pages, guard, lazy, caller, owner, request_id FROM areas ORDER BY start').raw(true).all() as Row[];
    return rows.map(([start, pages, guard, lazy, caller, owner, requestId]) => makeArea(start, pages, guard === 1, caller, owner, lazy === 1, lazy === 1 ? '' : (requestId ?? '')));
  } finally {
    db.close();
  }
}

describe(`restart on a SQLite store of ${AREAS.toLocaleString('en-US')} areas`, () => {
  let dir: string;
  let expected: VmapArea[];
  let lazy: number;
  let server: TestServer;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmapd-recovery-test-'));
    lazy = (await buildRecoveryData(dir, AREAS, 7)).lazy;
    expected = storedAreas(dir);
    server = await startTestServer({ store: 'sqlite', dataDir: dir });
  });

  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds every stored area, exactly, busy and lazy', () => {
    assert.equal(expected.length, AREAS);
    assert.ok(lazy > 0 && expected.some((va) => va.requestId !== ''), 'the store holds lazy and keyed areas');
    const s = server.vmapd.service.snapshot();
    const held: VmapArea[] = [];
    s.areas.each((va) => void held.push({ ...va }));
    assert.deepEqual(held, expected);
    assert.equal(s.meminfo.nrAreas + s.meminfo.nrLazyAreas, AREAS);
    assert.equal(s.meminfo.nrLazyAreas, lazy);
  });

  it('answers a retried alloc with the recovered area its request id names, reserving nothing', async () => {
    const svc = server.vmapd.service;
    const before = svc.snapshot().meminfo;
    const keyed = expected.filter((va) => !va.lazy && va.requestId !== '');
    // The first, the last and some between: the index must be whole, not just begun.
    const picks = [keyed[0]!, keyed[Math.floor(keyed.length / 2)]!, keyed.at(-1)!];
    for (const va of picks) {
      const usable = va.pages - (va.guard ? 1 : 0);
      const got = await svc.alloc({ size: BigInt(usable * PAGE_SIZE), align: 0n, vstart: 0n, vend: 0n, noGuard: !va.guard, caller: va.caller, owner: va.owner, requestId: va.requestId });
      assert.equal(got.addr, areaView(svc.geometry, va).addr);
    }
    const now = svc.snapshot().meminfo;
    assert.equal(now.nrAreas, before.nrAreas);
    assert.equal(now.used, before.used);
  });

  it('has its HTTP reader threads list exactly what the writer holds', async () => {
    const svc = server.vmapd.service;
    const s = svc.snapshot();
    const want = [...vmallocinfoChunks(svc.areas(s, 0n, true, ANONYMOUS), Infinity)].join('');
    const res = await fetch(`${server.httpUrl}/vmallocinfo`);
    assert.equal(res.status, 200);
    const got = await res.text();
    assert.equal(got.split('\n').length, want.split('\n').length);
    assert.equal(got, want);
    const meminfo = (await (await fetch(`${server.httpUrl}/meminfo?format=json`)).json()) as { nr_areas: number; nr_lazy_areas: number };
    assert.equal(meminfo.nr_areas + meminfo.nr_lazy_areas, AREAS);
  });
});
