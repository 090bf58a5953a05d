/**
 * One node of a group of vmapd on one PostgreSQL database: the leader (it
 * holds the lease, commits writes at its epoch and renews the lease) or a
 * standby (it follows the change log into its own space, publishes each
 * batch as its own, forwards writes to the leader, and takes the lease over
 * once it expires). See store/postgres-lease.ts for why a lease row.
 *
 * One loop does it all, on one connection of its own (FollowerSession), so
 * that the lease is never renewed behind a slow commit: a standby's loop
 * wakes on each NOTIFY to apply the new batches, and on a timer to read the
 * lease; a leader's wakes on a timer to renew it.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ReplayOutOfStep } from '../service/change-replay.js';
import type { VmapService } from '../service/vmap-service.js';
import { FollowerSession, readLogAfter, CATCH_UP_BATCHES } from '../store/postgres-follower.js';
import { Deposed, readLease, releaseLease, renewLease, takeLease } from '../store/postgres-lease.js';
import { reasonOf } from '../store/postgres-failure.js';
import type { PostgresStore } from '../store/postgres-store.js';
import { LeaderForwarder } from './leader-forwarder.js';
import type pg from 'pg';
import type * as grpc from '@grpc/grpc-js';

/** What a node is now. */
export type NodeRole = 'standby' | 'leader' | 'stopped';

/** What /readyz, the health service and /metrics say of a node. */
export interface NodeStatus {
  readonly role: NodeRole;
  /** The lease epoch this node leads at, or the last one it saw. */
  readonly epoch: number;
  /** The last log position applied here (the published generation). */
  readonly position: number;
  /** Batches committed (as NOTIFYed or read) and not yet applied here. */
  readonly lagBatches: number;
  /** Where the leader is reached (its --advertise), if known. */
  readonly leader: string | null;
}

/** What a node needs. */
export interface ClusterOptions {
  readonly url: string;
  /** This node's gRPC address as the others reach it. */
  readonly advertise: string;
  /** How long a lease lasts unrenewed (ms). */
  readonly leaseMs: number;
  readonly connectMs: number;
  readonly service: VmapService;
  readonly store: PostgresStore;
  readonly logger: Logger;
  /** This node cannot go on (its memory and the database disagree): the process must restart and reload. */
  readonly onFatal: (reason: string) => void;
  /** What a standby forwards writes to the leader with (forward-credentials.ts); default: plaintext. */
  readonly forwardCredentials?: grpc.ChannelCredentials;
}

/** `status` as /readyz's second line: `role leader epoch 3 position 120 lag 0 leader 10.0.0.5:50051`. */
export function roleLine(status: NodeStatus): string {
  return `role ${status.role} epoch ${status.epoch} position ${status.position} lag ${status.lagBatches} leader ${status.leader ?? 'none'}`;
}

export class ClusterNode {
  /** Names this process in the lease row. */
  readonly id: string;
  private role: NodeRole = 'standby';
  private epoch = 0;
  private notified = 0;
  private readonly forwarder: LeaderForwarder;
  private readonly session: FollowerSession;
  private wake: (() => void) | undefined;
  /** Set by a NOTIFY: the loop applies new batches without reading the lease. */
  private changesPending = false;
  private loop: Promise<void> | undefined;
  private readonly listeners = new Set<(status: NodeStatus) => void>();

  constructor(private readonly o: ClusterOptions) {
    this.id = `${o.advertise}/${randomUUID()}`;
    this.forwarder = new LeaderForwarder(o.forwardCredentials);
    this.session = new FollowerSession(o.url, { connectMs: o.connectMs, commitMs: o.leaseMs }, o.logger, (position) => {
      this.notified = Math.max(this.notified, position);
      if (this.role !== 'standby') return;
      this.changesPending = true;
      this.wake?.();
    });
    o.store.onDeposed((d) => this.stepDown(d.message));
    o.service.readiness.describeRole(() => roleLine(this.status()));
  }

  /** The node's status now. */
  status(): NodeStatus {
    const position = this.o.service.snapshot().generation;
    return { role: this.role, epoch: this.epoch, position, lagBatches: Math.max(0, this.notified - position), leader: this.role === 'leader' ? this.o.advertise : this.forwarder.target };
  }

  /** Calls `listener` whenever the role or epoch changes. */
  onChange(listener: (status: NodeStatus) => void): void {
    this.listeners.add(listener);
  }

  /**
   * Starts as a standby and runs the first round (taking the lease at once if
   * nobody holds it), then goes on in the background.
   */
  async start(): Promise<void> {
    this.o.store.standBy();
    this.o.service.forwardWrites(this.forwarder);
    const first = await this.round();
    this.loop = this.run(first);
  }

