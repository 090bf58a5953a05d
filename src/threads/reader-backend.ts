/**
 * The HTTP edge's backend on a reader thread. /meminfo comes from the
 * seqlock the writer publishes into; /vmallocinfo, the area lookup and the
 * `rcu-walk` walk come from the thread's own replica of the area list; writes
 * and the `locked-walk` walk go to the writer by message.
 *
 * Before a replica read, the replica catches up with the published
 * generation by taking the change batches already queued on its port
 * synchronously (receiveMessageOnPort): the writer queues a batch's changes
 * before it publishes the batch, and publishes before it answers, so a
 * client that wrote and then reads on any thread sees its write, and the
 * catch-up never waits for the writer.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { Identity } from '../auth/tokens.js';
import type { HttpBackend } from '../http/backend.js';
import type { ActivitySample } from '../service/activity-view.js';
import type { AllocInput } from '../service/alloc-input.js';
import type { AreaView, FreeView, PurgeView } from '../service/area-view.js';
import type { CallContext } from '../service/call-context.js';
import { MAP_TOP_HOLDERS, mapQuery, renderMap, type MapRequest, type MapViewer } from '../service/map-view.js';
import { readInMode, type MeminfoReads, type ReadMode } from '../service/read-modes.js';
import { meminfoRead, type MeminfoRead } from '../service/snapshot.js';
import { areasOf, findArea } from '../service/snapshot-reads.js';
import { ANONYMOUS } from '../auth/tokens.js';
import type { ActivityTotals } from '../sync/activity-tally.js';
import { spaceMap } from '../vmap/space-map.js';
import type { SpaceGeometry } from '../vmap/geometry.js';
import { walkMeminfo } from '../vmap/meminfo.js';
import { AreaReplica, ReplicaFill, ReplicaOutOfStep } from './area-replica.js';
import { EncodedAreas, type AreaCursor } from '../store/area-list-codec.js';
import { ChangeCodecError, decodeChanges } from '../store/change-codec.js';
import type { ChangeMessage } from './protocol.js';
import type { PublishedMeminfo, PublishedReadiness } from './publication.js';
import type { WriterLink } from './writer-link.js';

/** Areas of the stream's whole list made per background turn (a few ms). */
const FILL_SLICE = 20_000;

/**
 * The replica and the port that feeds it. The port has no listener: its
 * messages wait in its queue until taken, one per event-loop turn in the
 * background (after each publish the writer rings on the parent port), or
 * all at once when a read needs the replica current.
 */
export class ChangeFeed {
  readonly replica = new AreaReplica();
  /** Whether a background slice is scheduled. */
  private scheduled = false;
  /**
   * Whether the stream's first message, the whole list, is applied. Until
   * then the replica's generation says nothing: an empty replica at
   * generation 0 is not the published generation 0 of a restarted vmapd.
   */
  private filled = false;

  /**
   * The stream's whole list being made into areas, FILL_SLICE per turn in
   * the background (a read that needs the replica finishes it at once), and
   * what comes after it waits its turn. A million areas are about a second
   * of this thread's time: taken in one piece before the thread listens,
   * they held its listen back that long on a restart; taken in one piece
   * after, they would stall its first second, and the load shedding that
   * watches the event loop would answer 503 to the first reads. In slices,
   * the thread listens and answers what needs no replica (/meminfo in
   * snapshot mode, /healthz, /readyz) meanwhile.
   */
  private filling: { readonly generation: number; readonly cursor: AreaCursor; readonly fill: ReplicaFill } | null = null;

  /** The stream, once attached: a thread may build its server before it has one. */
  private port: MessagePort | null = null;
  /** This thread's word of the pool's nudge flags (reader-memory.ts), once given. */
  private nudge: { readonly words: Int32Array; readonly index: number } | null = null;

