/** Who-may-do-what failures (see src/vmap/errors.ts for how errors are declared and mapped). */
import { messageError } from '../vmap/errors.js';

/** No valid bearer token was presented where one is required. */
export class Unauthenticated extends messageError('VMAP_ERR_UNAUTHENTICATED', 'Unauthenticated') {}

/** The caller is known but may not do this (free another owner's area). */
export class PermissionDenied extends messageError('VMAP_ERR_PERMISSION_DENIED', 'PermissionDenied') {}
