import type { Logger } from 'pino';
import { GroupCommit } from '../sync/group-commit.js';
import { Published } from '../sync/published.js';
import { WriterMutex } from '../sync/writer-mutex.js';
import { ANONYMOUS, type Identity } from '../auth/tokens.js';
import { InvalidArgument, NoSuchArea } from '../vmap/errors.js';
import { hex, type SpaceGeometry } from '../vmap/geometry.js';
import { PAGE_SIZE } from '../vmap/page.js';
import type { AllocRequest, FreeResult, PurgeResult } from '../vmap/requests.js';
import { VmapSpace } from '../vmap/space.js';
import type { VmapArea } from '../vmap/vmap-area.js';
import { MemoryStore, type Change, type Store } from '../store/store.js';
import { encodeAreaList } from '../store/area-list-codec.js';
import { parseAllocInput, type AllocFields, type AllocInput } from './alloc-input.js';
import { areaOfView, areaView, type AreaBatch, type AreaView, type FreeView, type PurgeView } from './area-view.js';
import { MAX_BATCH_ALLOCS, quickAllocRequests, toAllocRequest } from './alloc-request.js';
import type { CallContext } from './call-context.js';
import { Busy, Unavailable } from './errors.js';
import type { VmapMetrics } from './metrics.js';
import { OwnerIndex } from './owner-index.js';
import { Quotas } from './quotas.js';
import type { ReadMode } from './read-modes.js';
import type { ServiceHooks, ServiceOptions } from './service-options.js';
import { takeSnapshot, type MeminfoRead, type Snapshot } from './snapshot.js';
import { areasOf, findArea } from './snapshot-reads.js';
import { BatchRunner, type PublishListener } from './batch-runner.js';
import { Readiness } from './readiness.js';
import { StoreHealth } from './store-health.js';
import type { WriteForwarder } from './write-forwarder.js';
import { WriteRoute } from './write-route.js';
import { WriterMeminfo } from './writer-meminfo.js';
import { replayChanges, ReplayOutOfStep } from './change-replay.js';
import type { WriteOp, WriteResult } from './write-op.js';

export type { PublishListener } from './batch-runner.js';

/** What a write refused before its batch is told. */
const WRITE_REFUSALS = {
  closed: () => new Unavailable('vmapd is shutting down and takes no more writes'),
  full: (pending: number) => new Busy(`server busy: ${pending} writes already queued; retry later`),
};

/**
 * The one place that composes the space, the writer mutex, the published
 * snapshot and the store. Writes go through group commit under the mutex
 * (see WriteBatch) and are published as a new snapshot once durable; reads
 * take the current snapshot and never wait, except in `locked-walk` mode,
 * which deliberately reproduces the kernel before the 2014 patch.
 */
export class VmapService {
  /** Where the space lies. */
  readonly geometry: SpaceGeometry;
  /** How meminfo reads are served. */
  readonly readMode: ReadMode;
  private readonly space: VmapSpace;
  private readonly owners: OwnerIndex;
  private readonly quotas: Quotas;
  private readonly mutex: WriterMutex;
  private readonly published: Published<Snapshot>;
  private readonly meminfo: WriterMeminfo;
  private readonly writes: GroupCommit<WriteOp, WriteResult>;
  private readonly logger: Logger;
  private readonly metrics: VmapMetrics | undefined;
  private readonly hooks: ServiceHooks;
  private readonly store: Store;
  private readonly health = new StoreHealth();
  /** Whether per-write debug lines are logged (fixed at start, like the level). */
  private readonly debug: boolean;
  /** Applies, commits and publishes each batch. */
  private readonly batches: BatchRunner;
  /** Where writes go: here, or (while this node does not lead) to the leader. */
  private readonly route: WriteRoute;
  /**
   * Who hears that notReadyReason or the role changed (the health service
   * and the HTTP threads' /readyz listen; a node of a group describes its
   * role here and says when it changed).
   */
  readonly readiness = new Readiness(() => this.notReadyReason);