  /**
   * `outOfStep` is told when the stream no longer fits the replica (a lost
   * or repeated batch: a bug); it must end the thread. Fed from `port`, or
   * (null) from the port `attach` gives it later: a thread may build its
   * server before it has its stream, and listens only once it has.
   */
  constructor(
    port: MessagePort | null,
    private readonly outOfStep: (err: ReplicaOutOfStep) => never,
  ) {
    if (port !== null) this.attach(port);
  }

  /** Feeds the replica from `port`: what is queued already (the whole list first) is taken from now on, in the background. */
  attach(port: MessagePort): void {
    if (this.port !== null) throw new Error('a change feed takes one stream');
    this.port = port;
    this.queued();
  }

  /** Whether it has its stream. */
  get attached(): boolean {
    return this.port !== null;
  }

  /**
   * Clears word `index` of `words` whenever it finds the stream empty: the
   * writer nudges this thread (`changesQueued`) only when the word was clear,
   * once per wait rather than once per batch.
   */
  nudgedBy(words: Int32Array, index: number): void {
    this.nudge = { words, index };
  }

  /** Whether the background takes nothing for now (pause). */
  private paused = false;

  /** New messages are queued: take them in the background, one per turn. */
  queued(): void {
    if (this.scheduled || this.paused) return;
    this.scheduled = true;
    setImmediate(() => this.slice());
  }

  /**
   * Stops taking messages in the background until `resume` (a read still
   * takes what it needs): the thread builds its server and listens first,
   * rather than between slices of the list.
   */
  pause(): void {
    this.paused = true;
  }

  /** Takes queued messages in the background again. */
  resume(): void {
    this.paused = false;
    this.queued();
  }

  /** Brings the replica to `generation` from what is queued. */
  catchUp(generation: number): AreaReplica {
    if (!this.filled || this.replica.generation < generation) this.drain();
    if (!this.filled || this.replica.generation < generation) {
      // The writer queues a batch before it publishes it: this cannot happen unless a message was lost.
      this.outOfStep(new ReplicaOutOfStep(`${this.filled ? '' : 'no area list: '}replica at generation ${this.replica.generation} after draining, published ${generation}`));
    }
    return this.replica;
  }

  private slice(): void {
    this.scheduled = false;
    if (!this.paused && this.takeOne(FILL_SLICE)) this.queued();
  }

  /** Applies every message already queued, never waiting for one. */
  private drain(): void {
    while (this.takeOne(Infinity)) {
      // each turn applies one message (or the rest of the list)
    }
  }

  /** Applies the next queued message, or `slice` more areas of the list being filled; false when nothing is queued. */
  private takeOne(slice: number): boolean {
    try {
      if (this.filling === null) {
        if (this.port === null) return false;
        let received = receiveMessageOnPort(this.port);
        if (received === undefined) {
          // Empty: let the writer nudge again, then look once more, for what it posted before it saw the flag still set.
          const n = this.nudge;
          if (n === null || Atomics.exchange(n.words, n.index, 0) === 0) return false;
          received = receiveMessageOnPort(this.port);
          if (received === undefined) return false;
        }
        const m = received.message as ChangeMessage;
        if (m.type === 'changes') {
          this.replica.apply(decodeChanges(m.changes), m.generation, m.last);
          return true;
        }
        this.filling = { generation: m.generation, cursor: new EncodedAreas(m.areas).cursor(), fill: new ReplicaFill() };
      }
      const f = this.filling;
      if (f.cursor.take(slice, (va) => f.fill.add(va))) {
        this.filling = null;
        this.replica.install(f.fill, f.generation);
        this.filled = true;
      }
    } catch (err) {
      if (err instanceof ReplicaOutOfStep) this.outOfStep(err);
      if (err instanceof ChangeCodecError) this.outOfStep(new ReplicaOutOfStep(`change stream unreadable: ${err.message}`));
      throw err;
    }
    return true;
  }
}

/** Maps kept per generation: the same view asked for by several pages is made once. */
const MAP_CACHE_ENTRIES = 32;

