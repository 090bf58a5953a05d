/**
 * Prefill: puts K live areas into a running vmapd quickly, so a run starts
 * from a realistic space. Uses AllocBatch (10000 allocations per write, all
 * or none); against a server without it (UNIMPLEMENTED) falls back to many
 * concurrent Allocs, which the server's group commit batches anyway.
 */
import * as grpc from '@grpc/grpc-js';
import { randomAlloc, rng, type AllocMessage } from './alloc-mix.js';
import { unary, type RpcClient } from './grpc.js';

/** Most requests in one AllocBatch (the server's limit). */
export const MAX_BATCH = 10000;

/** How a prefill went. */
export interface PrefillResult {
  /** Areas added. */
  readonly areas: number;
  readonly ms: number;
  readonly method: 'AllocBatch' | 'Alloc';
}

/** Callers of prefilled areas are tagged so /vmallocinfo tells them from the writers'. */
export const PREFILL_CALLER = 'loadtest/prefill';

/**
 * Adds `count` areas through `client` (at most `timeoutMs` in all); `seed`
 * makes the sizes repeatable. Rejects on the first failed call.
 */
export async function prefill(client: RpcClient, count: number, seed: number, timeoutMs = 300000): Promise<PrefillResult> {
  const t0 = Date.now();
  const random = rng(seed);
  const deadline = (): number => Math.max(1, t0 + timeoutMs - Date.now());
  let done = 0;
  let method: PrefillResult['method'] = 'AllocBatch';
  while (done < count) {
    const n = Math.min(MAX_BATCH, count - done);
    const requests: AllocMessage[] = [];
    for (let i = 0; i < n; i++) requests.push(randomAlloc(random, PREFILL_CALLER));
    if (method === 'AllocBatch') {
      try {
        await unary(client, 'AllocBatch', { requests }, deadline());
        done += n;
        continue;
      } catch (err) {
        if ((err as { code?: number }).code !== grpc.status.UNIMPLEMENTED) throw err;
        method = 'Alloc';
      }
    }
    // 256 in flight: enough for the server to batch them, few enough to stay polite.
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(256, n) }, async () => {
        while (next < n) {
          const req = requests[next++]!;
          await unary(client, 'Alloc', req, deadline());
        }
      }),
    );
    done += n;
  }
  return { areas: count, ms: Date.now() - t0, method };
}