  /** A service over the recovered `areas` (an empty space by default). */
  constructor(options: ServiceOptions) {
    this.geometry = options.geometry;
    this.readMode = options.readMode ?? 'snapshot';
    this.logger = options.logger;
    this.debug = this.logger.isLevelEnabled('debug');
    this.metrics = options.metrics;
    this.hooks = options.hooks ?? {};
    this.store = options.store ?? new MemoryStore();
    const shape = { basePage: this.geometry.basePage, pages: this.geometry.pages, lazyMaxPages: options.lazyMaxPages };
    this.space = options.list !== undefined ? VmapSpace.fromColumns(shape, options.list) : VmapSpace.fromAreas(shape, options.areas ?? []);
    // The request ids of a restart are indexed by settleIndexes, or by the first write if it comes sooner.
    this.owners = OwnerIndex.of(this.space.view(), options.list);
    this.quotas = new Quotas(options.quotaBytes ?? 0, options.quotaAreas ?? 0);
    this.mutex = new WriterMutex(this.metrics);
    this.published = new Published(takeSnapshot(this.space, options.generation ?? 0));
    this.meminfo = new WriterMeminfo(this.readMode, () => this.snapshot(), this.mutex, this.space);
    this.batches = new BatchRunner({
      space: this.space,
      owners: this.owners,
      quotas: this.quotas,
      geometry: this.geometry,
      logger: this.logger,
      debug: this.debug,
      hooks: this.hooks,
      store: this.store,
      health: this.health,
      readiness: this.readiness,
      metrics: this.metrics,
      published: this.published,
      forwarding: () => !this.route.leading,
    });
    this.route = new WriteRoute(this.health, this.readiness, () => this.writes.isClosed);
    this.writes = new GroupCommit(this.mutex, (ops) => this.batches.run(ops), WRITE_REFUSALS, { maxPending: options.maxPendingWrites });
  }

  /** Why writes are not expected to succeed now (shutting down, the store failed or full), or null. */
  get notReadyReason(): string | null {
    return this.writes.isClosed ? 'shutting down' : this.health.problem;
  }

  /** Indexes the recovered request ids in the background (OwnerIndex.settleInBackground); vmapd calls it once it listens. */
  settleIndexes(): Promise<void> {
    return this.owners.settleInBackground();
  }

  /** Writes queued for their batch (not counting the batch being applied). */
  get pendingWrites(): number {
    return this.writes.pendingCount;
  }

  /** The snapshot readers see now. Lock-free. */
  snapshot(): Snapshot {
    return this.published.current();
  }

  /**
   * Reserves the lowest range that fits `input`.
   *
   * @throws InvalidArgument naming the field; OutOfSpace; QuotaExceeded; Busy; DeadlineExceeded; Unavailable
   */
  async alloc(input: AllocInput, ctx: CallContext = {}): Promise<AreaView> {
    const req = toAllocRequest(this.geometry, input, '');
    return this.route.run(
      ctx,
      (f) => f.alloc(input, ctx),
      async () => areaView(this.geometry, (await this.submit({ kind: 'alloc', req, deadline: ctx.deadline })) as VmapArea),
    );
  }

  /**
   * Reserves several areas in one write, all or none, placed in order as by
   * consecutive allocs. Errors name the request: `requests[3].size`. The
   * areas come in page form (areaViews() shows them).
   */
  async allocBatch(inputs: readonly AllocInput[], ctx: CallContext = {}): Promise<AreaBatch> {
    if (inputs.length > MAX_BATCH_ALLOCS) throw new InvalidArgument('requests', `at most ${MAX_BATCH_ALLOCS} per batch, got ${inputs.length}`);
    const reqs = inputs.map((input, i) => toAllocRequest(this.geometry, input, `requests[${i}].`));
    return this.batchOf(() => inputs, reqs, ctx);
  }

  /**
   * allocBatch of the requests as an edge received them, for `owner`: a
   * batch of plain requests goes to the allocator as it is
   * (quickAllocRequests), any other through parseAllocInput and allocBatch,
   * which answer exactly as before.
   */
  async allocBatchFields(batch: readonly AllocFields[], owner: string, ctx: CallContext = {}): Promise<AreaBatch> {
    const inputs = (): AllocInput[] => batch.map((f, i) => parseAllocInput(f, owner, `requests[${i}].`));
    const reqs = batch.length <= MAX_BATCH_ALLOCS ? quickAllocRequests(this.geometry, batch, owner) : undefined;
    return reqs === undefined ? this.allocBatch(inputs(), ctx) : this.batchOf(inputs, reqs, ctx);
  }

  /**
   * Lazily frees the area starting at `addr`.
   *
   * @throws NoSuchArea unless a busy area starts exactly there
   * @throws PermissionDenied when it belongs to another owner and the caller is no admin
   */
  async free(addr: bigint, ctx: CallContext = {}): Promise<FreeView> {
    const start = this.geometry.pageAt(addr);
    if (start === undefined) throw new NoSuchArea(`trying to free nonexistent area at ${hex(addr)}`);
    const who = ctx.identity ?? ANONYMOUS;
    const owner = who.role === 'admin' ? null : who.owner;
    return this.route.run(
      ctx,
      (f) => f.free(addr, ctx),
      async () => {
        const { area, purged } = (await this.submit({ kind: 'free', start, owner, deadline: ctx.deadline })) as FreeResult;
        return { freedBytes: area.pages * PAGE_SIZE, purged: purged !== null };
      },
    );
  }

