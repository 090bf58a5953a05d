import type { Logger } from 'pino';
import { GroupCommit, type Outcome } from '../sync/group-commit.js';
import { Published } from '../sync/published.js';
import { WriterMutex } from '../sync/writer-mutex.js';
import type { BTree } from '../vmap/btree.js';
import { InvalidArgument, NoSuchArea, Unavailable, VmapError } from '../vmap/errors.js';
import { hex, type SpaceGeometry } from '../vmap/geometry.js';
import { walkMeminfo, type MemInfo } from '../vmap/meminfo.js';
import { PAGE_SIZE, PAGE_SIZE_N } from '../vmap/page.js';
import { VmapSpace, type AllocRequest, type FreeResult, type PurgeResult } from '../vmap/space.js';
import type { VmapArea } from '../vmap/vmap-area.js';
import { renderMeminfoJson, renderMeminfoText } from './meminfo-view.js';
import type { VmapMetrics, WriteKind } from './metrics.js';

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
  /** Busy and lazy areas by start page. Never modify it. */
  readonly areas: BTree<number, VmapArea>;
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
}

/** Test-only hooks into the write path. */
export interface ServiceHooks {
  /**
   * Called under the writer mutex after a batch has been applied in memory
   * and before it is published: where a durable commit waits. A test can
   * stall writes here; a rejection fails the batch and rolls it back.
   */
  beforePublish?: (batchSize: number) => Promise<void>;
}

/** What VmapService needs to start. */
export interface ServiceOptions {
  readonly geometry: SpaceGeometry;
  readonly lazyMaxPages?: number;
  readonly readMode?: ReadMode;
  readonly logger: Logger;
  readonly metrics?: VmapMetrics;
  readonly hooks?: ServiceHooks;
}

type WriteOp =
  | { readonly kind: 'alloc'; readonly req: AllocRequest }
  | { readonly kind: 'free'; readonly start: number }
  | { readonly kind: 'purge' };

type WriteResult = VmapArea | FreeResult | PurgeResult;

/** Callers without an identity own what they allocate under this name. */
export const ANONYMOUS_OWNER = 'anonymous';

