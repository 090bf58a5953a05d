/** The store's failures (see src/vmap/errors.ts for how errors are declared and mapped). */
import { VmapError } from '../vmap/errors.js';

/**
 * The store could not make a batch durable. `fatal` when its files can no
 * longer be trusted (a failed fsync: the kernel may have dropped dirty pages),
 * so writes stay off until a restart re-reads them; not fatal when nothing
 * reached the files (the disk is full), so later writes may be tried. The
 * service answers the batch's writes with Unavailable: this never reaches a
 * client as it is.
 */
export class StoreFailure extends VmapError {
  readonly code = 'VMAP_ERR_STORE_FAILURE';
  readonly fatal: boolean;
  /**
   * The batch may have been committed after all (its answer was lost), so the
   * writes are told their outcome is unknown rather than "not applied". Always
   * so when fatal.
   */
  readonly outcomeUnknown: boolean;
  constructor(message: string, fatal: boolean, outcomeUnknown = fatal) {
    super(message);
    this.name = 'StoreFailure';
    this.fatal = fatal;
    this.outcomeUnknown = outcomeUnknown;
  }
}

/**
 * A change that does not match the stored rows (no busy row to free or
 * release): memory and store disagree, so neither can be trusted to hand out
 * ranges. Internal to the stores, which turn it into a fatal StoreFailure.
 */
export class OutOfStep extends Error {
  readonly code = 'VMAPD_OUT_OF_STEP';
}
