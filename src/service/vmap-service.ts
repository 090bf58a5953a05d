import type { Logger } from 'pino';
import { GroupCommit, type Outcome } from '../sync/group-commit.js';
import { Published } from '../sync/published.js';
import { WriterMutex } from '../sync/writer-mutex.js';
import { ANONYMOUS, type Identity } from '../auth/tokens.js';
import { DeadlineExceeded, InvalidArgument, NoSuchArea, OutOfSpace, PermissionDenied, QuotaExceeded, StoreFailure, Unavailable, VmapError } from '../vmap/errors.js';
import { hex, type SpaceGeometry } from '../vmap/geometry.js';
import { walkMeminfo, type MemInfo } from '../vmap/meminfo.js';
import { PAGE_SIZE, PAGE_SIZE_N } from '../vmap/page.js';
import type { AllocRequest, FreeResult, PurgeResult } from '../vmap/requests.js';
import { VmapSpace } from '../vmap/space.js';
import type { AreaList, VmapArea } from '../vmap/vmap-area.js';
import { MemoryStore, type Change, type Store } from '../store/store.js';
import { renderMeminfoJson, renderMeminfoText } from './meminfo-view.js';
import { OwnerIndex } from './owner-index.js';
import type { VmapMetrics } from './metrics.js';

/** How `/meminfo` and the MemInfo RPC read the space (the seed's experiment). */
export type ReadMode = 'locked-walk' | 'rcu-walk' | 'snapshot';

/** Every read mode, default last. */
export const READ_MODES: readonly ReadMode[] = ['locked-walk', 'rcu-walk', 'snapshot'];

/** One meminfo read: the numbers, the generation they belong to, and both rendered bodies. */
export interface MeminfoRead {
  readonly generation: number;
  readonly meminfo: MemInfo;
  /** The /proc/meminfo text. */
  readonly text: string;
  /** The JSON object of the MemInfo message. */
  readonly json: string;
}

/**
 * What readers see: the state after the last committed write batch. Plain,
 * immutable data; the area list is a copy-on-write clone that later writes
 * never touch.
 */
export interface Snapshot extends MeminfoRead {
  /** When it was published, ms since the epoch. */
  readonly publishedAt: number;
  /** Busy and lazy areas, ordered by start. */
  readonly areas: AreaList;
  /** Blocks of free space (for /metrics). */
  readonly freeBlocks: number;
}

/** An allocation as the edges hand it over: uint64 fields parsed, not yet checked against the space. */
export interface AllocInput {
  readonly size: bigint;
  readonly align: bigint;
  readonly vstart: bigint;
  readonly vend: bigint;
  readonly noGuard: boolean;
  readonly caller: string;
  readonly owner: string;
  /** Idempotency key, '' for none; scoped to the owner. */
  readonly requestId: string;
}

/** Test-only hooks into the write path. */
export interface ServiceHooks {
  /**
   * Called under the writer mutex after a batch has been applied in memory
   * and before the store commits it. A test can stall writes here (and let
   * deadlines pass); a rejection fails the batch and undoes it.
   */
  beforePublish?: (batchSize: number) => Promise<void>;
  /**
   * Called after each write has been applied, with its result. A test can
   * throw here to stand for a bug met half way through a write.
   */
  afterApply?: (result: unknown) => void;
}

/** What VmapService needs to start. */
export interface ServiceOptions {
  readonly geometry: SpaceGeometry;
  readonly lazyMaxPages?: number;
  readonly readMode?: ReadMode;
  readonly logger: Logger;
  readonly metrics?: VmapMetrics;
  readonly hooks?: ServiceHooks;
  /** Per-owner limits on busy reserved bytes and areas; 0 = none. */
  readonly quotaBytes?: number;
  readonly quotaAreas?: number;
  /** Writes that may wait for their batch before new ones are refused (Busy). */
  readonly maxPendingWrites?: number;
  /** Where writes become durable; default: nowhere (MemoryStore). */
  readonly store?: Store;
  /** The areas the store recovered, ascending by start; default: none. */
  readonly areas?: readonly VmapArea[];
}

type WriteOp = { readonly deadline: number | undefined } & (
  | { readonly kind: 'alloc'; readonly req: AllocRequest }
  | { readonly kind: 'allocBatch'; readonly reqs: readonly AllocRequest[] }
  /** `owner` null: an admin, who may free any area. */
  | { readonly kind: 'free'; readonly start: number; readonly owner: string | null }
  | { readonly kind: 'purge' }
);

