import { PAGE_SIZE } from '../vmap/page.js';
import type { VmapArea } from '../vmap/vmap-area.js';

/** An owner's busy areas and the bytes they reserve. */
export interface Usage {
  readonly bytes: number;
  readonly areas: number;
}

const NONE: Usage = { bytes: 0, areas: 0 };

/**
 * What the service keeps per owner of busy areas: the live request ids (an
 * idempotency key names its area while the area is busy) and the usage that
 * quotas are checked against. Derived from the busy areas alone, so a write
 * undone is undone here by the same add/remove.
 */
export class OwnerIndex {
  /** `owner \n request_id` → start page of the busy area. */
  private readonly requestIds = new Map<string, number>();
  private readonly usage = new Map<string, { bytes: number; areas: number }>();

  /** An index of `areas` (lazy ones are skipped: they belong to nobody any more). */
  constructor(areas: Iterable<VmapArea> = []) {
    for (const va of areas) if (!va.lazy) this.add(va);
  }

  /** The start page of `owner`'s busy area allocated with `requestId`, if any. */
  lookup(owner: string, requestId: string): number | undefined {
    return this.requestIds.get(`${owner}\n${requestId}`);
  }

  /** What `owner` holds now. */
  usageOf(owner: string): Usage {
    return this.usage.get(owner) ?? NONE;
  }

  /** Counts busy area `va` in (an alloc, or a free undone). */
  add(va: VmapArea): void {
    if (va.requestId !== '') this.requestIds.set(`${va.owner}\n${va.requestId}`, va.start);
    let u = this.usage.get(va.owner);
    if (u === undefined) this.usage.set(va.owner, (u = { bytes: 0, areas: 0 }));
    u.bytes += va.pages * PAGE_SIZE;
    u.areas++;
  }

  /** Counts busy area `va` out (a free, a release, or an alloc undone). */
  remove(va: VmapArea): void {
    if (va.requestId !== '') {
      const key = `${va.owner}\n${va.requestId}`;
      if (this.requestIds.get(key) === va.start) this.requestIds.delete(key);
    }
    const u = this.usage.get(va.owner);
    if (u === undefined) return;
    u.bytes -= va.pages * PAGE_SIZE;
    u.areas--;
    if (u.areas === 0) this.usage.delete(va.owner);
  }
}
