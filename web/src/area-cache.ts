/**
 * Areas the map's hover looked up (GET /v1/areas/:addr), and addresses that
 * had none to show (404): believed for a few seconds only, since areas come
 * and go with each generation.
 */
import type { AreaReply } from './api.js';
import { hex } from './format.js';

/** How long a looked-up area (or its absence) is believed. */
const TTL_MS = 3000;
const MAX_KNOWN = 256;
const MAX_MISSING = 1024;

/** A looked-up area: [start, end) includes its guard page. */
export interface KnownArea {
  readonly start: bigint;
  readonly end: bigint;
  readonly area: AreaReply;
  /** performance.now() when it was looked up. */
  readonly at: number;
}

export class AreaCache {
  private known: KnownArea[] = [];
  private missing = new Map<string, number>();

  /** The known area holding `addr`, or null. */
  at(addr: bigint): KnownArea | null {
    const now = performance.now();
    this.known = this.known.filter((k) => now - k.at < TTL_MS);
    for (const k of this.known) if (addr >= k.start && addr < k.end) return k;
    return null;
  }

  /** Whether `addr` was lately answered 404 (free or not visible). */
  isMissing(addr: bigint): boolean {
    const key = hex(addr);
    const at = this.missing.get(key);
    if (at === undefined) return false;
    if (performance.now() - at < TTL_MS) return true;
    this.missing.delete(key);
    return false;
  }

  /** Records the answer for `addr`: its area, or null for a 404. */
  record(addr: bigint, area: AreaReply | null): void {
    const at = performance.now();
    if (area) {
      const start = BigInt(area.addr);
      this.known.push({ start, end: start + BigInt(area.area_size), area, at });
      if (this.known.length > MAX_KNOWN) this.known.shift();
    } else {
      if (this.missing.size >= MAX_MISSING) this.missing.clear();
      this.missing.set(hex(addr), at);
    }
  }
}
