/** The service's failures (see src/vmap/errors.ts for how errors are declared and mapped). */
import { messageError, VmapError } from '../vmap/errors.js';

/**
 * The service cannot take writes now (shutting down, or its store failed);
 * nothing was applied, so the client may retry, elsewhere or later.
 */
export class Unavailable extends messageError('VMAP_ERR_UNAVAILABLE', 'Unavailable') {}

/**
 * A standby has no leader to forward a write to now (none known, or the one
 * the lease names cannot be connected to, so the write was never sent):
 * the service waits for the next leader, until the write's deadline, and
 * then answers Unavailable by this.
 */
export class NoLeader extends messageError('VMAP_ERR_UNAVAILABLE', 'NoLeader') {}

/** The writer queue (or the listings) is full: refused at once, nothing applied. */
export class Busy extends messageError('VMAP_ERR_BUSY', 'Busy') {}

/** The client's deadline passed before the write was committed: not applied. */
export class DeadlineExceeded extends messageError('VMAP_ERR_DEADLINE_EXCEEDED', 'DeadlineExceeded') {}

/** An owner's quota would be exceeded; `quota` names it (`quota-bytes`, `quota-areas`). */
export class QuotaExceeded extends VmapError {
  readonly code = 'VMAP_ERR_QUOTA_EXCEEDED';
  override readonly quota: string;
  constructor(quota: string, message: string) {
    super(`${quota}: ${message}`);
    this.name = 'QuotaExceeded';
    this.quota = quota;
  }
}

/**
 * A write that hit a bug: answered INTERNAL with this message only (the
 * details, stack included, are in the log); that write alone was undone.
 */
export class InternalFault extends VmapError {
  readonly code = 'VMAP_ERR_INTERNAL';
  constructor() {
    super('internal error: the write was not applied');
    this.name = 'InternalFault';
  }
}
