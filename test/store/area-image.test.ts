/**
 * The SQLite store's area image (vmapd.image): written at a clean stop and
 * by a start that read changed rows, read by the next start together with
 * the rows changed since it, and never read when it is not the one the
 * database names. vmapd runs as a child process, stopped by signals to its
 * pid: SIGTERM (a clean stop, which writes the image) and SIGKILL (a crash).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { buildRecoveryData } from '../../loadtest/bench/recovery-data.js';
import { decodeAreaImage, encodeAreaImage, IMAGE_TOKEN_BYTES } from '../../src/store/area-image.js';
import { decodeAreaList, EncodedAreas, encodeAreaList } from '../../src/store/area-list-codec.js';
import { ChangeCodecError } from '../../src/store/change-codec.js';
import { DB_FILE, IMAGE_FILE, IMAGE_KEY, SCHEMA_VERSION } from '../../src/store/sqlite-schema.js';
import { makeArea, type VmapArea } from '../../src/vmap/vmap-area.js';
import { call, grpcClient, spawnVmapd, stopChild, waitForLog, type ChildServer } from '../helpers/server.js';

const AREAS = 20_000;

/** `bytes` copied into shared memory, as the store reads an image file. */
function shared(bytes: Uint8Array): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(bytes.length);
  new Uint8Array(sab).set(bytes);
  return sab;
}

const sample: VmapArea[] = [
  makeArea(0, 3, true, 'a', 'alice', false, 'r-1'),
  makeArea(5, 1, false, 'b', 'bob', true, ''),
  makeArea(2 ** 40, 2 ** 20, true, 'a', 'bob', false, ''),
  makeArea(2 ** 52 - 10, 9, true, 'ünï', 'alice', false, 'r-2'),
];
const listOf = (areas: readonly VmapArea[]) => encodeAreaList({ each: (visit) => areas.forEach((va) => visit(va)) }, areas.length);
const token = new Uint8Array(IMAGE_TOKEN_BYTES).fill(7);

describe('area image codec', () => {
  it('gives back the areas and the token it was written with', () => {
    const image = decodeAreaImage(shared(encodeAreaImage(listOf(sample), token)));
    assert.deepEqual(image.token, token);
    assert.deepEqual(decodeAreaList(image.list), sample);
    assert.deepEqual(decodeAreaList(decodeAreaImage(shared(encodeAreaImage(listOf([]), token))).list), []);
  });

  it('refuses what is not a whole image of its format', () => {
    const bytes = encodeAreaImage(listOf(sample), token);
    assert.throws(() => decodeAreaImage(shared(bytes.subarray(0, bytes.length - 1))), (err: unknown) => err instanceof ChangeCodecError && /bytes, not the/.test(err.message));
    const badMagic = Buffer.from(bytes);
    badMagic[0] = 0x58;
    assert.throws(() => decodeAreaImage(shared(badMagic)), /not an area image/);
    // Area 0's caller index (after the header and the two f64 columns) pointing past the text table.
    const badText = Buffer.from(bytes);
    badText.writeUInt32LE(99, 48 + 16 * sample.length);
    assert.throws(() => decodeAreaImage(shared(badText)), /names a text the table lacks/);
    assert.throws(() => encodeAreaImage(listOf(sample), new Uint8Array(3)), RangeError);
  });

  it('refuses request ids that do not end where the keyed areas say', () => {
    const list = listOf(sample);
    assert.equal(list.requestIds, 'r-1r-2');
    assert.deepEqual([...list.idEnds], [3, 6]);
    const ends = (idEnds: number[]) => new EncodedAreas({ ...list, idEnds: Uint32Array.from(idEnds) });
    assert.throws(() => ends([4, 3]), /end out of order/);
    assert.throws(() => ends([3, 5]), /do not end where their text does/);
    assert.throws(() => ends([3]), /do not match the keyed areas/);
    assert.throws(() => decodeAreaList({ ...list, keyed: Uint32Array.from([3, 0]) }), /keyed areas out of order or out of range/);
  });
});

/** The "store recovered" line's `from`. */
const recoveredFrom = (server: ChildServer): unknown => server.logs.find((l) => l.msg === 'store recovered')?.from;

/** The meta row naming the image, or undefined. */
function imageName(dir: string): string | undefined {
  const db = new Database(join(dir, DB_FILE), { readonly: true });
  try {
    return (db.prepare('SELECT value FROM meta WHERE key = ?').pluck(true).get(IMAGE_KEY) as string | undefined) ?? undefined;
  } finally {
    db.close();
  }
}

