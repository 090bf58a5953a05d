/**
 * A reader thread's own copy of the ordered area list, kept current by the
 * writer's committed change stream: the very change records the store
 * commits, applied in the same order. `rcu-walk` walks it and /vmallocinfo
 * streams from it, on the reader thread, with no lock and no message to the
 * writer per read (the seed's RCU list walk, for real).
 *
 * The list is a copy-on-write B+ tree of every area (busy and lazy) by
 * start, and areas are immutable (freeing replaces one with its lazy copy),
 * so a view is an O(1) clone that later changes never reach: a listing that
 * takes minutes streams the state of its start.
 */
import { summarizeRange } from '../vmap/area-summary.js';
import { bulkLoad } from 'sorted-btree/extended/bulkLoad.js';
import { BTree } from '../vmap/btree.js';
import { HolderIndex, type Holder, type HolderViewer } from '../vmap/holder-index.js';
import type { MapSource } from '../vmap/space-map.js';
import { lazyCopy, type AreaList, type VmapArea } from '../vmap/vmap-area.js';
import type { Change } from '../store/store.js';

/** The change stream fell out of step with the replica: a bug; the thread must be restarted. */
export class ReplicaOutOfStep extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplicaOutOfStep';
  }
}

/** What a change did to who holds the space (HolderIndex's add, freed, remove), applied once its batch is whole. */
const ADD = 0;
const FREED = 1;
const REMOVE = 2;

/** The tree's node size: sorted-btree's default, as the trees made with `new BTree()` have. */
const NODE_SIZE = 32;
const byStart = (a: number, b: number): number => a - b;

/** The areas of `tree` as an AreaList and a MapSource; a view when nothing writes to `tree` any more. */
function listOf(tree: BTree<number, VmapArea>): AreaList & MapSource {
  return {
    summarize: (lo, hi, into) => summarizeRange(tree, lo, hi, into),
    floor: (page) => (Number.isNaN(page) ? undefined : tree.getPairOrNextLower(page)?.[1]),
    *from(page) {
      for (const [, va] of tree.entries(page)) yield va;
    },
    each(visit) {
      tree.forEach((va) => void visit(va));
    },
    range(lo, hi, visit) {
      if (lo < hi) tree.forRange(lo, hi, false, (_start, va) => void visit(va));
    },
  };
}

/**
 * A whole list on its way into a replica, an area at a time (a reader
 * thread adds them in slices across event-loop turns): everything a reset
 * needs but the bulk load, which `AreaReplica.install` does.
 */
export class ReplicaFill {
  readonly starts: number[] = [];
  readonly areas: VmapArea[] = [];
  readonly lazy = new Set<number>();
  readonly holders = new HolderIndex();

  /** Adds `va`, which must start after every area added so far (install checks). */
  add(va: VmapArea): void {
    this.starts.push(va.start);
    this.areas.push(va);
    if (va.lazy) this.lazy.add(va.start);
    this.holders.add(va);
  }
}

/**
 * The replica. Changes go into a working tree as they arrive (a big batch in
 * parts); at the end of each batch the working tree is cloned, O(1), into
 * the stable list that reads see, so no read ever sees part of a batch.
 */
export class AreaReplica {
  /** Where changes are applied. */
  private tree = new BTree<number, VmapArea>();
  /** The working tree as it was at the end of the last whole batch: what reads see. Never written to. */
  private stable = new BTree<number, VmapArea>();
  /** Starts of the lazy areas in the working tree: what the next purge removes. */
  private lazyStarts = new Set<number>();
  private gen = 0;
  /** Who holds the space as of the last whole batch, and what the batch in progress does to it. */
  private holders = new HolderIndex();
  /** The batch in progress's holder changes, in two columns (no pair per change): ADD, FREED or REMOVE, and its area. */
  private pendingKinds: number[] = [];
  private pendingAreas: VmapArea[] = [];

  /** The generation of the last whole batch applied (the writer's snapshot generation). */
  get generation(): number {
    return this.gen;
  }

