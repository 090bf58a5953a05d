/**
 * One gRPC request of a fuzz run: encode it (or take its raw bytes), decode
 * the bytes as the server will, send them, and demand the model's answer for
 * some candidate identity; the model that predicted it becomes the state.
 */
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { assertNoServerFault, label, note, type Ctx } from './context.js';
import { allocFields, grpcU64, resolveAddr } from './encoding.js';
import { mutate, type GrpcCmd } from './grpc-commands.js';
import { grpcMismatch, predictGrpc } from './grpc-predictor.js';
import { headerOf, whoOf } from './identities.js';
import { SERVICE, grpcSend, metadataOf } from './raw-clients.js';

/** Sends `cmd` and checks its answer against the model, which it advances. */
export async function runGrpc(ctx: Ctx, cmd: GrpcCmd): Promise<void> {
  const def = SERVICE[cmd.method]!;
  const header = headerOf(cmd.auth);
  let bytes: Buffer;
  let md: grpc.Metadata;
  try {
    md = metadataOf(header, cmd.spoof);
    if (cmd.raw !== undefined) bytes = Buffer.from(cmd.raw);
    else {
      const req: Record<string, unknown> = {};
      if (cmd.alloc) Object.assign(req, allocFields(cmd.alloc, grpcU64));
      if (cmd.batch) req.requests = cmd.batch.map((g) => allocFields(g, grpcU64));
      if (cmd.addr) {
        const a = grpcU64(resolveAddr(ctx.model, cmd.addr), cmd.addr.f);
        if (cmd.method === 'ListAreas') req.from_addr = a;
        else req.addr = a;
      }
      if (cmd.limit !== undefined) req.limit = cmd.limit;
      if (cmd.includeLazy !== undefined) req.include_lazy = cmd.includeLazy;
      bytes = def.requestSerialize(req);
      if (cmd.mutation) bytes = mutate(bytes, cmd.mutation);
    }
  } catch {
    // protobufjs or grpc-js refused to encode it: nothing was sent.
    ctx.stats.clientErrors++;
    return;
  }
  // What the server decodes: the same deserializer, on the same bytes.
  let view: Record<string, unknown> | undefined;
  try {
    view = def.requestDeserialize(bytes) as Record<string, unknown>;
  } catch {
    view = undefined;
  }
  const res = await grpcSend(ctx.raw, cmd.method, bytes, md);
  assertNoServerFault(res, cmd);
  note(ctx, `grpc ${cmd.method} ${res.ok ? 'OK' : grpc.status[res.code]}`, res.ok);
  if (view === undefined) {
    const why = grpcMismatch(res, { ok: false, kind: 'InvalidArgument', fields: ['request'] }, () => null);
    assert.equal(why, null, `${why} for ${label(cmd)}`);
    return;
  }
  const whos = whoOf(header, 'grpc');
  const reasons: string[] = [];
  for (const who of whos) {
    // With one candidate the model itself, else a copy per candidate; the one that matches stands.
    const model = whos.length === 1 ? ctx.model : ctx.model.clone();
    const p = predictGrpc(model, cmd.method, view, who, ctx.generation);
    const why = grpcMismatch(res, p.o, p.value);
    if (why === null) {
      ctx.model = model;
      return;
    }
    reasons.push(why);
  }
  assert.fail(`${reasons.join('; or ')} for ${label(cmd)}`);
}