describe(`area image of a store of ${AREAS.toLocaleString('en-US')} areas, across clean stops and crashes`, () => {
  let dir: string;
  let listing: string;
  const args = (): string[] => ['--data-dir', dir];
  const vmallocinfo = async (server: ChildServer): Promise<string> => {
    const res = await fetch(`http://127.0.0.1:${server.httpPort}/vmallocinfo`);
    assert.equal(res.status, 200);
    return res.text();
  };
  /** Starts vmapd on the directory, checks where it read the areas from and that it lists `want`, and gives it to `fn`. */
  async function run(from: 'image' | 'rows', want: string | undefined, stop: 'SIGTERM' | 'SIGKILL', fn?: (server: ChildServer) => Promise<void>): Promise<ChildServer> {
    const server = await spawnVmapd(args());
    try {
      assert.equal(recoveredFrom(server), from, `read from the ${from}`);
      if (want !== undefined) assert.equal(await vmallocinfo(server), want);
      await fn?.(server);
    } finally {
      if (stop === 'SIGKILL') {
        server.child.kill('SIGKILL');
        await server.exited;
      } else assert.equal(await stopChild(server), 0);
    }
    return server;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmapd-image-test-'));
    await buildRecoveryData(dir, AREAS, 3);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is written at a clean stop, named by the database, and read by the next start', async () => {
    assert.equal(existsSync(join(dir, IMAGE_FILE)), false);
    let keyed = '';
    const first = await run('rows', undefined, 'SIGTERM', async (server) => {
      const client = grpcClient(server.grpcPort);
      try {
        keyed = (await call<{ addr: string }>(client, 'Alloc', { size: '12288', caller: 'keyed', request_id: 'idem-1' })).addr;
      } finally {
        client.close();
      }
      listing = await vmallocinfo(server);
    });
    assert.ok(first.logs.some((l) => l.msg === 'area image written' && l.areas === AREAS + 1), 'the stop says it wrote the image');
    assert.ok(existsSync(join(dir, IMAGE_FILE)));
    assert.match(imageName(dir) ?? '', /^[0-9a-f]{32}$/);
    // Read from the image: the same listing, and a request id still names its area.
    await run('image', listing, 'SIGTERM', async (server) => {
      const client = grpcClient(server.grpcPort);
      try {
        const before = await call<{ nr_areas: string }>(client, 'MemInfo', {});
        const again = await call<{ addr: string }>(client, 'Alloc', { size: '12288', caller: 'keyed', request_id: 'idem-1' });
        assert.equal(again.addr, keyed, 'the retried alloc got its area back');
        assert.equal((await call<{ nr_areas: string }>(client, 'MemInfo', {})).nr_areas, before.nr_areas, 'nothing new was reserved');
      } finally {
        client.close();
      }
    });
    // Nothing was committed: the image is still the one named, and the stop did not write it again.
    assert.match(imageName(dir) ?? '', /^[0-9a-f]{32}$/);
  });

  it('stays named across commits: a crash recovers from it and the rows changed since, losing nothing acknowledged, and that start writes a new image', async () => {
    const token = imageName(dir);
    let addr = '';
    await run('image', undefined, 'SIGKILL', async (server) => {
      const client = grpcClient(server.grpcPort);
      try {
        addr = (await call<{ addr: string }>(client, 'Alloc', { size: '8192', caller: 'after-image', request_id: 'after-image-1' })).addr;
        const freed = (await call<{ addr: string }>(client, 'Alloc', { size: '4096', caller: 'freed-after-image' })).addr;
        await call(client, 'Free', { addr: freed });
        // Every lazy area removed: their starts are what the image must lose.
        await call(client, 'Purge', {});
      } finally {
        client.close();
      }
      // Acknowledged means committed; the image is still the one named, and still there.
      assert.equal(imageName(dir), token);
      assert.ok(existsSync(join(dir, IMAGE_FILE)));
      listing = await vmallocinfo(server);
      assert.ok(!listing.includes('unpurged vm_area'));
    });
    const third = await run('image', listing, 'SIGKILL', async (server) => {
      const changed = Number(server.logs.find((l) => l.msg === 'store recovered')?.changed);
      assert.ok(changed > 2, `rows changed and removed since the image: ${changed}`);
      assert.ok(listing.includes(`0x${BigInt(addr).toString(16)}-`), 'the alloc acknowledged before the crash is there');
      // The start writes the image brought up to date, and names it: once it listens (its encoding is not the start's to wait for).
      const written = await waitForLog(server, (l) => l.msg === 'area image written');
      assert.equal(written.areas, listing.trimEnd().split('\n').length);
      assert.equal(written.at, 'start');
      const order = (msg: string): number => server.logs.findIndex((l) => l.msg === msg);
      assert.ok(order('vmapd listening') >= 0 && order('vmapd listening') < order('area image written'), 'the start image is written after vmapd listens');
      assert.notEqual(imageName(dir), token);
    });
    assert.equal(third.logs.filter((l) => l.msg === 'area image written').length, 1);
    // Read from the new image with nothing changed since: the same listing.
    const fourth = await run('image', listing, 'SIGTERM');
    assert.equal(fourth.logs.find((l) => l.msg === 'store recovered')?.changed, 0);
    assert.equal(fourth.logs.filter((l) => l.msg === 'area image written').length, 0, 'nothing changed: neither the start nor the stop writes an image');
  });

  it('is written in the background once --image-after-changes rows changed, so a crash after it reads only the rows changed since', async () => {
    const token = imageName(dir);
    const server = await spawnVmapd([...args(), '--image-after-changes', '10']);
    try {
      const client = grpcClient(server.grpcPort);
      try {
        await call(client, 'AllocBatch', { requests: Array.from({ length: 10 }, (_, i) => ({ size: '4096', caller: 'background', request_id: `background-${i}` })) });
        const written = await waitForLog(server, (l) => l.msg === 'area image written');
        assert.equal(written.at, 'changes');
        assert.notEqual(imageName(dir), token);
        // After the cut: a row of the next epoch.
        await call(client, 'Alloc', { size: '4096', caller: 'after-background' });
      } finally {
        client.close();
      }
      listing = await vmallocinfo(server);
      assert.equal(Number((await waitForLog(server, (l) => l.msg === 'area image written')).areas), listing.trimEnd().split('\n').length - 1, 'the image holds every area but the one allocated after it');
    } finally {
      server.child.kill('SIGKILL');
      await server.exited;
    }
    const after = await run('image', listing, 'SIGTERM');
    assert.equal(after.logs.find((l) => l.msg === 'store recovered')?.changed, 1, 'only the alloc after the image is read from the rows');
  });

  it('is still the table after a clean stop that comes while a background image is being written', async () => {
    const server = await spawnVmapd([...args(), '--image-after-changes', '1']);
    const client = grpcClient(server.grpcPort);
    try {
      // The first commit starts a background image; the stop comes at once, while it runs or just after.
      await call(client, 'Alloc', { size: '4096', caller: 'stopped-while-imaging' });
      listing = await vmallocinfo(server);
    } finally {
      client.close();
      assert.equal(await stopChild(server), 0);
    }
    // Whichever came first: the background image named before the stop (then the stop has nothing to write), or the stop's own.
    assert.ok(server.logs.some((l) => l.msg === 'area image written' && (l.at === 'stop' || l.at === 'changes')), JSON.stringify(server.logs.slice(-4)));
    assert.ok(!existsSync(join(dir, `${IMAGE_FILE}.tmp`)), 'no temporary image is left behind');
    const after = await run('image', listing, 'SIGTERM');
    assert.equal(after.logs.find((l) => l.msg === 'store recovered')?.changed, 0);
  });

  it('is not read when it is not the image the database names, or not whole: the rows are, with a warning', async () => {
    const stale = join(dir, 'stale.image');
    copyFileSync(join(dir, IMAGE_FILE), stale);
    // A write and a clean stop: a new image under a new name.
    await run('image', listing, 'SIGTERM', async (server) => {
      const client = grpcClient(server.grpcPort);
      try {
        await call(client, 'Alloc', { size: '4096', caller: 'newer', request_id: 'newer-1' });
        listing = await vmallocinfo(server);
      } finally {
        client.close();
      }
    });
    // The older image put back (same size, older token): refused.
    copyFileSync(stale, join(dir, IMAGE_FILE));
    let server = await run('rows', listing, 'SIGTERM');
    assert.ok(server.logs.some((l) => l.level === 40 && /area image is not used \(it is not the image the database names\)/.test(String(l.msg))), JSON.stringify(server.logs.slice(0, 4)));
    // Cut short: refused; missing: refused.
    truncateSync(join(dir, IMAGE_FILE), 1000);
    server = await run('rows', listing, 'SIGTERM');
    assert.ok(server.logs.some((l) => /area image is not used/.test(String(l.msg))));
    rmSync(join(dir, IMAGE_FILE));
    await run('rows', listing, 'SIGTERM');
    await run('image', listing, 'SIGTERM');
  });

  it('is refused when the table no longer has the rows it was written for', async () => {
    const db = new Database(join(dir, DB_FILE));
    db.prepare("DELETE FROM areas WHERE caller = 'newer'").run();
    db.close();
    const server = await run('rows', undefined, 'SIGTERM', async (s) => {
      listing = await vmallocinfo(s);
      assert.ok(!listing.includes('newer'));
    });
    assert.ok(server.logs.some((l) => /area image is not used \(it holds \d+ areas, the table \d+\)/.test(String(l.msg))));
  });

  it('after a clean stop is read with no row: a start looks for changed rows only once a commit has written in a later epoch', async () => {
    const meta = (db: Database.Database, key: string): number => Number(db.prepare('SELECT value FROM meta WHERE key = ?').pluck(true).get(key));
    const db = new Database(join(dir, DB_FILE));
    const epoch = meta(db, 'epoch');
    assert.ok(meta(db, 'written_epoch') <= meta(db, 'image_epoch'), 'a clean stop leaves no commit after the image');
    // A row changed behind vmapd's back in a later epoch, with no commit recorded: the start trusts the record and reads no row.
    db.prepare("UPDATE areas SET caller = 'behind-its-back', gen = ? WHERE start = (SELECT min(start) FROM areas WHERE lazy = 0)").run(epoch);
    db.close();
    const unread = await run('image', listing, 'SIGTERM');
    assert.equal(unread.logs.find((l) => l.msg === 'store recovered')?.changed, 0);
    // Recorded as written in that epoch, as its first commit would: the start reads the changed row.
    const db2 = new Database(join(dir, DB_FILE));
    db2.prepare("UPDATE meta SET value = ? WHERE key = 'written_epoch'").run(String(epoch));
    db2.close();
    const read = await run('image', undefined, 'SIGTERM', async (server) => {
      listing = await vmallocinfo(server);
      assert.match(listing, /behind-its-back/);
    });
    assert.equal(read.logs.find((l) => l.msg === 'store recovered')?.changed, 1);
  });

  it('comes with schema 4: a schema 3 database is marked 4 as it is, a schema 2 one is read from its image, a schema 1 one from its rows; an unknown schema is refused', async () => {
    // Schema 3: no record of the last epoch written in; its start reads the changed rows, and it is marked 4.
    const db3 = new Database(join(dir, DB_FILE));
    db3.exec("DELETE FROM meta WHERE key = 'written_epoch'; UPDATE meta SET value = '3' WHERE key = 'schema'");
    db3.close();
    await run('image', listing, 'SIGTERM');
    const check3 = new Database(join(dir, DB_FILE), { readonly: true });
    const meta3 = (key: string): unknown => check3.prepare('SELECT value FROM meta WHERE key = ?').pluck(true).get(key);
    assert.equal(meta3('schema'), SCHEMA_VERSION);
    // The start looked and found no row newer than the image: it says so, and the next start reads none.
    assert.equal(meta3('written_epoch'), meta3('image_epoch'));
    check3.close();
    // The table as a vmapd of schema 2 leaves it at a clean stop: no epochs, no removed starts, the image named.
    const db = new Database(join(dir, DB_FILE));
    db.exec("ALTER TABLE areas DROP COLUMN gen; DROP TABLE removed; DELETE FROM meta WHERE key IN ('epoch', 'image_epoch'); UPDATE meta SET value = '2' WHERE key = 'schema'");
    db.close();
    const schema = (): unknown => {
      const check = new Database(join(dir, DB_FILE), { readonly: true });
      try {
        return check.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck(true).get();
      } finally {
        check.close();
      }
    };
    const upgraded = await run('image', listing, 'SIGTERM');
    assert.equal(upgraded.logs.find((l) => l.msg === 'store recovered')?.changed, 0);
    assert.equal(schema(), SCHEMA_VERSION);
    const db1 = new Database(join(dir, DB_FILE));
    db1.prepare("UPDATE meta SET value = '1' WHERE key = 'schema'").run();
    db1.prepare('DELETE FROM meta WHERE key = ?').run(IMAGE_KEY);
    db1.close();
    await run('rows', listing, 'SIGTERM');
    assert.equal(schema(), SCHEMA_VERSION);
    const db4 = new Database(join(dir, DB_FILE));
    db4.prepare("UPDATE meta SET value = '5' WHERE key = 'schema'").run();
    db4.close();
    await assert.rejects(spawnVmapd(args()), /database schema 5 is not the 4 this vmapd reads/);
  });
});