/** Longest caller string kept; longer ones are refused. */
export const MAX_CALLER_LENGTH = 256;

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
  private space: VmapSpace;
  private readonly mutex: WriterMutex;
  private readonly published: Published<Snapshot>;
  private readonly writes: GroupCommit<WriteOp, WriteResult>;
  private readonly logger: Logger;
  private readonly metrics: VmapMetrics | undefined;
  private readonly hooks: ServiceHooks;

  /** A service over an empty space. */
  constructor(options: ServiceOptions) {
    this.geometry = options.geometry;
    this.readMode = options.readMode ?? 'snapshot';
    this.logger = options.logger;
    this.metrics = options.metrics;
    this.hooks = options.hooks ?? {};
    this.space = new VmapSpace({
      basePage: this.geometry.basePage,
      pages: this.geometry.pages,
      lazyMaxPages: options.lazyMaxPages,
    });
    this.mutex = new WriterMutex(this.metrics);
    this.published = new Published(this.makeSnapshot(0));
    this.writes = new GroupCommit(this.mutex, (ops) => this.runBatch(ops));
  }

  /** Purge threshold in pages. */
  get lazyMaxPages(): number {
    return this.space.lazyMaxPages;
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
  async alloc(input: AllocInput): Promise<VmapArea> {
    const req = this.toAllocRequest(input);
    return (await this.submit('alloc', { kind: 'alloc', req })) as VmapArea;
  }

  /**
   * Lazily frees the area starting at `addr`.
   *
   * @throws NoSuchArea unless a busy area starts exactly there
   */
  async free(addr: bigint): Promise<FreeResult> {
    const start = this.geometry.pageAt(addr);
    if (start === undefined) throw new NoSuchArea(`trying to free nonexistent area at ${hex(addr)}`);
    return (await this.submit('free', { kind: 'free', start })) as FreeResult;
  }

  /** Returns every lazily freed area to free space. */
  async purge(): Promise<PurgeResult> {
    return (await this.submit('purge', { kind: 'purge' })) as PurgeResult;
  }

  /** The busy area containing `addr` in the current snapshot, or undefined. Lock-free. */
  find(addr: bigint): VmapArea | undefined {
    const page = this.geometry.pageContaining(addr);
    if (page === undefined) return undefined;
    const pair = this.snapshot().areas.getPairOrNextLower(page);
    if (pair === undefined) return undefined;
    const va = pair[1];
    return !va.lazy && page < va.start + va.pages ? va : undefined;
  }

  /**
   * Areas of `snapshot` in ascending order starting at or after `from` (an
   * address; below the space means its start), lazy ones only if asked.
   */
  *areas(snapshot: Snapshot, from: bigint, includeLazy: boolean): IterableIterator<VmapArea> {
    if (from >= this.geometry.end) return;
    const fromPage = from <= this.geometry.base ? 0 : Number((from - this.geometry.base + PAGE_SIZE_N - 1n) / PAGE_SIZE_N);
    for (const [, va] of snapshot.areas.entries(fromPage)) {
      if (includeLazy || !va.lazy) yield va;
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
        return this.renderRead(walkMeminfo(s.areas.values(), this.geometry.pages), s.generation);
      }
      case 'locked-walk':
        // Under the mutex no batch is half applied: the live space is exactly the published state.
        return this.mutex.run(() => this.renderRead(this.space.walkMeminfo(), this.snapshot().generation));
    }
  }

  /** Refuses new writes and waits until every accepted write has been answered. */
  async close(): Promise<void> {
    await this.writes.close();
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

  private toAllocRequest(input: AllocInput): AllocRequest {
    if (input.size === 0n) throw new InvalidArgument('size', 'must be greater than 0');
    if (input.size > this.geometry.size) {
      throw new InvalidArgument('size', `${input.size} bytes exceed the whole space (${this.geometry.size} bytes)`);
    }
    if (input.align !== 0n && (input.align & (input.align - 1n)) !== 0n) {
      throw new InvalidArgument('align', `must be 0 or a power of two, got ${input.align}`);
    }
    if (input.caller.length > MAX_CALLER_LENGTH) {
      throw new InvalidArgument('caller', `must be at most ${MAX_CALLER_LENGTH} characters`);
    }
    return {
      size: Number(input.size),
      align: Number(input.align),
      vstart: this.geometry.limitPage(input.vstart, 'vstart'),
      vend: this.geometry.limitPage(input.vend, 'vend'),
      noGuard: input.noGuard,
      caller: input.caller,
      owner: input.owner,
    };
  }

  private async submit(kind: WriteKind, op: WriteOp): Promise<WriteResult> {
    try {
      const result = await this.writes.submit(op);
      this.metrics?.write(kind, 'ok');
      return result;
    } catch (err) {
      this.metrics?.write(kind, err instanceof VmapError ? err.kind : 'error');
      throw err;
    }
  }

  private apply(op: WriteOp): WriteResult {
    switch (op.kind) {
      case 'alloc': {
        const { area, purged } = this.space.alloc(op.req);
        this.logger.debug({ op: 'alloc', addr: this.geometry.hexOf(area.start), pages: area.pages, owner: area.owner, purged: purged?.areas ?? 0 }, 'alloc');
        return area;
      }
      case 'free': {
        const result = this.space.free(op.start);
        this.logger.debug({ op: 'free', addr: this.geometry.hexOf(op.start), purged: result.purged?.areas ?? 0 }, 'free');
        return result;
      }
      case 'purge': {
        const result = this.space.purge();
        this.logger.debug({ op: 'purge', areas: result.areas, pages: result.pages }, 'purge');
        return result;
      }
    }
  }

  /** Applies one batch under the writer mutex (GroupCommit holds it for us). */
  private async runBatch(ops: readonly WriteOp[]): Promise<Outcome<WriteResult>[]> {
    const before = this.space.version;
    const outcomes: Outcome<WriteResult>[] = [];
    try {
      for (const op of ops) {
        try {
          outcomes.push({ ok: true, value: this.apply(op) });
        } catch (error) {
          if (!(error instanceof VmapError)) throw error;
          outcomes.push({ ok: false, error });
        }
      }
      if (this.space.version === before) return outcomes; // nothing changed: nothing to commit or publish
      await this.hooks.beforePublish?.(ops.length);
    } catch (error) {
      this.rollback(error);
      throw new Unavailable(`write batch failed and was rolled back: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.metrics?.batch(ops.length);
    this.published.publish(this.makeSnapshot(this.snapshot().generation + 1));
    return outcomes;
  }

  /** Puts the space back to the published (committed) state. */
  private rollback(cause: unknown): void {
    this.logger.error({ err: cause }, 'write batch failed; rolling back to the published state');
    this.space = VmapSpace.fromAreas(
      { basePage: this.geometry.basePage, pages: this.geometry.pages, lazyMaxPages: this.space.lazyMaxPages },
      this.snapshot().areas.values(),
    );
  }

  private makeSnapshot(generation: number): Snapshot {
    const meminfo = this.space.meminfo();
    return {
      generation,
      publishedAt: Date.now(),
      meminfo,
      text: renderMeminfoText(meminfo),
      json: renderMeminfoJson(meminfo, generation),
      areas: this.space.cloneAreas(),
    };
  }

  private renderRead(meminfo: MemInfo, generation: number): MeminfoRead {
    return { generation, meminfo, text: renderMeminfoText(meminfo), json: renderMeminfoJson(meminfo, generation) };
  }
}
