/**
 * `vmapd/client`: the Node client library of vmapd.
 *
 * ```ts
 * import { VmapClient } from 'vmapd/client';
 * const vmap = new VmapClient({ targets: ['a:50051', 'b:50051'], token });
 * const area = await vmap.alloc('8k', { caller: 'mydriver' });
 * await vmap.free(area.addr);
 * vmap.close();
 * ```
 */
export { VmapClient, MAX_BATCH, type AllocOptions, type AllocSpec, type ListOptions } from './vmap-client.js';
export type { VmapClientOptions, CallOptions } from './options.js';
export type { RetryPolicy, Idempotence } from './retry.js';
export type { TlsOptions, Pem } from './credentials.js';
export { VmapClientError } from './errors.js';
export type { Area } from './area.js';
export type { FreeResult, PurgeResult, MemInfo } from './results.js';
export { parseSize, formatSize, type Size, type Address } from './sizes.js';
