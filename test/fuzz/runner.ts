/**
 * The property every fuzz test runs: from an empty space, send the commands
 * one by one; after each, the server's whole state (ListAreas as admin, lazy
 * areas included, and /meminfo) must be the model's, and a rejected request
 * must not have published a generation; at the end the server must still
 * answer.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { LAZY_MAX_PAGES, label, startServer, type Ctx } from './context.js';
import type { GrpcCmd } from './grpc-commands.js';
import type { HttpCmd } from './http-commands.js';
import { ADMIN } from './identities.js';
import { SERVICE, grpcSend, httpSend, metadataOf } from './raw-clients.js';
import { runGrpc } from './run-grpc.js';
import { runHttp } from './run-http.js';
import { ServiceModel } from './service-model.js';
import { areaMessage, meminfoJson } from './wire-formats.js';

/** A request on either edge. */
export type Cmd = GrpcCmd | HttpCmd;

/** Both lists and meminfo equal the model's; the generation never goes back. */
export async function checkState(ctx: Ctx, cmd: unknown): Promise<void> {
  const list = await grpcSend(ctx.raw, 'ListAreas', SERVICE.ListAreas!.requestSerialize({ include_lazy: true }), metadataOf(ADMIN, false));
  assert.ok(list.ok, `ListAreas as admin failed after ${label(cmd)}`);
  assert.deepEqual(list.values, ctx.model.areas().map(areaMessage), `areas after ${label(cmd)}`);
  const r = await httpSend(ctx.s.vmapd.httpPort, ctx.agent, { method: 'GET', path: '/meminfo?format=json' });
  assert.ok(!('client' in r) && r.status === 200, '/meminfo answers');
  const mi = JSON.parse(r.body) as Record<string, number>;
  assert.ok(mi.generation! >= ctx.generation, 'the generation never goes back');
  ctx.generation = mi.generation!;
  assert.deepEqual({ ...mi, generation: undefined }, { ...meminfoJson(ctx.model), generation: undefined }, `meminfo after ${label(cmd)}`);
}

/**
 * Frees and purges everything as admin: an empty space and a fresh model. If
 * that does not empty it (an earlier run failed and left the server in a state
 * it cannot get out of), a new server takes its place, so that shrinking
 * starts every run from an empty space.
 */
export async function reset(ctx: Ctx): Promise<void> {
  const admin = (): grpc.Metadata => metadataOf(ADMIN, false);
  ctx.model = new ServiceModel(LAZY_MAX_PAGES);
  const list = await grpcSend(ctx.raw, 'ListAreas', SERVICE.ListAreas!.requestSerialize({}), admin());
  if (list.ok) {
    for (const a of list.values as { addr: string }[]) await grpcSend(ctx.raw, 'Free', SERVICE.Free!.requestSerialize({ addr: a.addr }), admin());
    await grpcSend(ctx.raw, 'Purge', SERVICE.Purge!.requestSerialize({}), admin());
  }
  try {
    await checkState(ctx, 'reset');
  } catch {
    ctx.raw.close();
    await ctx.s.stop();
    ctx.s = await startServer(ctx.tokens);
    ctx.raw = new grpc.Client(ctx.s.grpcTarget, grpc.credentials.createInsecure());
    ctx.generation = 0;
    ctx.restarts++;
    await checkState(ctx, 'a new server');
  }
}

/** /healthz answers 200 and MemInfo answers, unauthenticated. */
export async function checkAlive(ctx: Ctx): Promise<void> {
  const h = await httpSend(ctx.s.vmapd.httpPort, ctx.agent, { method: 'GET', path: '/healthz' });
  assert.ok(!('client' in h) && h.status === 200, '/healthz answers 200');
  const mi = await grpcSend(ctx.raw, 'MemInfo', Buffer.alloc(0), new grpc.Metadata());
  assert.ok(mi.ok, 'MemInfo answers');
}

/** The property: `cmds` from an empty space, the state checked after each. */
export async function runCommands(ctx: Ctx, cmds: readonly Cmd[]): Promise<void> {
  await reset(ctx);
  for (const cmd of cmds) {
    const before = fc.stringify(ctx.model.areas());
    const generation = ctx.generation;
    const accepted = ctx.stats.accepted;
    if (cmd.edge === 'grpc') await runGrpc(ctx, cmd);
    else await runHttp(ctx, cmd);
    await checkState(ctx, cmd);
    // A rejected request leaves everything as it was, the generation included
    // (an all-or-none batch that took areas and gave them back may publish).
    const isBatch = cmd.edge === 'grpc' && cmd.method === 'AllocBatch';
    if (ctx.stats.accepted === accepted && fc.stringify(ctx.model.areas()) === before && !isBatch) {
      assert.equal(ctx.generation, generation, `a rejected request published a new generation: ${label(cmd)}`);
    }
  }
  await checkAlive(ctx);
}
