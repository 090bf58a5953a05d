/**
 * Fuzz tests over both edges of a real vmapd (issue 6, "Bad input"): arbitrary
 * and malformed requests with random tokens, checked request by request
 * against a model (service-model.ts) that predicts every answer, and fed only
 * what the server accepted. After every request the server's whole state
 * (ListAreas as admin, lazy areas included, and /meminfo) must equal the
 * model's, so a rejected request that changed anything fails at once. No
 * answer may be INTERNAL, UNKNOWN or HTTP 500, and the server must stay up.
 *
 * VMAPD_FUZZ_RUNS scales the number of runs (default: sized for < 30 s).
 *
 * The pieces, next to this file: what the server must answer (contract,
 * alloc-check, service-model); who calls (identities); how values are
 * written (encoding) and generated (value-arbitraries, grpc-commands,
 * http-commands); the raw clients (raw-clients); what the model expects on
 * the wire (wire-formats, grpc-predictor, http-predictor); and the runner
 * (context, run-grpc, run-http, runner).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { BASE } from './contract.js';
import { closeContext, openContext, type Ctx } from './context.js';
import type { Form } from './encoding.js';
import { grpcCmdArb } from './grpc-commands.js';
import { httpCmdArb, rawHttpArb } from './http-commands.js';
import { ADMIN, TOKENS_FILE, type Auth } from './identities.js';
import { grpcSend, httpSend, metadataOf, rawHttp } from './raw-clients.js';
import { checkAlive, checkState, reset, runCommands } from './runner.js';

const SCALE = Number(process.env.VMAPD_FUZZ_RUNS ?? '1');
const runs = (n: number): number => Math.max(1, Math.round(n * (Number.isFinite(SCALE) && SCALE > 0 ? SCALE : 1)));

describe('fuzz: arbitrary and malformed requests against a real vmapd', () => {
  let dir: string;
  let ctx: Ctx;
  const started = Date.now();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmapd-fuzz-'));
    const tokens = join(dir, 'tokens');
    writeFileSync(tokens, TOKENS_FILE);
    ctx = await openContext(tokens);
  });

  after(async () => {
    if (ctx !== undefined) await closeContext(ctx);
    rmSync(dir, { recursive: true, force: true });
  });

  /** What the runs so far sent and got, for the test log. */
  function tally(t: { diagnostic(message: string): void }): void {
    const codes = [...ctx.stats.byCode.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`);
    t.diagnostic(`so far: accepted ${ctx.stats.accepted}, rejected ${ctx.stats.rejected}, not sent ${ctx.stats.clientErrors}, servers replaced ${ctx.restarts}, ${Date.now() - started} ms`);
    t.diagnostic(codes.join('; '));
  }

  it('gRPC: every answer is the model’s and the state is the model’s after every request', async (t) => {
    await fc.assert(
      fc.asyncProperty(fc.array(grpcCmdArb, { minLength: 1, maxLength: 14 }), (cmds) => runCommands(ctx, cmds)),
      { numRuns: runs(60), includeErrorInReport: true },
    );
    tally(t);
  });

  it('HTTP: every answer is the model’s and the state is the model’s after every request', async (t) => {
    await fc.assert(
      fc.asyncProperty(fc.array(httpCmdArb, { minLength: 1, maxLength: 14 }), (cmds) => runCommands(ctx, cmds)),
      { numRuns: runs(60), includeErrorInReport: true },
    );
    tally(t);
  });

  it('both edges interleaved on one state', async (t) => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(grpcCmdArb, httpCmdArb), { minLength: 2, maxLength: 16 }), (cmds) => runCommands(ctx, cmds)),
      { numRuns: runs(40), includeErrorInReport: true },
    );
    tally(t);
  });

  it('an alloc that finds no room even after purging the lazy areas leaves the purge done and visible', async () => {
    // alloc_vmap_area() purges the lazy areas before it gives up, and so does
    // the model: the purge must be published (and stored) like any other,
    // not linger unseen in the live space until some later write.
    const alice: Auth = { t: 'token', i: 0, form: 0 };
    const plain: Form = { form: 0, junk: null };
    await runCommands(ctx, [
      { edge: 'grpc', method: 'Alloc', auth: alice, spoof: false, alloc: { size: [4096n, plain] } },
      { edge: 'grpc', method: 'Free', auth: alice, spoof: false, addr: { live: true, i: 0, delta: 0, core: BASE, f: plain } },
      // One page of range; a byte and its guard page need two: out of space.
      { edge: 'grpc', method: 'Alloc', auth: alice, spoof: false, alloc: { size: [1n, plain], window: [0, 1] } },
    ]);
    const r = await httpSend(ctx.s.vmapd.httpPort, ctx.agent, { method: 'GET', path: '/meminfo?format=json' });
    assert.ok(!('client' in r));
    const mi = JSON.parse(r.body) as Record<string, number>;
    assert.deepEqual([mi.vmalloc_lazy_kb, mi.nr_lazy_areas], [0, 0], 'readers see the purge the failed alloc made');
  });

  it('garbage bytes on the HTTP socket: never a 5xx, nothing changes, the server stays up', async () => {
    await reset(ctx);
    await fc.assert(
      fc.asyncProperty(fc.array(rawHttpArb, { minLength: 1, maxLength: 4 }), async (inputs) => {
        for (const bytes of inputs) {
          const out = await rawHttp(ctx.s.vmapd.httpPort, bytes);
          for (const m of out.matchAll(/HTTP\/1\.[01] (\d{3})/g)) assert.ok(Number(m[1]) < 500, `${m[0]} for ${JSON.stringify(Buffer.from(bytes).toString('latin1'))}`);
        }
        await checkState(ctx, inputs);
        await checkAlive(ctx);
      }),
      { numRuns: runs(50), includeErrorInReport: true },
    );
  });

  it('a gRPC message over the receive limit is RESOURCE_EXHAUSTED, not INTERNAL', async () => {
    await reset(ctx);
    const res = await grpcSend(ctx.raw, 'Alloc', Buffer.alloc(9 * 1024 * 1024, 0x3a), metadataOf(ADMIN, false));
    assert.ok(!res.ok && res.code === grpc.status.RESOURCE_EXHAUSTED, `got ${res.ok ? 'OK' : grpc.status[res.code]}`);
    await checkState(ctx, 'oversized message');
    await checkAlive(ctx);
  });
});
