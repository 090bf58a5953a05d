/**
 * The map of the space as every edge shows it: `GET /v1/map`'s JSON, the
 * one rendering of a SpaceMap (src/vmap/space-map.ts). Sizes are bytes as
 * JSON numbers: every one is a whole number of pages, so exact below 2^65.
 */
import type { Identity } from '../auth/tokens.js';
import { InvalidArgument } from '../vmap/errors.js';
import type { SpaceGeometry } from '../vmap/geometry.js';
import type { Holder, HolderViewer } from '../vmap/holder-index.js';
import { PAGE_SHIFT, PAGE_SIZE, PAGE_SIZE_N } from '../vmap/page.js';
import { MAX_MAP_BUCKETS, type SpaceMap } from '../vmap/space-map.js';

/** Buckets of a map when the request names none. */
export const DEFAULT_MAP_BUCKETS = 512;
/** Callers and owners listed in a map. */
export const MAP_TOP_HOLDERS = 10;

/** A map request as it arrives: addresses and a count, each absent for its default. */
export interface MapRequest {
  readonly from?: bigint | undefined;
  readonly to?: bigint | undefined;
  readonly buckets?: bigint | undefined;
}

/** A map request, checked: pages relative to the space's base. */
export interface MapQuery {
  readonly from: number;
  readonly to: number;
  readonly buckets: number;
}

/** Who a map is shown to: the holders they may see, or none (tokens are required and none was given). */
export type MapViewer = HolderViewer | null;

/** The viewer of `identity` (null: no identity) for the holder lists. */
export function mapViewer(identity: Identity | null): MapViewer {
  return identity === null ? null : { admin: identity.role === 'admin', owner: identity.owner };
}

/**
 * The map request of addresses `from` (rounded down to a page) and `to`
 * (rounded up) and `buckets`; absent ones are the whole space and
 * DEFAULT_MAP_BUCKETS.
 *
 * @throws InvalidArgument naming the field outside the space, an empty range, or a bucket count outside 1..MAX_MAP_BUCKETS
 */
export function mapQuery(geometry: SpaceGeometry, { from, to, buckets }: MapRequest): MapQuery {
  const range = `the space [${geometry.hexOf(0)}, ${geometry.hexOf(geometry.pages)})`;
  if (from !== undefined && (from < geometry.base || from >= geometry.end)) throw new InvalidArgument('from', `must lie in ${range}`);
  if (to !== undefined && (to <= geometry.base || to > geometry.end)) throw new InvalidArgument('to', `must lie in ${range}, above its base`);
  const fromPage = from === undefined ? 0 : Number((from - geometry.base) >> BigInt(PAGE_SHIFT));
  const toPage = to === undefined ? geometry.pages : Number((to - geometry.base + PAGE_SIZE_N - 1n) >> BigInt(PAGE_SHIFT));
  if (toPage <= fromPage) throw new InvalidArgument('to', `must be above from (${geometry.hexOf(fromPage)})`);
  if (buckets !== undefined && (buckets < 1n || buckets > BigInt(MAX_MAP_BUCKETS))) throw new InvalidArgument('buckets', `must be 1 to ${MAX_MAP_BUCKETS}, got ${buckets}`);
  return { from: fromPage, to: toPage, buckets: buckets === undefined ? DEFAULT_MAP_BUCKETS : Number(buckets) };
}

const bytes = (pages: number): number => pages * PAGE_SIZE;
const bytesOf = (pages: Float64Array): number[] => Array.from(pages, bytes);
const holderJson = (h: Holder) => ({ name: h.name, bytes: bytes(h.pages), areas: h.areas });

/**
 * `GET /v1/map`'s body: `map` of `generation`, with `top` (the holders the
 * viewer may see, over the whole space) or null.
 */
export function renderMap(geometry: SpaceGeometry, map: SpaceMap, generation: number, top: { callers: readonly Holder[]; owners: readonly Holder[] } | null): string {
  const largest = map.largestFree;
  return JSON.stringify({
    generation,
    space: { base: geometry.hexOf(0), end: geometry.hexOf(geometry.pages), page_size: PAGE_SIZE },
    from: geometry.hexOf(map.from),
    to: geometry.hexOf(map.to),
    pages: map.to - map.from,
    buckets: map.buckets,
    busy: bytesOf(map.busy),
    guard: bytesOf(map.guard),
    lazy: bytesOf(map.lazy),
    free: bytesOf(map.free),
    areas: map.areas,
    largest_free: largest === null ? null : { addr: geometry.hexOf(largest.start), size: bytes(largest.pages) },
    fragmentation: {
      free_bytes: bytes(map.freePages),
      largest_free_bytes: largest === null ? 0 : bytes(largest.pages),
      ratio: map.freePages === 0 ? 0 : (largest?.pages ?? 0) / map.freePages,
      free_blocks: map.freeBlocks,
      histogram: map.freeClasses.map((c) => ({ min: bytes(2 ** c.log2), max: bytes(2 ** (c.log2 + 1)), blocks: c.blocks, bytes: bytes(c.pages) })),
    },
    top_callers: top === null ? null : top.callers.map(holderJson),
    top_owners: top === null ? null : top.owners.map(holderJson),
  });
}
