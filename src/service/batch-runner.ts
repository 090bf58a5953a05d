/**
 * One write batch from start to publication, under the writer mutex (group
 * commit holds it): applied to the space (WriteBatch), committed to the
 * store, then published as a new snapshot, or undone in O(the batch) when
 * anything fails. The service composes it; this is the order of the steps.
 */
import type { Outcome } from '../sync/group-commit.js';
import type { Published } from '../sync/published.js';
import { messageOf } from '../vmap/errors.js';
import type { Change, Store } from '../store/store.js';
import { Unavailable } from './errors.js';
import type { VmapMetrics } from './metrics.js';
import type { Readiness } from './readiness.js';
import type { ServiceHooks } from './service-options.js';
import { takeSnapshot, type Snapshot } from './snapshot.js';
import type { StoreHealth } from './store-health.js';
import { WriteBatch, type BatchContext } from './write-batch.js';
import type { WriteOp, WriteResult } from './write-op.js';

/** Told of each published snapshot and the committed changes that made it. */
export type PublishListener = (snapshot: Snapshot, changes: readonly Change[]) => void;

/** What a batch works on: the service's parts (a WriteBatch's context, and what commits and publishes it). */
export interface BatchParts extends Omit<BatchContext, 'afterApply'> {
  readonly hooks: ServiceHooks;
  readonly store: Store;
  readonly health: StoreHealth;
  readonly readiness: Readiness;
  readonly metrics: VmapMetrics | undefined;
  readonly published: Published<Snapshot>;
  /** Whether this node forwards its writes (it stood down): a failed commit then says nothing of its store. */
  readonly forwarding: () => boolean;
}

/** Runs batches and publishes them; see the module comment. */
export class BatchRunner {
  /** Told of each published snapshot (the HTTP threads follow them). */
  private readonly listeners = new Set<PublishListener>();

  /** A runner over `p`. */
  constructor(private readonly p: BatchParts) {}

  /** See VmapService.onPublish. */
  onPublish(listener: PublishListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Applies, commits and publishes `ops` as one batch; what goes wrong is undone (see WriteBatch). */
  async run(ops: readonly WriteOp[]): Promise<Outcome<WriteResult>[]> {
    const p = this.p;
    // Queued before the store was known full: refused without trying it.
    const refusal = p.health.refusal();
    if (refusal !== null) return ops.map(() => ({ ok: false, error: refusal }));
    const batch = new WriteBatch({ ...p, afterApply: p.hooks.afterApply }, ops);
    try {
      if (batch.changes.length === 0) return batch.outcomes; // nothing changed: nothing to commit or publish
      await p.hooks.beforeCommit?.(ops.length, ops.flatMap((op) => (op.deadline === undefined ? [] : [op.deadline])));
      // The deadlines once more, just before the commit: a write whose client
      // gave up meanwhile is left out.
      batch.dropLate();
      if (batch.changes.length === 0) return batch.outcomes;
      await p.store.commit(batch.changes);
    } catch (error) {
      batch.undo();
      p.logger.error({ err: error }, 'write batch not committed; undone');
      // A node that stood down meanwhile (the commit found the lease taken)
      // forwards its writes now: that failure says nothing of its store.
      const answer = p.forwarding() ? new Unavailable(`write not applied: ${messageOf(error)}`) : p.health.failed(error);
      p.readiness.changed();
      throw answer;
    } finally {
      batch.close();
    }
    p.health.committed();
    p.readiness.changed();
    p.metrics?.batch(ops.length);
    this.publish(p.published.current().generation + 1, batch.changes);
    return batch.outcomes;
  }

  /** Publishes the space as it is now as `generation`, made by `changes`, and tells the listeners. */
  publish(generation: number, changes: readonly Change[]): void {
    const snapshot = takeSnapshot(this.p.space, generation);
    this.p.published.publish(snapshot);
    for (const listener of this.listeners) listener(snapshot, changes);
  }
}
