import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { errorData } from '../vmap/errors.js';

/** The one mapping from vmapd's error codes to gRPC statuses. */
export const GRPC_STATUS: Readonly<Record<string, status>> = {
  VMAP_ERR_INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  VMAP_ERR_OUT_OF_SPACE: status.RESOURCE_EXHAUSTED,
  VMAP_ERR_NO_SUCH_AREA: status.NOT_FOUND,
  VMAP_ERR_UNAVAILABLE: status.UNAVAILABLE,
  VMAP_ERR_STORE_FAILURE: status.UNAVAILABLE,
  VMAP_ERR_UNAUTHENTICATED: status.UNAUTHENTICATED,
  VMAP_ERR_PERMISSION_DENIED: status.PERMISSION_DENIED,
  VMAP_ERR_QUOTA_EXCEEDED: status.RESOURCE_EXHAUSTED,
  VMAP_ERR_BUSY: status.RESOURCE_EXHAUSTED,
  VMAP_ERR_DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  VMAP_ERR_INTERNAL: status.INTERNAL,
};

/**
 * The gRPC error for anything thrown, by its code (a VmapError, or one that
 * crossed a thread as plain data): its message as the details, the field and
 * quota at fault as `vmap-field` and `vmap-quota` trailing metadata, its code
 * as `vmap-error`. Anything
 * without a known code is a bug: INTERNAL with a generic message (the details
 * go to the log, not to the client).
 */
export function toServiceError(err: unknown): Partial<ServiceError> & { code: status } {
  const data = errorData(err);
  const code = data === undefined ? undefined : GRPC_STATUS[data.code];
  if (data === undefined || code === undefined) return { code: status.INTERNAL, details: 'internal error' };
  const metadata = new Metadata();
  // The code itself too: a standby that forwarded the call answers its own
  // caller with the very same error (src/cluster/leader-forwarder.ts).
  metadata.set('vmap-error', data.code);
  if (data.field !== undefined) metadata.set('vmap-field', data.field);
  if (data.quota !== undefined) metadata.set('vmap-quota', data.quota);
  return { code, details: data.message, metadata };
}