/** Who makes a call and by when it must be answered. */
export interface CallContext {
  /** Default: ANONYMOUS (an admin), as when vmapd runs without tokens. */
  readonly identity?: Identity;
  /** Epoch ms; a write whose turn comes later is not applied (DEADLINE_EXCEEDED). */
  readonly deadline?: number;
}

type WriteResult = VmapArea | readonly VmapArea[] | FreeResult | PurgeResult;

/** Where one write of a batch began: its journal position and its first change. */
interface BatchMark {
  readonly journal: number;
  readonly changes: number;
}

/** First and longest wait before a full store is tried again. */
const STORE_RETRY_MIN_MS = 100;
const STORE_RETRY_MAX_MS = 5000;

/**
 * A write that hit a bug: answered INTERNAL with this message only (the
 * details, stack included, are in the log).
 */
export class InternalFault extends Error {
  constructor() {
    super('internal error: the write was not applied');
    this.name = 'InternalFault';
  }
}

/** Longest caller string kept; longer ones are refused. */
export const MAX_CALLER_LENGTH = 256;
/** Longest request_id accepted. */
export const MAX_REQUEST_ID_LENGTH = 128;
/** Most allocations in one AllocBatch. */
export const MAX_BATCH_ALLOCS = 10000;

/**
 * The one place that composes the space, the writer mutex, the published
 * snapshot and (later) the store. Writes go through group commit under the
 * mutex and are published as a new snapshot once applied; reads take the
 * current snapshot and never wait, except in `locked-walk` mode, which
 * deliberately reproduces the kernel before the 2014 patch.
 */
export class VmapService {
  /** Where the space lies. */
  readonly geometry: SpaceGeometry;
  /** How meminfo reads are served. */
  readonly readMode: ReadMode;
  private readonly space: VmapSpace;
  private readonly mutex: WriterMutex;
  private readonly published: Published<Snapshot>;
  private readonly writes: GroupCommit<WriteOp, WriteResult>;
  private readonly logger: Logger;
  private readonly metrics: VmapMetrics | undefined;
  private readonly hooks: ServiceHooks;
  private readonly store: Store;
  /** Whether per-write debug lines are logged (fixed at start, like the level). */
  private readonly debug: boolean;
  /** Live request ids and per-owner usage, for retries and quotas. */
  private owners: OwnerIndex;
  /** The changes of the batch being applied, for the store. */
  private changes: Change[] = [];
  private readonly quotaBytes: number;
  private readonly quotaAreas: number;
  /** Set once the store failed in a way that makes its files untrustworthy. */
  private broken: string | null = null;
  /** Set while the last commit failed (disk full): not ready, but writes are still tried. */
  private lastCommitError: string | null = null;
  /** While the store is known to be full: writes fail at once until then (epoch ms). */
  private storeRetryAt = 0;
  /** The current wait between tries of a full store; doubles per failure, 0 once a commit succeeds. */
  private storeBackoffMs = 0;
  /** Told whenever notReadyReason changes (the health service follows it). */
  private readonly readyListeners = new Set<(reason: string | null) => void>();
  /** notReadyReason as the listeners last heard it. */
  private lastReadyReason: string | null = null;

  /** A service over the recovered `areas` (an empty space by default). */
  constructor(options: ServiceOptions) {
    this.geometry = options.geometry;
    this.readMode = options.readMode ?? 'snapshot';
    this.logger = options.logger;
    this.debug = this.logger.isLevelEnabled('debug');
    this.metrics = options.metrics;
    this.hooks = options.hooks ?? {};
    this.store = options.store ?? new MemoryStore();
    this.space = VmapSpace.fromAreas(
      { basePage: this.geometry.basePage, pages: this.geometry.pages, lazyMaxPages: options.lazyMaxPages },
      options.areas ?? [],
    );
    this.quotaBytes = options.quotaBytes ?? 0;
    this.quotaAreas = options.quotaAreas ?? 0;
    this.owners = new OwnerIndex(this.space.areas());
    this.mutex = new WriterMutex(this.metrics);
    this.published = new Published(this.makeSnapshot(0));
    this.writes = new GroupCommit(this.mutex, (ops) => this.runBatch(ops), { maxPending: options.maxPendingWrites });
  }

  /** Purge threshold in pages. */
  get lazyMaxPages(): number {
    return this.space.lazyMaxPages;
  }

  /**
   * Whether writes are expected to succeed: not shutting down, the store
   * healthy and its last commit good. Drives /readyz and the health service.
   */
  get ready(): boolean {
    return !this.writes.isClosed && this.broken === null && this.lastCommitError === null;
  }

