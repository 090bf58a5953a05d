import assert from 'node:assert/strict';
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EventSourceParserStream, type EventSourceMessage } from 'eventsource-parser/stream';
import { call, startTestServer, type TestServer } from '../helpers/server.js';
import { expectError } from './http-client.js';

/*
 * GET /v1/map and GET /v1/events against the real server: the map of known
 * allocations shows them where they are, errors name the field, the holders
 * follow the listing rules, and the event stream starts with the history and
 * follows each write.
 */

const BASE = 0xffffc90000000000n;
const A = 'alice-token-5f1c0a9e7d3b';
const B = 'bob-token-0e4d8c2a6b19';
const ROOT = 'root-token-93ab17c4e0d2';
const PAGE = 4096;
const hexAt = (page: number): string => '0x' + (BASE + BigInt(page * PAGE)).toString(16);

type MapBody = {
  generation: number;
  from: string;
  to: string;
  pages: number;
  buckets: number;
  busy: number[];
  guard: number[];
  lazy: number[];
  free: number[];
  areas: number;
  largest_free: { addr: string; size: number } | null;
  fragmentation: { free_bytes: number; largest_free_bytes: number; ratio: number; free_blocks: number; histogram: { min: number; max: number; blocks: number; bytes: number }[] };
  top_callers: { name: string; bytes: number; areas: number }[] | null;
  top_owners: { name: string; bytes: number; areas: number }[] | null;
};

async function map(s: TestServer, query: string, headers: Record<string, string> = {}): Promise<MapBody> {
  const res = await fetch(`${s.httpUrl}/v1/map${query}`, { headers });
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  return (await res.json()) as MapBody;
}

