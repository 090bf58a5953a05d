import { PAGE_SIZE } from '../vmap/page.js';
import type { AreaList, VmapArea } from '../vmap/vmap-area.js';
import { LAZY, type EncodedAreaList } from '../store/area-list-codec.js';

/** An owner's busy areas and the bytes they reserve. */
export interface Usage {
  readonly bytes: number;
  readonly areas: number;
}

const NONE: Usage = { bytes: 0, areas: 0 };

/** Areas indexed per background turn by settleInBackground (a few ms). */
const SETTLE_SLICE = 20_000;

/**
 * What the service keeps per owner of busy areas: the live request ids (an
 * idempotency key names its area while the area is busy) and the usage that
 * quotas are checked against. Derived from the busy areas alone, so a write
 * undone is undone here by the same add/remove.
 */
export class OwnerIndex {
  /**
   * Per owner, request id → start page of the busy area. Two levels rather
   * than one `owner \n request_id` key: a million recovered keys cost a
   * million concatenated strings to build and hash, where the owner (one
   * interned string) hashes once and the request id as it came.
   */
  private readonly requestIds = new Map<string, Map<string, number>>();
  private readonly usage = new Map<string, { bytes: number; areas: number }>();
  /**
   * Busy areas counted in `usage` whose request ids are not in `requestIds`
   * yet (see `of`): an immutable list, indexed before anything reads or
   * changes `requestIds`.
   */
  private unindexed: Pick<AreaList, 'each' | 'from'> | null = null;
  /** Where `settleSome` got to in `unindexed` (the list never changes, so the walk can wait between turns). */
  private walk: Iterator<VmapArea> | null = null;

  /** An index of `areas` (lazy ones are skipped: they belong to nobody any more). */
  constructor(areas: Iterable<VmapArea> = []) {
    for (const va of areas) if (!va.lazy) this.add(va);
  }

  /**
   * An index of the busy areas of `list`, which must never change (a
   * space's view); `columns`, when given, must hold the same areas (they
   * are counted from them). The usage is counted at once; the request ids, a Map of
   * every keyed area (about 0.3 s for a million), on first need or `settle`,
   * so a restart need not wait for them: no lookup, add or remove runs
   * before they are in.
   */
  static of(list: Pick<AreaList, 'each' | 'from'>, columns?: EncodedAreaList): OwnerIndex {
    const index = new OwnerIndex();
    if (columns !== undefined) index.countColumns(columns);
    else {
      list.each((va) => {
        if (!va.lazy) index.count(va, 1);
      });
    }
    index.unindexed = list;
    return index;
  }

  /**
   * Counts the busy areas of `c`, the same areas as the list `of` was given
   * in columns (as the store recovered them): a loop over two typed arrays,
   * where walking the list visits a million objects (about 0.15 s).
   */
  private countColumns(c: EncodedAreaList): void {
    const bytes = new Float64Array(c.texts.length);
    const areas = new Float64Array(c.texts.length);
    const { flags, owners, pages } = c;
    for (let i = 0; i < owners.length; i++) {
      if ((flags[i]! & LAZY) !== 0) continue;
      const o = owners[i]!;
      bytes[o]! += pages[i]! * PAGE_SIZE;
      areas[o]!++;
    }
    for (let t = 0; t < c.texts.length; t++) if (areas[t]! > 0) this.usage.set(c.texts[t]!, { bytes: bytes[t]!, areas: areas[t]! });
  }

  /** Indexes the request ids `of` left for later, if it did (the rest of them, after settleSome). */
  settle(): void {
    const list = this.unindexed;
    if (list === null) return;
    if (this.walk === null) {
      this.unindexed = null;
      list.each((va) => {
        if (!va.lazy && va.requestId !== '') this.key(va);
      });
    } else this.settleSome(Infinity);
  }

  /**
   * Indexes what `of` left for later in the background, SETTLE_SLICE areas
   * per event-loop turn, so that the writer goes on answering (gRPC reads,
   * health) meanwhile; a lookup or write that comes first finishes it at
   * once. Resolves when the index is whole.
   */
  settleInBackground(): Promise<void> {
    return new Promise((resolve) => {
      const step = (): void => {
        if (this.settleSome(SETTLE_SLICE)) resolve();
        else setImmediate(step);
      };
      step();
    });
  }

  /**
   * Indexes the next `count` areas' request ids of those `of` left for
   * later (a slice of the work, for a background turn); true once none is
   * left.
   */
  settleSome(count: number): boolean {
    const list = this.unindexed;
    if (list === null) return true;
    const walk = (this.walk ??= list.from(0));
    for (let i = 0; i < count; i++) {
      const next = walk.next();
      if (next.done === true) {
        this.unindexed = null;
        this.walk = null;
        return true;
      }
      const va = next.value;
      if (!va.lazy && va.requestId !== '') this.key(va);
    }
    return false;
  }

  /** The start page of `owner`'s busy area allocated with `requestId`, if any. */
  lookup(owner: string, requestId: string): number | undefined {
    this.settle();
    return this.requestIds.get(owner)?.get(requestId);
  }

  /** What `owner` holds now. */
  usageOf(owner: string): Usage {
    return this.usage.get(owner) ?? NONE;
  }

  /** Counts busy area `va` in (an alloc, or a free undone). */
  add(va: VmapArea): void {
    this.settle();
    if (va.requestId !== '') this.key(va);
    this.count(va, 1);
  }

  /** Counts busy area `va` out (a free, a release, or an alloc undone). */
  remove(va: VmapArea): void {
    this.settle();
    if (va.requestId !== '') {
      const ids = this.requestIds.get(va.owner);
      if (ids !== undefined && ids.get(va.requestId) === va.start) {
        ids.delete(va.requestId);
        if (ids.size === 0) this.requestIds.delete(va.owner);
      }
    }
    this.count(va, -1);
  }

  /** Enters `va`'s request id. */
  private key(va: VmapArea): void {
    let ids = this.requestIds.get(va.owner);
    if (ids === undefined) this.requestIds.set(va.owner, (ids = new Map()));
    ids.set(va.requestId, va.start);
  }

  /** Adds (`sign` 1) or takes away (-1) `va` in its owner's usage. */
  private count(va: VmapArea, sign: 1 | -1): void {
    let u = this.usage.get(va.owner);
    if (u === undefined) {
      if (sign < 0) return;
      this.usage.set(va.owner, (u = { bytes: 0, areas: 0 }));
    }
    u.bytes += sign * va.pages * PAGE_SIZE;
    u.areas += sign;
    if (u.areas === 0) this.usage.delete(va.owner);
  }
}
