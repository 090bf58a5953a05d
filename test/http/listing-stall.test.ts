import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { call, startTestServer } from '../helpers/server.js';
import { expectError } from './http-client.js';

const AREAS = 20_000;
/**
 * Callers this long make the listing ~6.7 MB: more than loopback TCP buffers
 * hold for a reader that reads nothing (a few MB), so the server must wait.
 */
const CALLER = 'c'.repeat(256);

/** Log lines at warn and above, as parsed JSON, with a way to wait for a count of them. */
class LogLines {
  readonly lines: Record<string, unknown>[] = [];
  private waiters: (() => void)[] = [];
  readonly logger = pino({ level: 'warn' }, { write: (line: string) => this.add(line) });

  private add(line: string): void {
    this.lines.push(JSON.parse(line) as Record<string, unknown>);
    for (const w of this.waiters.splice(0)) w();
  }

  /** Lines whose message matches `pattern`. */
  count(pattern: RegExp): number {
    return this.lines.filter((l) => pattern.test(String(l.msg))).length;
  }

  /** Resolves once `n` lines match `pattern`; each turn waits for the next line, and there are few. */
  async until(pattern: RegExp, n: number): Promise<void> {
    for (let i = 0; i < 1000 && this.count(pattern) < n; i++) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    assert.equal(this.count(pattern), n);
  }
}

/** A raw HTTP/1.1 client that sends GET /vmallocinfo, takes the first bytes, then reads nothing. */
async function stalledReader(port: number): Promise<{ socket: Socket; first: Buffer }> {
  const socket = connect(port, '127.0.0.1');
  // ECONNRESET when the server gives up on it: that reset is the point.
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  // keep-alive: a server that finished the response would leave the connection open.
  socket.write('GET /vmallocinfo HTTP/1.1\r\nHost: localhost\r\n\r\n');
  const [first] = (await once(socket, 'data')) as [Buffer];
  socket.pause();
  return { socket, first };
}

describe('HTTP edge: stalled /vmallocinfo readers', () => {
  it('hold a listing slot only until the stall timeout, then lose their connection; others get 503 meanwhile', { timeout: 120_000 }, async () => {
    const logs = new LogLines();
    const s = await startTestServer({ stallTimeoutMs: 1000, maxListings: 2 }, { logger: logs.logger });
    const sockets: Socket[] = [];
    try {
      for (let done = 0; done < AREAS; done += 10_000) {
        await call(s.client, 'AllocBatch', { requests: Array.from({ length: 10_000 }, () => ({ size: '4096', caller: CALLER })) });
      }
      const port = Number(new URL(s.httpUrl).port);
      const readers = [await stalledReader(port), await stalledReader(port)];
      for (const r of readers) {
        sockets.push(r.socket);
        assert.match(r.first.toString('latin1'), /^HTTP\/1\.1 200 OK\r\n/);
      }
      // Both slots are held: a third listing is refused at once, naming the limit.
      const busy = await fetch(`${s.httpUrl}/vmallocinfo`);
      assert.equal(busy.headers.get('retry-after'), '1');
      const err = await expectError(busy, 503, 'Busy', 'third listing');
      assert.match(err.message, /--max-listings 2/);

      // The server gives up on each stalled reader: one log line each, and the connection goes.
      await logs.until(/reader took nothing for 1000 ms/, 2);
      for (const r of readers) {
        let received = r.first.length;
        let ended = false;
        r.socket.on('data', (d: Buffer) => {
          received += d.length;
          ended ||= d.toString('latin1').endsWith('\r\n0\r\n\r\n');
        });
        // Not once(): it would reject on the ECONNRESET that comes first.
        const closed = new Promise<void>((resolve) => r.socket.once('close', () => resolve()));
        r.socket.resume();
        await closed;
        assert.equal(ended, false, 'the response was cut off, not finished');
        assert.ok(received < AREAS * CALLER.length, `got ${received} bytes of a listing of more than ${AREAS * CALLER.length}`);
      }
      assert.equal(logs.count(/reader took nothing/), 2, 'one line per stalled reader');

      // The slots are free again: a reader that reads gets every line.
      const full = await fetch(`${s.httpUrl}/vmallocinfo`);
      assert.equal(full.status, 200);
      const lines = (await full.text()).trimEnd().split('\n');
      assert.equal(lines.length, AREAS);
      assert.ok(lines.every((l) => l.includes(` ${CALLER} pages=1 `)));
    } finally {
      for (const socket of sockets) socket.destroy();
      await s.stop();
    }
  });
});