  /** Why the service is not ready, or null. */
  get notReadyReason(): string | null {
    if (this.writes.isClosed) return 'shutting down';
    return this.broken ?? this.lastCommitError;
  }

  /**
   * Calls `listener` with the new notReadyReason (null: ready again) each
   * time it changes. Returns a function that stops the calls.
   */
  onReadyChange(listener: (reason: string | null) => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /** Tells the listeners if notReadyReason changed since they last heard. */
  private readinessChanged(): void {
    const reason = this.notReadyReason;
    if (reason === this.lastReadyReason) return;
    this.lastReadyReason = reason;
    for (const listener of this.readyListeners) listener(reason);
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
   * @throws InvalidArgument naming the field; OutOfSpace; Unavailable while shutting down
   */
  async alloc(input: AllocInput, ctx: CallContext = {}): Promise<VmapArea> {
    const req = this.toAllocRequest(input, '');
    return (await this.submit({ kind: 'alloc', req, deadline: ctx.deadline })) as VmapArea;
  }

  /**
   * Reserves several areas in one write, all or none, placed in order as by
   * consecutive allocs. Errors name the request: `requests[3].size`.
   */
  async allocBatch(inputs: readonly AllocInput[], ctx: CallContext = {}): Promise<readonly VmapArea[]> {
    if (inputs.length > MAX_BATCH_ALLOCS) throw new InvalidArgument('requests', `at most ${MAX_BATCH_ALLOCS} per batch, got ${inputs.length}`);
    const reqs = inputs.map((input, i) => this.toAllocRequest(input, `requests[${i}].`));
    return (await this.submit({ kind: 'allocBatch', reqs, deadline: ctx.deadline })) as readonly VmapArea[];
  }

  /**
   * Lazily frees the area starting at `addr`.
   *
   * @throws NoSuchArea unless a busy area starts exactly there
   * @throws PermissionDenied when it belongs to another owner and the caller is no admin
   */
  async free(addr: bigint, ctx: CallContext = {}): Promise<FreeResult> {
    const start = this.geometry.pageAt(addr);
    if (start === undefined) throw new NoSuchArea(`trying to free nonexistent area at ${hex(addr)}`);
    const who = ctx.identity ?? ANONYMOUS;
    const owner = who.role === 'admin' ? null : who.owner;
    return (await this.submit({ kind: 'free', start, owner, deadline: ctx.deadline })) as FreeResult;
  }

  /** Returns every lazily freed area to free space. */
  async purge(ctx: CallContext = {}): Promise<PurgeResult> {
    return (await this.submit({ kind: 'purge', deadline: ctx.deadline })) as PurgeResult;
  }

  /**
   * The busy area containing `addr` in the current snapshot, or undefined;
   * an area of another owner only for an admin. Lock-free.
   */
  find(addr: bigint, identity: Identity = ANONYMOUS): VmapArea | undefined {
    const page = this.geometry.pageContaining(addr);
    if (page === undefined) return undefined;
    const va = this.snapshot().areas.floor(page);
    if (va === undefined || va.lazy || page >= va.start + va.pages) return undefined;
    return identity.role === 'admin' || va.owner === identity.owner ? va : undefined;
  }

  /**
   * Areas of `snapshot` in ascending order starting at or after `from` (an
   * address; below the space means its start), lazy ones only if asked, and
   * other owners' only for an admin (lazy areas have no owner left to show).
   */
  *areas(snapshot: Snapshot, from: bigint, includeLazy: boolean, identity: Identity = ANONYMOUS): IterableIterator<VmapArea> {
    if (from >= this.geometry.end) return;
    const fromPage = from <= this.geometry.base ? 0 : Number((from - this.geometry.base + PAGE_SIZE_N - 1n) / PAGE_SIZE_N);
    const all = identity.role === 'admin';
    for (const va of snapshot.areas.from(fromPage)) {
      if (va.lazy ? includeLazy && all : all || va.owner === identity.owner) yield va;
    }
  }

  /**
   * Meminfo in this service's read mode: the published numbers (`snapshot`),
   * a walk of the published list (`rcu-walk`), or a walk of the live list
   * under the writer mutex (`locked-walk`). All three agree on the same state.
   */
  readMeminfo(): MeminfoRead | Promise<MeminfoRead> {
    switch (this.readMode) {
      case 'snapshot':
        return this.snapshot();
      case 'rcu-walk': {
        const s = this.snapshot();
        return this.renderRead(walkMeminfo(s.areas, this.geometry.pages), s.generation);
      }
      case 'locked-walk':
        // Under the mutex no batch is half applied: the live space is exactly the published state.
        return this.mutex.run(() => this.renderRead(this.space.walkMeminfo(), this.snapshot().generation));
    }
  }

  /** Refuses new writes and waits until every accepted write has been answered. */
  async close(): Promise<void> {
    const drained = this.writes.close();
    this.readinessChanged();
    await drained;
    await this.store.close();
  }

  /** Usable and reserved bytes and the start address of an area, for the edges. */
  describe(va: VmapArea): { addr: bigint; size: number; areaSize: number } {
    return {
      addr: this.geometry.addressOf(va.start),
      size: (va.guard ? va.pages - 1 : va.pages) * PAGE_SIZE,
      areaSize: va.pages * PAGE_SIZE,
    };
  }

  // ---- write path -------------------------------------------------------------

  /** Checks `input` against the space; `prefix` goes before field names (`requests[3].`). */
  private toAllocRequest(input: AllocInput, prefix: string): AllocRequest {
    const fail = (field: string, message: string): never => {
      throw new InvalidArgument(prefix + field, message);
    };
    if (input.size === 0n) fail('size', 'must be greater than 0');
    if (input.size > this.geometry.size) fail('size', `${input.size} bytes exceed the whole space (${this.geometry.size} bytes)`);
    if (input.align !== 0n && (input.align & (input.align - 1n)) !== 0n) fail('align', `must be 0 or a power of two, got ${input.align}`);
    if (input.align !== 0n && !this.geometry.holdsMultipleOf(input.align)) {
      fail('align', `${input.align} can never fit: no address in the space [${hex(this.geometry.base)}, ${hex(this.geometry.end)}) is a multiple of it`);
    }
    if (input.caller.length > MAX_CALLER_LENGTH) fail('caller', `must be at most ${MAX_CALLER_LENGTH} characters`);
    if (input.requestId.length > MAX_REQUEST_ID_LENGTH) fail('request_id', `must be at most ${MAX_REQUEST_ID_LENGTH} characters`);
    const limit = (addr: bigint, field: 'vstart' | 'vend'): number | undefined => {
      try {
        return this.geometry.limitPage(addr, field);
      } catch (err) {
        return err instanceof InvalidArgument ? fail(field, err.message.slice(field.length + 2)) : fail(field, String(err));
      }
    };
    return {
      size: Number(input.size),
      align: Number(input.align),
      vstart: limit(input.vstart, 'vstart'),
      vend: limit(input.vend, 'vend'),
      noGuard: input.noGuard,
      caller: input.caller,
      owner: input.owner,
      requestId: input.requestId,
    };
  }

  /** Queues `op` for its batch; writes are counted by the edges, which also see what never gets here. */
  private async submit(op: WriteOp): Promise<WriteResult> {
    if (this.broken !== null) throw new Unavailable(`writes are off until restart: ${this.broken}`);
    this.failFastWhileFull();
    return this.writes.submit(op);
  }

  private apply(op: WriteOp): WriteResult {
    if (op.deadline !== undefined && Date.now() > op.deadline) {
      throw new DeadlineExceeded('the deadline passed before the write could be applied; it was not');
    }
    const result = this.applyOp(op);
    this.hooks.afterApply?.(result);
    return result;
  }

  private applyOp(op: WriteOp): WriteResult {
    switch (op.kind) {
      case 'alloc':
        return this.applyAlloc(op.req);
      case 'allocBatch':
        return this.applyAllocBatch(op.reqs);
      case 'free':
        return this.applyFree(op.start, op.owner);
      case 'purge': {
        const result = this.space.purge();
        if (result.areas > 0) this.changes.push({ op: 'purge' });
        this.logger.debug({ op: 'purge', areas: result.areas, pages: result.pages }, 'purge');
        return result;
      }
    }
  }

  private applyAlloc(req: AllocRequest): VmapArea {
    if (req.requestId) {
      const start = this.owners.lookup(req.owner ?? '', req.requestId);
      if (start !== undefined) {
        // A retry: the same area again, provided it asks for the same thing.
        const va = this.space.areaAt(start)!;
        const pages = Math.ceil(req.size / PAGE_SIZE) + (req.noGuard ? 0 : 1);
        if (va.pages !== pages || va.guard === req.noGuard || va.caller !== (req.caller ?? '')) {
          throw new InvalidArgument('request_id', `already names the live area at ${this.geometry.hexOf(start)}, which differs from this request`);
        }
        return va;
      }
    }
    const owner = req.owner ?? '';
    const usage = this.owners.usageOf(owner);
    if (this.quotaAreas > 0 && usage.areas + 1 > this.quotaAreas) {
      throw new QuotaExceeded('quota-areas', `${owner} already holds ${usage.areas} of its ${this.quotaAreas} areas`);
    }
    const bytes = (Math.ceil(req.size / PAGE_SIZE) + (req.noGuard ? 0 : 1)) * PAGE_SIZE;
    if (this.quotaBytes > 0 && usage.bytes + bytes > this.quotaBytes) {
      throw new QuotaExceeded('quota-bytes', `${owner} holds ${usage.bytes} bytes; ${bytes} more would pass its ${this.quotaBytes}`);
    }
    const before = this.space.version;
    let result: ReturnType<VmapSpace['alloc']>;
    try {
      result = this.space.alloc(req);
    } catch (err) {
      // Out of space after purging: the purge stands (as in the kernel), so it
      // must reach the store and the readers like any other change.
      if (this.space.version !== before) this.changes.push({ op: 'purge' });
      throw err;
    }
    const { area, purged } = result;
    if (purged !== null) this.changes.push({ op: 'purge' });
    this.changes.push({ op: 'insert', area });
    this.owners.add(area);
    // Built only when debug is on: the alloc path is hot and the address costs a string.
    if (this.debug) this.logger.debug({ op: 'alloc', addr: this.geometry.hexOf(area.start), pages: area.pages, owner: area.owner, purged: purged?.areas ?? 0 }, 'alloc');
    return area;
  }

  private applyAllocBatch(reqs: readonly AllocRequest[]): readonly VmapArea[] {
    const made: VmapArea[] = [];
    /** The areas this batch created (a retried request id returns an older one). */
    const created: VmapArea[] = [];
    for (let i = 0; i < reqs.length; i++) {
      try {
        const inserts = this.changes.length;
        const va = this.applyAlloc(reqs[i]!);
        made.push(va);
        if (this.changes.length > inserts) created.push(va);
      } catch (err) {
        // All or none: give back what this batch took, newest first.
        for (const va of created.reverse()) this.releaseArea(va);
        if (err instanceof InvalidArgument) throw new InvalidArgument(`requests[${i}].${err.field}`, err.message.slice(err.field.length + 2));
        if (err instanceof OutOfSpace) throw new OutOfSpace(`requests[${i}]: ${err.message}`);
        throw err;
      }
    }
    return made;
  }

  private releaseArea(va: VmapArea): void {
    this.space.release(va.start);
    this.changes.push({ op: 'delete', start: va.start });
    this.owners.remove(va);
  }

  private applyFree(start: number, owner: string | null): FreeResult {
    const va = this.space.areaAt(start);
    if (va === undefined || va.lazy) throw new NoSuchArea(`trying to free nonexistent area at ${this.geometry.hexOf(start)}`);
    if (owner !== null && va.owner !== owner) throw new PermissionDenied(`the area at ${this.geometry.hexOf(start)} belongs to another owner`);
    const result = this.space.free(start);
    this.owners.remove(va);
    this.changes.push({ op: 'lazy', start });
    if (result.purged !== null) this.changes.push({ op: 'purge' });
    if (this.debug) this.logger.debug({ op: 'free', addr: this.geometry.hexOf(start), purged: result.purged?.areas ?? 0 }, 'free');
    return result;
  }

  /**
   * Applies one batch under the writer mutex (GroupCommit holds it for us),
   * commits it and publishes it. Every change is journaled, so whatever goes
   * wrong is undone in O(the batch): one write that hits a bug (that write
   * only), writes whose deadline passed before the commit, or the whole
   * batch when the store cannot commit it.
   */
  private async runBatch(ops: readonly WriteOp[]): Promise<Outcome<WriteResult>[]> {
    if (this.storeFull()) return ops.map(() => ({ ok: false, error: this.fullError() }));
    const outcomes: Outcome<WriteResult>[] = new Array<Outcome<WriteResult>>(ops.length);
    const marks: BatchMark[] = new Array<BatchMark>(ops.length);
    this.changes = [];
    this.space.beginJournal();
    try {
      this.applyFrom(ops, 0, outcomes, marks);
      if (this.changes.length === 0) return outcomes; // nothing changed: nothing to commit or publish
      await this.hooks.beforePublish?.(ops.length);
      // The deadlines once more, just before the commit: a write whose client
      // gave up meanwhile is left out (with what came after it, applied again).
      const late = ops.findIndex((op, i) => outcomes[i]!.ok && op.deadline !== undefined && Date.now() > op.deadline);
      if (late >= 0) {
        this.undoTo(marks[late]!);
        this.applyFrom(ops, late, outcomes, marks);
        if (this.changes.length === 0) return outcomes;
      }
      await this.store.commit(this.changes);
    } catch (error) {
      this.undoTo({ journal: 0, changes: 0 });
      throw this.commitFailed(error);
    } finally {
      this.space.endJournal();
      this.changes = [];
    }
    this.lastCommitError = null;
    this.storeBackoffMs = 0;
    this.storeRetryAt = 0;
    this.readinessChanged();
    this.metrics?.batch(ops.length);
    this.published.publish(this.makeSnapshot(this.snapshot().generation + 1));
    return outcomes;
  }

  /**
   * Applies `ops[from…]`, recording where each began. A VmapError is that
   * write's answer; anything else is a bug, which must not become an outage:
   * that write alone is undone and answered INTERNAL, the rest go on.
   */
  private applyFrom(ops: readonly WriteOp[], from: number, outcomes: Outcome<WriteResult>[], marks: BatchMark[]): void {
    for (let i = from; i < ops.length; i++) {
      const mark = { journal: this.space.journalMark, changes: this.changes.length };
      marks[i] = mark;
      try {
        outcomes[i] = { ok: true, value: this.apply(ops[i]!) };
      } catch (error) {
        if (error instanceof VmapError) {
          outcomes[i] = { ok: false, error };
          continue;
        }
        this.logger.error({ err: error, op: ops[i]!.kind }, 'a write failed on an unexpected error; it alone was undone');
        this.undoTo(mark);
        outcomes[i] = { ok: false, error: new InternalFault() };
      }
    }
  }

  /** Undoes every change made since `mark`: in the space, in the owner index, in the batch's change list. */
  private undoTo(mark: BatchMark): void {
    this.space.undoTo(
      mark.journal,
      (va) => this.owners.add(va),
      (va) => this.owners.remove(va),
    );
    this.changes.length = mark.changes;
  }

  /** The error every write of a batch the store refused gets; marks the service not ready. */
  private commitFailed(error: unknown): Unavailable {
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.error({ err: error }, 'write batch not committed; undone');
    if (error instanceof StoreFailure && error.fatal) {
      this.broken = reason;
      this.readinessChanged();
      // The commit may have reached the disk before its fsync failed: after a
      // restart the write may be there. A retry with the same request_id is safe.
      return new Unavailable(`write outcome unknown: ${reason}`);
    }
    if (error instanceof StoreFailure) {
      // Known full: refuse writes at once for a while instead of trying the
      // disk with each (each try costs a transaction); then try again, waiting
      // twice as long after every further failure.
      this.lastCommitError = reason;
      this.storeBackoffMs = Math.min(Math.max(this.storeBackoffMs * 2, STORE_RETRY_MIN_MS), STORE_RETRY_MAX_MS);
      this.storeRetryAt = Date.now() + this.storeBackoffMs;
    }
    this.readinessChanged();
    return new Unavailable(`write not applied: ${reason}`);
  }

  /** Whether the store is known to be full and not yet due for another try. */
  private storeFull(): boolean {
    return this.lastCommitError !== null && Date.now() < this.storeRetryAt;
  }

  private fullError(): Unavailable {
    return new Unavailable(`write not applied: ${this.lastCommitError}; the store is tried again in ${Math.max(0, this.storeRetryAt - Date.now())} ms`);
  }

  /** @throws Unavailable at once while the store is known to be full. */
  private failFastWhileFull(): void {
    if (this.storeFull()) throw this.fullError();
  }

  private makeSnapshot(generation: number): Snapshot {
    const meminfo = this.space.meminfo();
    return {
      generation,
      publishedAt: Date.now(),
      meminfo,
      text: renderMeminfoText(meminfo),
      json: renderMeminfoJson(meminfo, generation),
      areas: this.space.view(),
      freeBlocks: this.space.freeBlocks,
    };
  }

  private renderRead(meminfo: MemInfo, generation: number): MeminfoRead {
    return { generation, meminfo, text: renderMeminfoText(meminfo), json: renderMeminfoJson(meminfo, generation) };
  }
}