/** The events of GET /v1/events, one at a time, until `stop` is called. */
async function events(s: TestServer, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(`${s.httpUrl}/v1/events`, { headers, signal: abort.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream()).getReader();
  return {
    async next(): Promise<EventSourceMessage> {
      const { value, done } = await reader.read();
      assert.equal(done, false, 'the stream ended');
      return value!;
    },
    stop: () => abort.abort(),
  };
}

describe('HTTP edge: /v1/map', () => {
  it('shows known allocations in their buckets: busy, guard, lazy and free bytes', async () => {
    const s = await startTestServer({ lazyMaxPages: 1 << 20 });
    try {
      // Pages 0-2: busy 2 + guard; 3-6: busy 3 + guard, then freed (lazy); 7-10: busy 3 + guard; then free.
      // In buckets of 4 pages: [0,4) busy 0-1, guard 2, lazy 3; [4,8) lazy 4-6, busy 7; [8,12) busy 8-9, guard 10, free 11.
      await call(s.client, 'Alloc', { size: '8192', caller: 'alpha' });
      const b = await call<{ addr: string }>(s.client, 'Alloc', { size: '12288', caller: 'beta' });
      await call(s.client, 'Alloc', { size: '12288', caller: 'alpha' });
      await call(s.client, 'Free', { addr: b.addr });
      const m = await map(s, `?from=${hexAt(0)}&to=${hexAt(16)}&buckets=4`);
      assert.equal(m.pages, 16);
      assert.equal(m.buckets, 4);
      assert.deepEqual(m.busy, [2 * PAGE, PAGE, 2 * PAGE, 0]);
      assert.deepEqual(m.guard, [PAGE, 0, PAGE, 0]);
      assert.deepEqual(m.lazy, [PAGE, 3 * PAGE, 0, 0]);
      assert.deepEqual(m.free, [0, 0, PAGE, 4 * PAGE]);
      assert.equal(m.areas, 3);
      assert.deepEqual(m.largest_free, { addr: hexAt(11), size: 5 * PAGE });
      assert.deepEqual(m.fragmentation, { free_bytes: 5 * PAGE, largest_free_bytes: 5 * PAGE, ratio: 1, free_blocks: 1, histogram: [{ min: 4 * PAGE, max: 8 * PAGE, blocks: 1, bytes: 5 * PAGE }] });
      // Reserved bytes by caller: alpha 3 + 4 pages, beta 4 (lazy, still reserved).
      assert.deepEqual(m.top_callers, [
        { name: 'alpha', bytes: 7 * PAGE, areas: 2 },
        { name: 'beta', bytes: 4 * PAGE, areas: 1 },
      ]);
      assert.deepEqual(m.top_owners, [{ name: 'anonymous', bytes: 11 * PAGE, areas: 3 }]);

      // The whole space by default, in 512 buckets: the three areas sit in the first.
      const whole = await map(s, '');
      assert.equal(whole.buckets, 512);
      assert.equal(whole.from, '0xffffc90000000000');
      // The last page of the 32 TiB is never allocated (VMALLOC_END is one byte short of it).
      assert.equal(whole.to, '0xffffe8fffffff000');
      assert.equal(whole.busy[0], 5 * PAGE);
      assert.equal(whole.busy.slice(1).reduce((a, v) => a + v, 0), 0);
      assert.equal(whole.free.reduce((a, v) => a + v, 0), 32 * 2 ** 40 - PAGE - 11 * PAGE);
      assert.equal(whole.generation, 4);

      // A range smaller than the bucket count: one bucket per page.
      const pages = await map(s, `?from=${hexAt(2)}&to=${hexAt(5)}&buckets=100`);
      assert.equal(pages.buckets, 3);
      assert.deepEqual([pages.guard, pages.lazy], [[PAGE, 0, 0], [0, PAGE, PAGE]]);
    } finally {
      await s.stop();
    }
  });

  it('refuses a bad range or bucket count with 400 naming the field', async () => {
    const s = await startTestServer();
    try {
      const cases: [string, string][] = [
        ['?buckets=0', 'buckets'],
        ['?buckets=4097', 'buckets'],
        ['?buckets=ten', 'buckets'],
        ['?from=0x1000', 'from'],
        ['?from=0xffffe8fffffff000', 'from'],
        ['?to=0xffffe90000001000', 'to'],
        [`?from=${hexAt(8)}&to=${hexAt(8)}`, 'to'],
        [`?from=${hexAt(8)}&to=${hexAt(4)}`, 'to'],
        ['?from=-1', 'from'],
      ];
      for (const [query, field] of cases) {
        const err = await expectError(await fetch(`${s.httpUrl}/v1/map${query}`), 400, 'InvalidArgument', query);
        assert.equal(err.field, field, query);
      }
      // Unaligned addresses are widened to whole pages.
      const m = await map(s, `?from=${hexAt(1).slice(0, -1)}1&to=${hexAt(2).slice(0, -1)}1`);
      assert.deepEqual([m.from, m.to, m.pages], [hexAt(1), hexAt(3), 2]);
    } finally {
      await s.stop();
    }
  });

  it('shows each viewer only the holders it may see; with --protect-reads asks for a token', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vmapd-map-'));
    const tokens = join(dir, 'tokens');
    await writeFile(tokens, `${A} alice\n${B} bob\n${ROOT} root admin\n`);
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });
    for (const protectReads of [false, true]) {
      const s = await startTestServer({ tokens, protectReads });
      try {
        const md = await import('@grpc/grpc-js');
        const meta = (t: string) => {
          const m = new md.Metadata();
          m.set('authorization', `Bearer ${t}`);
          return m;
        };
        await new Promise((resolve, reject) => s.client.Alloc!({ size: '4096', caller: 'a1' }, meta(A), (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));
        await new Promise((resolve, reject) => s.client.Alloc!({ size: '8192', caller: 'b1' }, meta(B), (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));
        if (protectReads) {
          await expectError(await fetch(`${s.httpUrl}/v1/map`), 401, 'Unauthenticated', 'map without a token');
          await expectError(await fetch(`${s.httpUrl}/v1/events`), 401, 'Unauthenticated', 'events without a token');
        } else {
          // Open like /meminfo: the buckets, but no holders for a client with no token.
          const open = await map(s, '?buckets=1');
          assert.equal(open.busy[0], 3 * PAGE);
          assert.deepEqual([open.top_callers, open.top_owners], [null, null]);
        }
        await expectError(await fetch(`${s.httpUrl}/v1/map`, { headers: auth('nope') }), 401, 'Unauthenticated', 'a bad token');
        const alice = await map(s, '?buckets=1', auth(A));
        assert.deepEqual(alice.top_callers, [{ name: 'a1', bytes: 2 * PAGE, areas: 1 }]);
        assert.deepEqual(alice.top_owners, [{ name: 'alice', bytes: 2 * PAGE, areas: 1 }]);
        const root = await map(s, '?buckets=1', auth(ROOT));
        assert.deepEqual(root.top_owners, [
          { name: 'bob', bytes: 3 * PAGE, areas: 1 },
          { name: 'alice', bytes: 2 * PAGE, areas: 1 },
        ]);
        // The buckets are the same for every viewer.
        assert.deepEqual(root.busy, alice.busy);
      } finally {
        await s.stop();
      }
    }
    await rm(dir, { recursive: true });
  });
});

