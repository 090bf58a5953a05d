/**
 * What a fuzz run carries from request to request: the server under test
 * and raw clients to it, the model of its state, the last generation seen,
 * and counts of what was sent; with the helpers every request shares
 * (tallying an answer, labelling a failure, refusing a server fault).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { startTestServer, type TestServer } from '../helpers/server.js';
import type { GrpcResult, HttpResult } from './raw-clients.js';
import { ServiceModel } from './service-model.js';

/** A small lazy-free limit, so that frees purge often. */
export const LAZY_MAX_PAGES = 8;

/** What the runs so far sent and got. */
export interface Stats {
  accepted: number;
  rejected: number;
  clientErrors: number;
  byCode: Map<string, number>;
}

/** The state of a fuzz run; `s`, `raw` and `model` are replaced when the server is. */
export interface Ctx {
  s: TestServer;
  raw: grpc.Client;
  readonly tokens: string;
  restarts: number;
  readonly agent: http.Agent;
  model: ServiceModel;
  generation: number;
  readonly stats: Stats;
}

/** Counts an answer under `key`, as accepted or rejected. */
export function note(ctx: Ctx, key: string, accepted: boolean): void {
  ctx.stats.byCode.set(key, (ctx.stats.byCode.get(key) ?? 0) + 1);
  if (accepted) ctx.stats.accepted++;
  else ctx.stats.rejected++;
}

/** A command as a failure message shows it, cut short. */
export const label = (cmd: unknown): string => fc.stringify(cmd).slice(0, 600);

/** Fails on a 500, 501 or 502, and on INTERNAL or UNKNOWN: a fault of the server, whatever the request. */
export function assertNoServerFault(res: GrpcResult | HttpResult, cmd: unknown): void {
  if ('status' in res) {
    assert.ok(res.status !== 500 && res.status !== 501 && res.status !== 502, `HTTP ${res.status} ${res.body.slice(0, 200)} for ${label(cmd)}`);
  } else if (!res.ok) {
    assert.ok(res.code !== grpc.status.INTERNAL && res.code !== grpc.status.UNKNOWN, `gRPC ${grpc.status[res.code]} (${res.details}) for ${label(cmd)}`);
  }
}

/** A vmapd for the fuzz tests: the token file `tokens`, LAZY_MAX_PAGES, and a rate limit that never bites. */
export function startServer(tokens: string): Promise<TestServer> {
  return startTestServer({ tokens, lazyMaxPages: LAZY_MAX_PAGES, rateLimit: 1_000_000_000 });
}

/** A context on a new server that reads `tokens` (a token file), with an empty model. */
export async function openContext(tokens: string): Promise<Ctx> {
  const s = await startServer(tokens);
  return {
    s,
    tokens,
    restarts: 0,
    raw: new grpc.Client(s.grpcTarget, grpc.credentials.createInsecure()),
    agent: new http.Agent({ keepAlive: true, maxSockets: 4 }),
    model: new ServiceModel(LAZY_MAX_PAGES),
    generation: 0,
    stats: { accepted: 0, rejected: 0, clientErrors: 0, byCode: new Map() },
  };
}

/** Closes the clients and stops the server. */
export async function closeContext(ctx: Ctx): Promise<void> {
  ctx.raw.close();
  ctx.agent.destroy();
  await ctx.s.stop();
}
