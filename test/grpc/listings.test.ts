/**
 * ListAreas holds a listing slot (--max-listings) from start to end, however
 * it ends, and loses its listing when the reader stalls (--stall-timeout-ms).
 * The edge runs on its own here, so the test can watch the slots it shares.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { Authenticator } from '../../src/auth/tokens.js';
import { startGrpc, stopGrpc, type GrpcEdge } from '../../src/grpc/server.js';
import { ListingSlots } from '../../src/service/listings.js';
import { VmapService } from '../../src/service/vmap-service.js';
import { DEFAULT_SPACE_BASE, DEFAULT_SPACE_SIZE, SpaceGeometry } from '../../src/vmap/geometry.js';
import { call, collect, grpcClient, type TestServer } from '../helpers/server.js';

const AREAS = 20_000;
const STALL_MS = 1000;
type Area = { addr: string };

/** Listing slots that say when one is given back. */
class ObservedSlots extends ListingSlots {
  private released = 0;
  private readonly waiters: { total: number; resolve(): void }[] = [];

  override acquire(): () => void {
    const release = super.acquire();
    let held = true;
    return () => {
      release();
      if (!held) return;
      held = false;
      this.released++;
      for (const w of this.waiters.filter((x) => x.total <= this.released)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    };
  }

  /** Resolves once `n` more slots than now have been given back. */
  releases(n: number): Promise<void> {
    const total = this.released + n;
    return total <= this.released ? Promise.resolve() : new Promise((resolve) => this.waiters.push({ total, resolve }));
  }
}

/**
 * Reads `stream` to its end: every area it gave (the status may come before
 * the last buffered ones are read, so wait for both) and its error, if any.
 */
function readAll(stream: grpc.ClientReadableStream<Area>): Promise<{ areas: Area[]; error: grpc.ServiceError | undefined }> {
  return new Promise((resolve) => {
    const areas: Area[] = [];
    let error: grpc.ServiceError | undefined;
    let status = false;
    let ended = false;
    const done = (): void => {
      if (status && ended) resolve({ areas, error });
    };
    stream.on('data', (a: Area) => areas.push(a));
    stream.on('error', (e: grpc.ServiceError) => (error = e));
    stream.on('status', () => ((status = true), done()));
    stream.on('end', () => ((ended = true), done()));
  });
}

describe('ListAreas listing slots and stalls', () => {
  const logger = pino({ level: 'silent' });
  const slots = new ObservedSlots(2);
  let service: VmapService;
  let edge: GrpcEdge;
  let client: TestServer['client'];
  let all: Area[];

  before(async () => {
    service = new VmapService({ geometry: new SpaceGeometry(DEFAULT_SPACE_BASE, DEFAULT_SPACE_SIZE), logger });
    edge = await startGrpc(service, { host: '127.0.0.1', port: 0, logger, auth: new Authenticator(null), protectReads: false, listings: slots, stallTimeoutMs: STALL_MS });
    client = grpcClient(edge.port);
    for (let i = 0; i < AREAS / 10_000; i++) await call(client, 'AllocBatch', { requests: Array.from({ length: 10_000 }, () => ({ size: '4096' })) });
  });
  after(async () => {
    client.close();
    await stopGrpc(edge, 1000);
    await service.close();
  });

  it('a listing that completes gives its slot back', { timeout: 30_000 }, async () => {
    const released = slots.releases(1);
    all = await collect<Area>(client, 'ListAreas', {});
    assert.equal(all.length, AREAS);
    await released;
    assert.equal(slots.running, 0);
  });

  it('a listing the client cancels gives its slot back', { timeout: 30_000 }, async () => {
    const released = slots.releases(1);
    const stream = client.ListAreas!({}) as grpc.ClientReadableStream<Area>;
    const failed = new Promise<grpc.ServiceError>((resolve) => stream.on('error', resolve));
    await once(stream, 'readable');
    stream.cancel();
    assert.equal((await failed).code, grpc.status.CANCELLED);
    await released;
    assert.equal(slots.running, 0);
  });

  it('refuses a listing beyond --max-listings, and ends stalled ones with DEADLINE_EXCEEDED naming where to resume', { timeout: 60_000 }, async () => {
    const released = slots.releases(2);
    const stalled = [0, 1].map(() => client.ListAreas!({}) as grpc.ClientReadableStream<Area>);
    // A 'readable' listener keeps each stream paused: the client takes what arrived and reads no more.
    await Promise.all(stalled.map((s) => once(s, 'readable')));
    assert.equal(slots.running, 2);
    await assert.rejects(collect(client, 'ListAreas', {}), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED, `${grpc.status[e.code]}: ${e.details}`);
      assert.match(e.details, /--max-listings 2/);
      return true;
    });
    // The server gives up on both readers: their slots come back while they still read nothing.
    await released;
    assert.equal(slots.running, 0);
    const fresh = await collect<Area>(client, 'ListAreas', {});
    assert.deepEqual(fresh, all, 'a new listing returns every area');

    for (const result of await Promise.all(stalled.map(readAll))) {
      const e = result.error;
      assert.ok(e, 'the stalled stream ended with an error');
      assert.equal(e.code, grpc.status.DEADLINE_EXCEEDED, `${grpc.status[e.code]}: ${e.details}`);
      assert.match(e.details, new RegExp(`took nothing for ${STALL_MS} ms \\(--stall-timeout-ms\\)`));
      const named = /last area sent starts at (0x[0-9a-f]+)/.exec(e.details);
      assert.ok(named, e.details);
      assert.ok(result.areas.length > 0 && result.areas.length < AREAS, `${result.areas.length} areas before the stall`);
      const last = result.areas.at(-1)!;
      assert.equal(BigInt(named[1]!), BigInt(last.addr), 'the message names the last area the client got');
      // Resuming above it completes the listing exactly.
      const rest = await collect<Area>(client, 'ListAreas', { from_addr: (BigInt(last.addr) + 1n).toString() });
      assert.deepEqual([...result.areas, ...rest], all);
    }
    assert.equal(slots.running, 0);
  });
});