describe('HTTP edge: /v1/events', () => {
  it('starts with the history, then follows each write with its generation; server close ends it', async () => {
    const s = await startTestServer();
    let stream: Awaited<ReturnType<typeof events>> | undefined;
    try {
      stream = await events(s);
      const first = await stream.next();
      assert.equal(first.event, 'history');
      const history = JSON.parse(first.data) as { generation: number; nr_areas: number; writes: number; reads: number; at: number }[];
      assert.ok(history.length >= 1);
      assert.deepEqual([history.at(-1)!.generation, history.at(-1)!.nr_areas, history.at(-1)!.writes], [0, 0, 0]);

      await call(s.client, 'Alloc', { size: '4096', caller: 'x' });
      await fetch(`${s.httpUrl}/meminfo`).then((r) => r.text());
      // The write shows in the next events (heartbeats of the old generation may come first).
      let sample: { generation: number; nr_areas: number; writes: number; reads: number; vmalloc_used_kb: number } | undefined;
      for (let i = 0; i < 5 && (sample === undefined || sample.generation < 1); i++) {
        const e = await stream.next();
        assert.equal(e.event, 'meminfo');
        sample = JSON.parse(e.data) as typeof sample;
        assert.equal(e.id, String(sample!.generation));
      }
      assert.equal(sample!.generation, 1);
      assert.deepEqual([sample!.nr_areas, sample!.writes, sample!.vmalloc_used_kb], [1, 1, 8]);

      // A burst of writes, each its own generation, is coalesced to at most 10 events a second.
      const burst = (async () => {
        for (let i = 0; i < 60; i++) await call(s.client, 'Alloc', { size: '4096' });
      })();
      let seen = 0;
      let last = sample!;
      const started = performance.now();
      while (last.writes < 61) {
        last = JSON.parse((await stream.next()).data) as typeof last;
        seen++;
      }
      const elapsed = performance.now() - started;
      await burst;
      assert.ok(seen <= elapsed / 100 + 2, `${seen} events in ${elapsed.toFixed(0)} ms`);
      // /meminfo reads are counted, over HTTP and gRPC alike.
      await call(s.client, 'MemInfo', {});
      let reads = last.reads;
      for (let i = 0; i < 5 && reads < 2; i++) reads = (JSON.parse((await stream.next()).data) as typeof last).reads;
      assert.ok(reads >= 2, `reads ${reads}`);
    } finally {
      // Closing the server while the stream is open ends the stream instead of waiting for it.
      await s.stop();
    }
    const { done } = await stream.next().then(
      () => ({ done: false }),
      () => ({ done: true }),
    );
    assert.equal(done, true, 'the stream ended with the server');
  });
});