  /** Returns every lazily freed area to free space. */
  async purge(ctx: CallContext = {}): Promise<PurgeView> {
    return this.route.run(
      ctx,
      (f) => f.purge(ctx),
      async () => {
        const r = (await this.submit({ kind: 'purge', deadline: ctx.deadline })) as PurgeResult;
        return { areas: r.areas, bytes: r.pages * PAGE_SIZE };
      },
    );
  }

  /**
   * The busy area containing `addr` in the current snapshot, or undefined;
   * an area of another owner only for an admin. Lock-free.
   */
  find(addr: bigint, identity: Identity = ANONYMOUS): AreaView | undefined {
    return findArea(this.geometry, this.snapshot().areas, addr, identity);
  }

  /**
   * Areas of `snapshot` in ascending order starting at or after `from` (an
   * address; below the space means its start), lazy ones only if asked, and
   * other owners' only for an admin (lazy areas have no owner left to show).
   */
  areas(snapshot: Snapshot, from: bigint, includeLazy: boolean, identity: Identity = ANONYMOUS): IterableIterator<AreaView> {
    return areasOf(this.geometry, snapshot.areas, from, includeLazy, identity);
  }

  /** Meminfo in this service's read mode (writer-meminfo.ts). */
  readMeminfo(): MeminfoRead | Promise<MeminfoRead> {
    return this.meminfo.read();
  }

  /** Meminfo by a walk of the live list under the writer mutex: what `locked-walk` reads, on any thread. */
  lockedMeminfo(): Promise<MeminfoRead> {
    return this.meminfo.locked();
  }

  /**
   * Calls `listener` with each new snapshot and the changes of the batch
   * that made it (exactly what the store committed, in order), before the
   * batch's callers are answered: the HTTP threads' feed. Returns a function
   * that stops the calls.
   */
  onPublish(listener: PublishListener): () => void {
    return this.batches.onPublish(listener);
  }

  /** Whether this node commits its writes itself (no forwarder): the leader, or a vmapd on its own. */
  get leading(): boolean {
    return this.route.leading;
  }

  /** Sends every write to `forwarder` from now on (this node is a standby), or, with null, commits them here (it leads). */
  forwardWrites(forwarder: WriteForwarder | null): void {
    this.route.forwardTo(forwarder);
  }

  /**
   * A standby's write path: applies the batch another node committed at log
   * `position` (the next one: the generation tracks the log position) and
   * publishes it, under the writer mutex, exactly as a batch of its own.
   * A position already held is skipped.
   *
   * @throws ReplayOutOfStep on a gap or a change that does not fit (the node must reload)
   */
  applyCommitted(position: number, changes: readonly Change[]): Promise<void> {
    return this.mutex.run(() => {
      const generation = this.snapshot().generation;
      if (position <= generation) return;
      if (position !== generation + 1) throw new ReplayOutOfStep(`change log position ${position} after generation ${generation}: a batch is missing`);
      replayChanges(this.space, this.owners, changes);
      this.batches.publish(position, changes);
    });
  }

  /** Refuses new writes and waits until every accepted write has been answered. */
  async close(): Promise<void> {
    const drained = this.writes.close();
    this.readiness.changed();
    await drained;
    // The areas as they are left, for a store that keeps an image of them.
    await this.store.close(() => {
      const s = this.snapshot();
      return encodeAreaList(s.areas, s.meminfo.nrAreas + s.meminfo.nrLazyAreas);
    });
  }

  /** The batch of checked `reqs`, committed here, or `inputs()` forwarded to the leader. */
  private batchOf(inputs: () => readonly AllocInput[], reqs: readonly AllocRequest[], ctx: CallContext): Promise<AreaBatch> {
    const { basePage } = this.geometry;
    return this.route.run(
      ctx,
      async (f) => ({ basePage, areas: (await f.allocBatch(inputs(), ctx)).map((v) => areaOfView(this.geometry, v)) }),
      async () => ({ basePage, areas: (await this.submit({ kind: 'allocBatch', reqs, deadline: ctx.deadline })) as readonly VmapArea[] }),
    );
  }

  /** Queues `op` for its batch; writes are counted by the edges, which also see what never gets here. */
  private async submit(op: WriteOp): Promise<WriteResult> {
    this.health.check();
    return this.writes.submit(op);
  }

}
