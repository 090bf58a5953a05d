/**
 * Prefill: puts K live areas into a running vmapd quickly, so a run starts
 * from a realistic space. Uses AllocBatch (10000 allocations per write, all
 * or none); against a server without it (UNIMPLEMENTED) falls back to many
 * concurrent Allocs, which the server's group commit batches anyway.
 */
import { MAX_BATCH, VmapClientError, type AllocSpec, type VmapClient } from '../../src/client/index.js';
import { randomAlloc, rng } from './alloc-mix.js';

/** Most requests in one AllocBatch (the server's limit). */
export { MAX_BATCH };

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
 * makes the sizes repeatable. Rejects on the first failed call: each call is
 * made once, as the client of makeVmapClient makes it.
 */
export async function prefill(client: VmapClient, count: number, seed: number, timeoutMs = 300000): Promise<PrefillResult> {
  const t0 = Date.now();
  const random = rng(seed);
  const deadline = (): number => Math.max(1, t0 + timeoutMs - Date.now());
  let done = 0;
  let method: PrefillResult['method'] = 'AllocBatch';
  while (done < count) {
    const n = Math.min(MAX_BATCH, count - done);
    const requests: AllocSpec[] = [];
    for (let i = 0; i < n; i++) requests.push(randomAlloc(random, PREFILL_CALLER));
    if (method === 'AllocBatch') {
      try {
        await client.allocBatch(requests, { retry: false, deadlineMs: deadline() });
        done += n;
        continue;
      } catch (err) {
        if (!(err instanceof VmapClientError) || err.code !== 'UNIMPLEMENTED') throw err;
        method = 'Alloc';
      }
    }
    // 256 in flight: enough for the server to batch them, few enough to stay polite.
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(256, n) }, async () => {
        while (next < n) {
          const req = requests[next++]!;
          await client.alloc(req.size, req, { retry: false, deadlineMs: deadline() });
        }
      }),
    );
    done += n;
  }
  return { areas: count, ms: Date.now() - t0, method };
}
