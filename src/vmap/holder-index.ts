/**
 * Who holds the space: reserved pages and areas per caller and per owner,
 * kept as areas come and go, so that "the top callers by reserved bytes" of
 * a million areas is a pass over the callers, not over the areas. Two views,
 * as the listing rules give them: everything reserved (busy and lazy), which
 * an admin may see, and each owner's busy areas, which that owner may see.
 */
import type { VmapArea } from './vmap-area.js';

/** Reserved pages and areas of one caller or owner. */
export interface Holder {
  readonly name: string;
  readonly pages: number;
  readonly areas: number;
}

/** Who may look: an admin sees everything reserved; anyone else, its own busy areas. */
export interface HolderViewer {
  readonly admin: boolean;
  readonly owner: string;
}

type Tally = { pages: number; areas: number };

/** Adds `sign` times `va` to `name`'s tally in `map`, dropping a tally that falls to nothing. */
function count(map: Map<string, Tally>, name: string, va: VmapArea, sign: 1 | -1): void {
  let t = map.get(name);
  if (t === undefined) map.set(name, (t = { pages: 0, areas: 0 }));
  t.pages += sign * va.pages;
  t.areas += sign;
  if (t.areas === 0) map.delete(name);
}

/** The `limit` tallies of `map` with the most pages (then by name), most first: one pass, no sort of the whole map. */
function topOf(map: ReadonlyMap<string, Tally>, limit: number): Holder[] {
  const top: Holder[] = [];
  if (limit <= 0) return top;
  const before = (a: Holder, b: Holder): boolean => a.pages > b.pages || (a.pages === b.pages && a.name < b.name);
  for (const [name, t] of map) {
    const h = { name, pages: t.pages, areas: t.areas };
    if (top.length === limit && !before(h, top[limit - 1]!)) continue;
    let i = Math.min(top.length, limit - 1);
    top[i] = h;
    while (i > 0 && before(top[i]!, top[i - 1]!)) {
      [top[i - 1], top[i]] = [top[i]!, top[i - 1]!];
      i--;
    }
  }
  return top;
}

export class HolderIndex {
  /** Everything reserved, by caller and by owner. */
  private readonly callers = new Map<string, Tally>();
  private readonly owners = new Map<string, Tally>();
  /** Busy areas per owner, by caller. */
  private readonly busyByOwner = new Map<string, Map<string, Tally>>();

  /** A new area (busy, or lazy when restored so). */
  add(va: VmapArea): void {
    count(this.callers, va.caller, va, 1);
    count(this.owners, va.owner, va, 1);
    if (!va.lazy) this.busy(va, 1);
  }

  /** Busy area `va` was freed and is now lazy: still reserved, no longer its owner's to see. */
  freed(va: VmapArea): void {
    this.busy(va, -1);
  }

  /** Area `va` (busy or lazy) is gone. */
  remove(va: VmapArea): void {
    count(this.callers, va.caller, va, -1);
    count(this.owners, va.owner, va, -1);
    if (!va.lazy) this.busy(va, -1);
  }

  /** The `limit` callers and owners holding the most pages that `viewer` may see. */
  top(viewer: HolderViewer, limit: number): { callers: Holder[]; owners: Holder[] } {
    if (viewer.admin) return { callers: topOf(this.callers, limit), owners: topOf(this.owners, limit) };
    const mine = this.busyByOwner.get(viewer.owner);
    if (mine === undefined) return { callers: [], owners: [] };
    let pages = 0;
    let areas = 0;
    for (const t of mine.values()) {
      pages += t.pages;
      areas += t.areas;
    }
    return { callers: topOf(mine, limit), owners: limit > 0 ? [{ name: viewer.owner, pages, areas }] : [] };
  }

  private busy(va: VmapArea, sign: 1 | -1): void {
    let mine = this.busyByOwner.get(va.owner);
    if (mine === undefined) this.busyByOwner.set(va.owner, (mine = new Map()));
    count(mine, va.caller, va, sign);
    if (mine.size === 0) this.busyByOwner.delete(va.owner);
  }
}