export class ReaderBackend implements HttpBackend {
  /** Bodies of the maps made for the generation `mapsOf`, by query and viewer. */
  private readonly maps = new Map<string, string>();
  private mapsOf = -1;

  constructor(
    readonly readMode: ReadMode,
    private readonly geometry: SpaceGeometry,
    private readonly meminfo: PublishedMeminfo,
    private readonly readiness: PublishedReadiness,
    private readonly feed: ChangeFeed,
    private readonly writer: WriterLink,
    private readonly totals: ActivityTotals,
  ) {}

  published(): MeminfoRead {
    return this.meminfo.read();
  }

  /** The three meminfo reads, made once: readMeminfo is the hot path. */
  private readonly reads: MeminfoReads<MeminfoRead> = {
    published: () => this.published(),
    // The seed's RCU walk: the whole ordered list, on this thread, while the writer writes.
    walk: () => {
      const replica = this.current();
      return meminfoRead(walkMeminfo(replica.view(), this.geometry.pages), replica.generation);
    },
    locked: () => this.writer.call('lockedMeminfo', {}),
  };

  readMeminfo(): MeminfoRead | Promise<MeminfoRead> {
    return readInMode(this.readMode, this.reads);
  }

  areas(from: bigint, includeLazy: boolean, identity: Identity): IterableIterator<AreaView> {
    return areasOf(this.geometry, this.current().view(), from, includeLazy, identity);
  }

  map(request: MapRequest, viewer: MapViewer): string {
    const query = mapQuery(this.geometry, request);
    const replica = this.current();
    if (this.mapsOf !== replica.generation) {
      this.maps.clear();
      this.mapsOf = replica.generation;
    }
    const key = `${query.from} ${query.to} ${query.buckets} ${viewer === null ? '-' : viewer.admin ? '*' : `=${viewer.owner}`}`;
    let body = this.maps.get(key);
    if (body === undefined) {
      const top = viewer === null ? null : replica.topHolders(viewer, MAP_TOP_HOLDERS);
      body = renderMap(this.geometry, spaceMap(replica.view(), query.from, query.to, query.buckets), replica.generation, top);
      if (this.maps.size >= MAP_CACHE_ENTRIES) this.maps.delete(this.maps.keys().next().value!);
      this.maps.set(key, body);
    }
    return body;
  }

  activity(): ActivitySample {
    const { generation, meminfo } = this.meminfo.read();
    return { generation, meminfo, at: Date.now(), ...this.totals.read() };
  }

  find(addr: bigint, identity: Identity): AreaView | undefined {
    return findArea(this.geometry, this.current().view(), addr, identity);
  }

  alloc(input: AllocInput, ctx: CallContext): Promise<AreaView> {
    return this.writer.call('alloc', { input, identity: ctx.identity ?? ANONYMOUS, ...authorizationOf(ctx) });
  }

  free(addr: bigint, ctx: CallContext): Promise<FreeView> {
    return this.writer.call('free', { addr, identity: ctx.identity ?? ANONYMOUS, ...authorizationOf(ctx) });
  }

  purge(ctx: CallContext): Promise<PurgeView> {
    return this.writer.call('purge', { identity: ctx.identity ?? ANONYMOUS, ...authorizationOf(ctx) });
  }

  notReadyReason(): string | null {
    return this.readiness.reason();
  }

  roleLine(): string | null {
    return this.readiness.role();
  }

  metrics(): Promise<{ contentType: string; body: string }> {
    return this.writer.call('metrics', {});
  }

  /** The replica, caught up with the published generation. */
  private current(): AreaReplica {
    return this.feed.catchUp(this.meminfo.generation);
  }
}

/** The client's `authorization`, when it sent one, for the writer to forward with a write (plain data: no undefined field to clone). */
function authorizationOf(ctx: CallContext): { authorization?: string } {
  return ctx.authorization === undefined ? {} : { authorization: ctx.authorization };
}
