/**
 * The one failure of rebuilding a space from a list of areas (what a
 * recovered store holds): the list does not describe a space.
 * Not a VmapError: no client request caused it, so no edge maps it to a
 * status; vmapd refuses to start on it.
 */

/** An area of the list is malformed, overlaps or precedes the one before, or leaves the space. */
export class CorruptAreas extends Error {
  /** Stable, machine-readable kind. */
  readonly code = 'VMAP_ERR_CORRUPT_AREAS' as const;
  /** Start page (relative to the space's base) of the first area that does not check out, as the list gave it. */
  readonly page: number;

  /** `message` says what is wrong and names `page`. */
  constructor(page: number, message: string) {
    super(message);
    this.name = 'CorruptAreas';
    this.page = page;
  }
}
