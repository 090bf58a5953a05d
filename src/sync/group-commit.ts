import type { WriterMutex } from './writer-mutex.js';

/** What a write is refused with at once: the owner's errors (the sync layer declares none). */
export interface Refusals {
  /** After close(). */
  closed(): Error;
  /** When `pending` writes already wait. */
  full(pending: number): Error;
}

/** How one operation of a batch ended. */
export type Outcome<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/** Applies a batch of operations under the writer mutex; one outcome per operation, in order. */
export type BatchRunner<Op, R> = (ops: readonly Op[]) => Promise<Outcome<R>[]>;

interface Entry<Op, R> {
  readonly op: Op;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit behind the writer mutex. A write joins the pending queue; one
 * leader waits for the mutex on behalf of everything pending and, once it
 * holds it, runs all of it as one batch (one durable commit, one publish).
 * Writes that arrive meanwhile queue for the next batch. Batches run strictly
 * one after another, in arrival order, each holding the mutex throughout.
 */
export class GroupCommit<Op, R> {
  private pending: Entry<Op, R>[] = [];
  private leaderQueued = false;
  private closed = false;
  /** Settles when the last batch scheduled so far has run. */
  private tail: Promise<void> = Promise.resolve();

  private readonly maxBatch: number;
  private readonly maxPending: number;

  /**
   * @param mutex the writer mutex every batch holds
   * @param runBatch applies one batch; if it throws, every write of the batch fails with that error
   * @param refusals the errors of a write refused at once
   * @param limits `maxBatch`: most operations in one batch; `maxPending`: most
   *   waiting for their batch, beyond which writes are refused at once
   */
  constructor(
    private readonly mutex: WriterMutex,
    private readonly runBatch: BatchRunner<Op, R>,
    private readonly refusals: Refusals,
    limits: { maxBatch?: number; maxPending?: number } = {},
  ) {
    this.maxBatch = limits.maxBatch ?? 4096;
    this.maxPending = limits.maxPending ?? Infinity;
  }

  /** Whether close() was called: new writes are refused. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes waiting for their batch. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Queues `op`; settles once its batch has been applied, committed and published. */
  submit(op: Op): Promise<R> {
    if (this.closed) return Promise.reject(this.refusals.closed());
    if (this.pending.length >= this.maxPending) {
      return Promise.reject(this.refusals.full(this.pending.length));
    }
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ op, resolve, reject });
      if (!this.leaderQueued) this.lead();
    });
  }

  /** Refuses new writes, then waits until every write already queued has been answered. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pending.length > 0 || this.leaderQueued) await this.tail;
    await this.tail;
  }

  private lead(): void {
    this.leaderQueued = true;
    this.tail = this.mutex.run(async () => {
      this.leaderQueued = false;
      const batch = this.pending.length <= this.maxBatch ? this.pending : this.pending.slice(0, this.maxBatch);
      this.pending = this.pending.length <= this.maxBatch ? [] : this.pending.slice(this.maxBatch);
      if (this.pending.length > 0) this.lead();
      let outcomes: Outcome<R>[];
      try {
        outcomes = await this.runBatch(batch.map((e) => e.op));
      } catch (error) {
        for (const e of batch) e.reject(error);
        return;
      }
      for (let i = 0; i < batch.length; i++) {
        const o = outcomes[i];
        const e = batch[i]!;
        if (o === undefined) e.reject(new Error('batch runner returned too few outcomes'));
        else if (o.ok) e.resolve(o.value);
        else e.reject(o.error);
      }
    });
  }
}
