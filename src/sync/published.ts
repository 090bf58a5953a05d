/**
 * One published value, the analogue of an RCU-protected pointer: the writer
 * replaces it whole (`publish`, like rcu_assign_pointer) and a reader takes
 * whatever is current (`current`, like rcu_dereference) without any lock.
 * A value must never change once published; the garbage collector reclaims
 * an old one when the last reader drops it, which is this world's kfree_rcu.
 */
export class Published<T extends object> {
  private value: T;

  /** Starts with `initial` published. */
  constructor(initial: T) {
    this.value = Object.freeze(initial);
  }

  /** The value readers see from now on; frozen so no one can change it later. */
  publish(next: T): void {
    this.value = Object.freeze(next);
  }

  /** The current value. */
  current(): T {
    return this.value;
  }
}
