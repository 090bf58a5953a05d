import type { Logger } from 'pino';
import type { Outcome } from '../sync/group-commit.js';
import type { Change } from '../store/store.js';
import { PermissionDenied } from '../auth/errors.js';
import { DeadlineExceeded, InternalFault } from './errors.js';
import { InvalidArgument, NoSuchArea, OutOfSpace, VmapError } from '../vmap/errors.js';
import type { SpaceGeometry } from '../vmap/geometry.js';
import { pagesFor } from '../vmap/page.js';
import type { AllocRequest, FreeResult, PurgeResult } from '../vmap/requests.js';
import type { VmapSpace } from '../vmap/space.js';
import type { VmapArea } from '../vmap/vmap-area.js';
import type { OwnerIndex } from './owner-index.js';
import type { Quotas } from './quotas.js';
import type { WriteOp, WriteResult } from './write-op.js';

/** What a batch works on: the live space and what follows it. */
export interface BatchContext {
  readonly space: VmapSpace;
  readonly owners: OwnerIndex;
  readonly quotas: Quotas;
  readonly geometry: SpaceGeometry;
  readonly logger: Logger;
  /** Whether per-write debug lines are logged (the alloc path is hot: a line costs an address string). */
  readonly debug: boolean;
  /** Test-only: called with each write's result (see ServiceHooks.afterApply). */
  readonly afterApply?: (result: unknown) => void;
}

/** Where one write began: its place in the space's journal and in the change list. */
interface Mark {
  readonly journal: number;
  readonly changes: number;
}

/**
 * One group-commit batch being applied: each write's outcome, the change
 * records the store is to commit, and where each write began in the space's
 * journal, so that any write (with what came after it) can be undone and the
 * rest applied again, in O(the batch). Open from construction to close().
 */
export class WriteBatch {
  /** One per write, in order. */
  readonly outcomes: Outcome<WriteResult>[];
  /** The changes of the writes that stand, in order: what the store commits. */
  readonly changes: Change[] = [];
  private readonly marks: Mark[];

  constructor(
    private readonly ctx: BatchContext,
    private readonly ops: readonly WriteOp[],
  ) {
    this.outcomes = new Array<Outcome<WriteResult>>(ops.length);
    this.marks = new Array<Mark>(ops.length);
    ctx.space.beginJournal();
    this.applyFrom(0);
  }

  /**
   * Leaves out every write whose deadline has passed by `now` (its client
   * gave up): undoes from the first such write on and applies the others
   * after it again. Called just before the commit.
   */
  dropLate(now = Date.now()): void {
    const late = this.ops.findIndex((op, i) => this.outcomes[i]!.ok && op.deadline !== undefined && now > op.deadline);
    if (late < 0) return;
    this.undoTo(this.marks[late]!);
    this.applyFrom(late);
  }

  /** Undoes the whole batch (the store did not commit it). */
  undo(): void {
    this.undoTo({ journal: 0, changes: 0 });
  }

  /** Ends the journal: what stands now, stands. */
  close(): void {
    this.ctx.space.endJournal();
  }

  /**
   * Applies `ops[from…]`. A VmapError is that write's answer; anything else
   * is a bug, which must not become an outage: that write alone is undone and
   * answered INTERNAL, the rest go on.
   */
  private applyFrom(from: number): void {
    for (let i = from; i < this.ops.length; i++) {
      const mark = { journal: this.ctx.space.journalMark, changes: this.changes.length };
      this.marks[i] = mark;
      try {
        const value = this.apply(this.ops[i]!);
        this.ctx.afterApply?.(value);
        this.outcomes[i] = { ok: true, value };
      } catch (error) {
        if (error instanceof VmapError) {
          this.outcomes[i] = { ok: false, error };
          continue;
        }
        this.ctx.logger.error({ err: error, op: this.ops[i]!.kind }, 'a write failed on an unexpected error; it alone was undone');
        this.undoTo(mark);
        this.outcomes[i] = { ok: false, error: new InternalFault() };
      }
    }
  }

  /** Undoes every change since `mark`: in the space, in the owner index, in the change list. */
  private undoTo(mark: Mark): void {
    const { space, owners } = this.ctx;
    space.undoTo(
      mark.journal,
      (va) => owners.add(va),
      (va) => owners.remove(va),
    );
    this.changes.length = mark.changes;
  }

