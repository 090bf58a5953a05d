/**
 * What carries out the calls the kernel cases yield: the model, at once, or
 * vmapd over gRPC, later. Addresses are absolute page numbers; alloc gives
 * null where the kernel's vmalloc gives NULL.
 */

/** A backend that answers at once (the model): the driver interleaves the workers itself. */
export interface SyncBackend {
  readonly sync: true;
  alloc(pages: number, align: number): number | null;
  free(page: number): void;
}

/** A backend that answers later (a gRPC client): each worker waits for its own calls. */
export interface AsyncBackend {
  readonly sync: false;
  alloc(pages: number, align: number): Promise<number | null>;
  free(page: number): Promise<void>;
}

/** Either kind. */
export type Backend = SyncBackend | AsyncBackend;