  /**
   * Replaces everything with `areas` (strictly ascending by start) at
   * `generation`. The tree is bulk-loaded, leaves first, in O(n): a million
   * areas inserted one by one cost about three times as much.
   *
   * @throws ReplicaOutOfStep when `areas` are not strictly ascending
   */
  reset(areas: readonly VmapArea[], generation: number): void {
    const fill = new ReplicaFill();
    for (const va of areas) fill.add(va);
    this.install(fill, generation);
  }

  /**
   * Replaces everything with what `fill` gathered, at `generation`: what is
   * left of a reset once its areas are in (the bulk load).
   *
   * @throws ReplicaOutOfStep when the areas were not strictly ascending
   */
  install(fill: ReplicaFill, generation: number): void {
    let tree: BTree<number, VmapArea>;
    try {
      tree = bulkLoad(fill.starts, fill.areas, NODE_SIZE, byStart);
    } catch (err) {
      throw new ReplicaOutOfStep(`the area list does not load: ${(err as Error).message}`);
    }
    this.tree = tree;
    this.lazyStarts = fill.lazy;
    this.holders = fill.holders;
    this.pendingKinds = [];
    this.pendingAreas = [];
    this.stable = tree.clone();
    this.gen = generation;
  }

  /**
   * Applies changes of the batch that made `generation`, which must be the
   * next one: a gap means a batch was lost, and the replica would lie. A big
   * batch may come in parts, in order; reads see it once its `last` part is
   * applied.
   */
  apply(changes: readonly Change[], generation: number, last = true): void {
    if (generation !== this.gen + 1) throw new ReplicaOutOfStep(`change batch of generation ${generation} after generation ${this.gen}`);
    const { tree, lazyStarts, pendingKinds, pendingAreas } = this;
    for (const c of changes) {
      switch (c.op) {
        case 'insert':
          if (!tree.setIfNotPresent(c.area.start, c.area)) throw new ReplicaOutOfStep(`insert over the area at page ${c.area.start}`);
          pendingKinds.push(ADD);
          pendingAreas.push(c.area);
          break;
        case 'lazy': {
          const va = tree.get(c.start);
          if (va === undefined || va.lazy) throw new ReplicaOutOfStep(`no busy area at page ${c.start} to mark lazy`);
          tree.set(c.start, lazyCopy(va));
          lazyStarts.add(c.start);
          pendingKinds.push(FREED);
          pendingAreas.push(va);
          break;
        }
        case 'delete': {
          const va = tree.get(c.start);
          if (va === undefined || va.lazy) throw new ReplicaOutOfStep(`no busy area at page ${c.start} to delete`);
          tree.delete(c.start);
          pendingKinds.push(REMOVE);
          pendingAreas.push(va);
          break;
        }
        case 'purge':
          for (const start of lazyStarts) {
            const va = tree.get(start);
            if (va !== undefined) {
              pendingKinds.push(REMOVE);
              pendingAreas.push(va);
            }
            tree.delete(start);
          }
          lazyStarts.clear();
          break;
      }
    }
    if (last) {
      this.stable = tree.clone();
      this.gen = generation;
      const { holders } = this;
      for (let i = 0; i < pendingKinds.length; i++) {
        const va = pendingAreas[i]!;
        if (pendingKinds[i] === ADD) holders.add(va);
        else if (pendingKinds[i] === FREED) holders.freed(va);
        else holders.remove(va);
      }
      this.pendingKinds = [];
      this.pendingAreas = [];
    }
  }

  /** The list at the last whole batch, for as long as it is held: later changes never reach it. */
  view(): AreaList & MapSource {
    return listOf(this.stable);
  }

  /** The `limit` callers and owners holding the most reserved pages that `viewer` may see, as of the last whole batch. */
  topHolders(viewer: HolderViewer, limit: number): { callers: Holder[]; owners: Holder[] } {
    return this.holders.top(viewer, limit);
  }
}
