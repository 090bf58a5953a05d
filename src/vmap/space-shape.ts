/** Where a space lies and when it purges: the settings a VmapSpace is made with. */
import { InvalidArgument } from './errors.js';

/** The kernel's lazy_max_pages() on a 2-CPU machine: fls(2) * 32 MiB / 4 KiB. */
export const DEFAULT_LAZY_MAX_PAGES = 16384;

/** The shape of a space: where it starts and how many pages it spans. */
export interface SpaceShape {
  /** Absolute page number of the space's first page (its base address / 4096). */
  readonly basePage: number;
  /** Number of pages in the space. */
  readonly pages: number;
  /** Purge lazily freed areas once they hold strictly more than this many pages. */
  readonly lazyMaxPages?: number;
}

/**
 * `shape` with its default filled in, once it has checked out: a space of
 * whole pages ending at or below 2^64, and a purge threshold of whole pages.
 *
 * @throws InvalidArgument naming the setting at fault (space-base, space-size, lazy-max-pages)
 */
export function checkedShape(shape: SpaceShape): Required<SpaceShape> {
  const { basePage, pages } = shape;
  const lazyMaxPages = shape.lazyMaxPages ?? DEFAULT_LAZY_MAX_PAGES;
  if (!Number.isSafeInteger(basePage) || basePage < 0) throw new InvalidArgument('space-base', 'must be a page-aligned address');
  if (!Number.isSafeInteger(pages) || pages <= 0) throw new InvalidArgument('space-size', 'must be a positive whole number of pages');
  if (basePage + pages > 2 ** 52) throw new InvalidArgument('space-size', 'the space must end at or below 2^64');
  if (!Number.isSafeInteger(lazyMaxPages) || lazyMaxPages < 0) {
    throw new InvalidArgument('lazy-max-pages', 'must be a non-negative integer');
  }
  return { basePage, pages, lazyMaxPages };
}
