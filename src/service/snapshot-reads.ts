import type { Identity } from '../auth/tokens.js';
import type { SpaceGeometry } from '../vmap/geometry.js';
import { PAGE_SIZE } from '../vmap/page.js';
import { areaView, type AreaView } from './area-view.js';
import type { AreaList } from '../vmap/vmap-area.js';

/** Whether `identity` may see areas of `owner`: its own, or any for an admin. */
function maySee(identity: Identity, owner: string): boolean {
  return identity.role === 'admin' || owner === identity.owner;
}

/** The busy area of `areas` containing `addr`, if `identity` may see it. Lock-free. */
export function findArea(geometry: SpaceGeometry, areas: AreaList, addr: bigint, identity: Identity): AreaView | undefined {
  const page = geometry.pageContaining(addr);
  if (page === undefined) return undefined;
  const va = areas.floor(page);
  if (va === undefined || va.lazy || page >= va.start + va.pages) return undefined;
  return maySee(identity, va.owner) ? areaView(geometry, va) : undefined;
}

/**
 * The areas of `areas` from address `from` on (below the space: its
 * start), ascending; lazy ones only if asked and only for an admin (they
 * have no owner left to show), other owners' only for an admin.
 */
export function* areasOf(geometry: SpaceGeometry, areas: AreaList, from: bigint, includeLazy: boolean, identity: Identity): IterableIterator<AreaView> {
  if (from >= geometry.end) return;
  const fromPage = from <= geometry.base ? 0 : Number((from - geometry.base + BigInt(PAGE_SIZE) - 1n) / BigInt(PAGE_SIZE));
  const all = identity.role === 'admin';
  for (const va of areas.from(fromPage)) {
    if (va.lazy ? includeLazy && all : maySee(identity, va.owner)) yield areaView(geometry, va);
  }
}
