/** Who-may-do-what failures (see src/vmap/errors.ts for how errors are declared and mapped). */
import { VmapError } from '../vmap/errors.js';

/** No valid bearer token was presented where one is required. */
export class Unauthenticated extends VmapError {
  readonly code = 'VMAP_ERR_UNAUTHENTICATED';
  constructor(message: string) {
    super(message);
    this.name = 'Unauthenticated';
  }
}

/** The caller is known but may not do this (free another owner's area). */
export class PermissionDenied extends VmapError {
  readonly code = 'VMAP_ERR_PERMISSION_DENIED';
  constructor(message: string) {
    super(message);
    this.name = 'PermissionDenied';
  }
}
