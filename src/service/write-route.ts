/**
 * Where a write goes: committed on this node when it leads (or runs alone),
 * else forwarded to the leader. During a failover there is no leader to
 * send it to for a moment; rather than fail at once, the write waits for the
 * next one, until its deadline, and goes wherever writes go then (this node,
 * if it took over meanwhile).
 */
import type { CallContext } from './call-context.js';
import { NoLeader } from './errors.js';
import type { Readiness } from './readiness.js';
import type { StoreHealth } from './store-health.js';
import type { WriteForwarder } from './write-forwarder.js';

/** How long a write without a deadline waits for a leader during a failover. */
const FORWARD_WAIT_MS = 10_000;
/** A leader that cannot be connected to yet is tried again this often (it may be restarting). */
const NO_LEADER_RETRY_MS = 250;

/**
 * Runs `local` while `current()` is null, else `forward` through it; on
 * NoLeader (the write was never sent) waits for the next leader and tries
 * again, until the deadline or until `closed()`.
 */
export async function routeWrite<T>(
  current: () => WriteForwarder | null,
  ctx: CallContext,
  forward: (f: WriteForwarder) => Promise<T>,
  local: () => Promise<T>,
  closed: () => boolean,
): Promise<T> {
  const until = ctx.deadline ?? Date.now() + FORWARD_WAIT_MS;
  for (;;) {
    const f = current();
    if (f === null) return local();
    try {
      return await forward(f);
    } catch (err) {
      const left = until - Date.now();
      if (!(err instanceof NoLeader) || left <= 0 || closed()) throw err;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([f.nextLeader(), new Promise((resolve) => (timer = setTimeout(resolve, Math.min(left, NO_LEADER_RETRY_MS))))]);
      clearTimeout(timer);
    }
  }
}

/**
 * A service's write route: its forwarder while this node stands by (every
 * write goes to the leader), none while it leads or runs alone.
 */
export class WriteRoute {
  private forwarder: WriteForwarder | null = null;

  /** `closed` says the service takes no more writes. */
  constructor(
    private readonly health: StoreHealth,
    private readonly readiness: Readiness,
    private readonly closed: () => boolean,
  ) {}

  /** Whether writes are committed on this node (no forwarder). */
  get leading(): boolean {
    return this.forwarder === null;
  }

  /**
   * Sends every write to `forwarder` from now on, or (null) commits them
   * here again. What the store failed with before no longer says anything
   * about writes: forgotten. The role changed: readiness hears it.
   */
  forwardTo(forwarder: WriteForwarder | null): void {
    this.forwarder = forwarder;
    this.health.committed();
    this.readiness.roleChanged();
  }

  /** A write, committed here (`local`) or forwarded to the leader (see routeWrite). */
  run<T>(ctx: CallContext, forward: (f: WriteForwarder) => Promise<T>, local: () => Promise<T>): Promise<T> {
    return routeWrite(() => this.forwarder, ctx, forward, local, this.closed);
  }
}
