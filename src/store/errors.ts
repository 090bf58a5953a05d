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
  constructor(message: string, fatal: boolean) {
    super(message);
    this.name = 'StoreFailure';
    this.fatal = fatal;
  }
}
