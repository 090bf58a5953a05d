import type { Identity } from '../auth/tokens.js';
import type { ActivitySample } from '../service/activity-view.js';
import type { AllocInput } from '../service/alloc-input.js';
import type { AreaView, FreeView, PurgeView } from '../service/area-view.js';
import type { CallContext } from '../service/call-context.js';
import type { MapRequest, MapViewer } from '../service/map-view.js';
import type { ReadMode } from '../service/read-modes.js';
import type { MeminfoRead } from '../service/snapshot.js';

/**
 * What the HTTP edge serves from: on a reader thread, the published state in
 * shared memory, the thread's replica of the area list, and the writer
 * reached by message (src/threads/reader-backend.ts). The edge knows nothing
 * of threads; it only knows which calls may wait (the promises) and which
 * never do.
 */
export interface HttpBackend {
  /** How /meminfo reads. */
  readonly readMode: ReadMode;
  /** The last published /meminfo: never waits (the `snapshot` read). */
  published(): MeminfoRead;
  /** /meminfo in the read mode: `locked-walk` waits for the writer, the others never do. */
  readMeminfo(): MeminfoRead | Promise<MeminfoRead>;
  /**
   * The areas from address `from` on, ascending, as they were at the call,
   * for as long as the listing takes; lazy ones only if asked (and only for
   * an admin), other owners' only for an admin.
   */
  areas(from: bigint, includeLazy: boolean, identity: Identity): IterableIterator<AreaView>;
  /**
   * `GET /v1/map`'s body for `request` from the published state (never the
   * writer), with the holders `viewer` may see. Never waits.
   *
   * @throws InvalidArgument naming the field of a request outside the space
   */
  map(request: MapRequest, viewer: MapViewer): string;
  /** The live numbers now: the published /meminfo and the running totals of writes and reads. Never waits. */
  activity(): ActivitySample;
  /** The busy area containing `addr`, if `identity` may see it. Never waits. */
  find(addr: bigint, identity: Identity): AreaView | undefined;
  alloc(input: AllocInput, ctx: CallContext): Promise<AreaView>;
  free(addr: bigint, ctx: CallContext): Promise<FreeView>;
  purge(ctx: CallContext): Promise<PurgeView>;
  /** Why writes would fail now (shutting down, the store failed), or null when ready. */
  notReadyReason(): string | null;
  /** While ready, what this node is in a group of nodes on one database (role, epoch, log position, lag); null for a vmapd on its own. */
  roleLine(): string | null;
  /** /metrics: every thread's metrics summed, in Prometheus text. */
  metrics(): Promise<{ readonly contentType: string; readonly body: string }>;
}
