/**
 * An area as the client hands it out: addresses and byte counts as bigint,
 * straight from the wire's uint64 decimal strings.
 */
import type { Area__Output } from '../grpc/generated/vmap/v1/Area.js';

/** One area of the space, busy or lazily freed. */
export interface Area {
  /** Start address. */
  readonly addr: bigint;
  /** Usable bytes: the request rounded up to pages. */
  readonly size: bigint;
  /** Reserved bytes: `size` plus the guard page, if any. */
  readonly areaSize: bigint;
  /** The label it was allocated with (shown in vmallocinfo). */
  readonly caller: string;
  /** Who holds it: the token's owner, or `anonymous`. */
  readonly owner: string;
  /** Freed, awaiting purge. */
  readonly lazy: boolean;
  /** The idempotency key it was allocated with, while busy; `''` for none. */
  readonly requestId: string;
}

/** The Area of wire message `m`. */
export function areaOf(m: Area__Output): Area {
  return {
    addr: BigInt(m.addr),
    size: BigInt(m.size),
    areaSize: BigInt(m.area_size),
    caller: m.caller,
    owner: m.owner,
    lazy: m.lazy,
    requestId: m.request_id,
  };
}