  private apply(op: WriteOp): WriteResult {
    if (op.deadline !== undefined && Date.now() > op.deadline) {
      throw new DeadlineExceeded('the deadline passed before the write could be applied; it was not');
    }
    switch (op.kind) {
      case 'alloc':
        return this.alloc(op.req);
      case 'allocBatch':
        return this.allocBatch(op.reqs);
      case 'free':
        return this.free(op.start, op.owner);
      case 'purge':
        return this.purge();
    }
  }

  private alloc(req: AllocRequest): VmapArea {
    const { space, owners, geometry } = this.ctx;
    const owner = req.owner ?? '';
    const pages = pagesFor(req.size) + (req.noGuard ? 0 : 1);
    if (req.requestId) {
      const start = owners.lookup(owner, req.requestId);
      if (start !== undefined) {
        // A retry: the same area again, provided it asks for the same thing.
        const va = space.areaAt(start)!;
        if (va.pages !== pages || va.guard === req.noGuard || va.caller !== (req.caller ?? '')) {
          throw new InvalidArgument('request_id', `already names the live area at ${geometry.hexOf(start)}, which differs from this request`);
        }
        return va;
      }
    }
    this.ctx.quotas.check(owner, owners.usageOf(owner), pages);
    const before = space.version;
    let result: ReturnType<VmapSpace['alloc']>;
    try {
      result = space.alloc(req);
    } catch (err) {
      // Out of space after purging: the purge stands (as in the kernel), so it
      // must reach the store and the readers like any other change.
      if (space.version !== before) this.changes.push({ op: 'purge' });
      throw err;
    }
    const { area, purged } = result;
    if (purged !== null) this.changes.push({ op: 'purge' });
    this.changes.push({ op: 'insert', area });
    owners.add(area);
    if (this.ctx.debug) this.ctx.logger.debug({ op: 'alloc', addr: geometry.hexOf(area.start), pages: area.pages, owner: area.owner, purged: purged?.areas ?? 0 }, 'alloc');
    return area;
  }

  private allocBatch(reqs: readonly AllocRequest[]): readonly VmapArea[] {
    const made: VmapArea[] = [];
    /** The areas this batch created (a retried request id returns an older one). */
    const created: VmapArea[] = [];
    for (let i = 0; i < reqs.length; i++) {
      try {
        const inserts = this.changes.length;
        const va = this.alloc(reqs[i]!);
        made.push(va);
        if (this.changes.length > inserts) created.push(va);
      } catch (err) {
        // All or none: give back what this batch took, newest first.
        for (const va of created.reverse()) this.release(va);
        if (err instanceof InvalidArgument) throw new InvalidArgument(`requests[${i}].${err.field}`, err.message.slice(err.field.length + 2));
        if (err instanceof OutOfSpace) throw new OutOfSpace(`requests[${i}]: ${err.message}`);
        throw err;
      }
    }
    return made;
  }

  private release(va: VmapArea): void {
    this.ctx.space.release(va.start);
    this.changes.push({ op: 'delete', start: va.start });
    this.ctx.owners.remove(va);
  }

  private free(start: number, owner: string | null): FreeResult {
    const { space, geometry } = this.ctx;
    const va = space.areaAt(start);
    if (va === undefined || va.lazy) throw new NoSuchArea(`trying to free nonexistent area at ${geometry.hexOf(start)}`);
    if (owner !== null && va.owner !== owner) throw new PermissionDenied(`the area at ${geometry.hexOf(start)} belongs to another owner`);
    const result = space.free(start);
    this.ctx.owners.remove(va);
    this.changes.push({ op: 'lazy', start });
    if (result.purged !== null) this.changes.push({ op: 'purge' });
    if (this.ctx.debug) this.ctx.logger.debug({ op: 'free', addr: geometry.hexOf(start), purged: result.purged?.areas ?? 0 }, 'free');
    return result;
  }

  private purge(): PurgeResult {
    const result = this.ctx.space.purge();
    if (result.areas > 0) this.changes.push({ op: 'purge' });
    this.ctx.logger.debug({ op: 'purge', areas: result.areas, pages: result.pages }, 'purge');
    return result;
  }
}
