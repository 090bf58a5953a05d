/**
 * listAreas over a large listing: read as the loop asks (vmapd sees a loop
 * that stops reading as a stalled reader), and a `break` cancels the
 * stream (vmapd gets its listing slot back).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { VmapClient, VmapClientError } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const AREAS = 20_000;

describe('VmapClient listAreas', () => {
  let s: TestServer;
  let vmap: VmapClient;
  /** Resolves at vmapd's next "listing stalled" warning. */
  let stalled: Promise<void>;
  let onStalled: () => void = () => undefined;
  const watch = (): void => {
    stalled = new Promise((resolve) => (onStalled = resolve));
  };

  before(async () => {
    const logger = pino({ level: 'warn' }, { write: (line: string) => (line.includes('listing stalled') ? onStalled() : undefined) });
    s = await startTestServer({ maxListings: 1, stallTimeoutMs: 300 }, { logger });
    vmap = new VmapClient({ targets: s.grpcTarget, retry: { attempts: 50, baseDelayMs: 5, maxDelayMs: 20 } });
    for (let i = 0; i < AREAS; i += 10_000) await vmap.allocBatch(Array.from({ length: 10_000 }, () => ({ size: '4k', noGuard: true })));
  });
  after(async () => {
    vmap.close();
    await s.stop();
  });

  it('iterates every area in order', async () => {
    let n = 0;
    let last = -1n;
    for await (const a of vmap.listAreas()) {
      assert.ok(a.addr > last);
      last = a.addr;
      n++;
    }
    assert.equal(n, AREAS);
  });

  it('reads lazily: a loop that stops reading is a stalled reader to vmapd', async () => {
    watch();
    const listing = vmap.listAreas();
    assert.equal((await listing.next()).done, false);
    // Nothing more is read until vmapd gives up on this reader: it was not all sent at once.
    await stalled;
    let n = 1;
    await assert.rejects(
      (async () => {
        for await (const _ of listing) n++;
      })(),
      (e: unknown) => e instanceof VmapClientError && e.code === 'DEADLINE_EXCEEDED',
    );
    assert.ok(n < AREAS, `${n} areas arrived before the end`);
  });

  it('a break out of the loop cancels the stream: the only listing slot is free again', async () => {
    let n = 0;
    for await (const _ of vmap.listAreas()) if (++n === 10) break;
    // The next listing gets the slot (busy is retried while vmapd learns of the cancel), and all of it.
    let all = 0;
    for await (const _ of vmap.listAreas()) all++;
    assert.equal(all, AREAS);
    const once = new VmapClient({ targets: s.grpcTarget, retry: false });
    try {
      let m = 0;
      for await (const _ of once.listAreas({ limit: 5 })) m++;
      assert.equal(m, 5, 'and no slot is left held');
    } finally {
      once.close();
    }
  });
});