  /** Stops the loop; a leader gives its lease up, so a standby need not wait for it to run out. Call once no write is in flight. */
  async close(): Promise<void> {
    const wasLeader = this.role === 'leader';
    this.role = 'stopped';
    this.wake?.();
    await this.loop;
    if (wasLeader) {
      try {
        await releaseLease(await this.session.acquire(), this.id, this.epoch);
        this.o.logger.info({ epoch: this.epoch }, 'lease released');
      } catch (err) {
        this.o.logger.warn({ err: reasonOf(err) }, 'could not release the lease; it runs out by itself');
      }
    }
    await this.session.end();
    this.forwarder.close();
  }

  private async run(firstWait: number): Promise<void> {
    let wait = firstWait;
    while (this.role !== 'stopped') {
      await this.sleep(wait);
      // close() may have run meanwhile.
      if ((this.role as NodeRole) === 'stopped') return;
      wait = await this.round();
    }
  }

  /** One round of the loop; resolves with how long to wait before the next. */
  private async round(): Promise<number> {
    const poll = Math.max(10, Math.floor(this.o.leaseMs / 4));
    try {
      const client = await this.session.acquire();
      if (this.role === 'leader') {
        await renewLease(client, this.id, this.epoch, this.o.leaseMs);
        return poll;
      }
      const onlyChanges = this.changesPending;
      this.changesPending = false;
      await this.catchUp(client);
      if (onlyChanges) return poll;
      const lease = await readLease(client);
      const before = `${this.epoch} ${this.forwarder.target}`;
      this.epoch = lease.epoch;
      this.forwarder.setLeader(lease.holder === this.id ? null : lease.advertise);
      // /readyz shows the epoch and the leader: tell it of a new one.
      if (`${this.epoch} ${this.forwarder.target}` !== before) this.changed();
      if (lease.msLeft > 0) return Math.min(poll, Math.ceil(lease.msLeft) + 1);
      const epoch = await takeLease(client, this.id, this.o.advertise, this.o.leaseMs);
      if (epoch === undefined) return 0; // another standby took it first: read who
      await this.promote(client, epoch);
      return poll;
    } catch (err) {
      if (err instanceof Deposed) {
        this.stepDown(err.message);
        return 0;
      }
      if (err instanceof ReplayOutOfStep) {
        this.role = 'stopped';
        this.o.onFatal(`following the change log failed: ${err.message}`);
        return poll;
      }
      this.o.logger.warn({ role: this.role, err: reasonOf(err) }, 'reading the lease or the change log failed; trying again');
      this.session.discard();
      return poll;
    }
  }

  /** Applies every batch committed after this node's position, in order. */
  private async catchUp(client: pg.ClientBase): Promise<void> {
    for (;;) {
      const from = this.o.service.snapshot().generation;
      const batches = await readLogAfter(client, from);
      for (const b of batches) {
        await this.o.service.applyCommitted(b.position, b.changes);
        this.o.store.followed(b.position);
        this.notified = Math.max(this.notified, b.position);
      }
      if (batches.length < CATCH_UP_BATCHES) return;
    }
  }

  /**
   * This node took the lease at `epoch`: the old leader can commit nothing
   * any more (its commits check the epoch), so the log's end is final; catch
   * up to it, and only then take writes.
   */
  private async promote(client: pg.ClientBase, epoch: number): Promise<void> {
    this.epoch = epoch;
    // Not to the old leader any more, and not here yet: "no leader now; retry".
    this.forwarder.setLeader(null);
    await this.catchUp(client);
    const position = this.o.service.snapshot().generation;
    this.o.store.lead(epoch, position);
    this.role = 'leader';
    this.o.service.forwardWrites(null);
    // Writes waiting for a leader: this node is it.
    this.forwarder.wake();
    this.o.logger.info({ epoch, position, writer: this.o.store.writerId }, 'took the lease: leading');
    this.changed();
  }

  /** Another node took the lease: follow it from the last position committed here. */
  private stepDown(reason: string): void {
    if (this.role !== 'leader') return;
    this.o.logger.warn({ epoch: this.epoch, reason }, 'lost the lease: standing by');
    this.role = 'standby';
    this.o.store.standBy();
    this.forwarder.setLeader(null);
    this.o.service.forwardWrites(this.forwarder);
    if (this.o.store.broken) {
      this.role = 'stopped';
      this.o.onFatal('the store is broken (memory and database disagree) and this node lost the lease; restarting reloads the database');
      return;
    }
    this.changed();
    this.wake?.();
  }

  private changed(): void {
    this.o.service.readiness.roleChanged();
    const status = this.status();
    for (const listener of this.listeners) listener(status);
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.changesPending) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    }).finally(() => {
      this.wake = undefined;
    });
  }
}
