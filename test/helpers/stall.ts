/**
 * A test-only stall of the write path: once armed, the next batch that
 * changes the space stops in `beforeCommit` (holding the writer mutex,
 * where a durable commit waits) until `release()`.
 */
export class Stall {
  private armed = false;
  private enteredResolve: () => void = () => {};
  private releaseResolve: () => void = () => {};
  /** Settles when an armed batch has stopped in the hook. */
  entered: Promise<void> = Promise.resolve();
  /** The deadlines (epoch ms, as the server holds them) of the writes in the stalled batch. */
  deadlines: readonly number[] = [];

  /** The hook to pass to the service. */
  readonly hook = async (_size: number, deadlines: readonly number[]): Promise<void> => {
    if (!this.armed) return;
    this.armed = false;
    this.deadlines = deadlines;
    const released = new Promise<void>((resolve) => (this.releaseResolve = resolve));
    this.enteredResolve();
    await released;
  };

  /** Stalls the next batch. */
  arm(): void {
    this.armed = true;
    this.entered = new Promise<void>((resolve) => (this.enteredResolve = resolve));
  }

  /** Lets the stalled batch go on. */
  release(): void {
    this.releaseResolve();
  }
}
