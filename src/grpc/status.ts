import { status, type ServiceError } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { VmapError } from '../vmap/errors.js';

const CODES: Record<VmapError['kind'], status> = {
  InvalidArgument: status.INVALID_ARGUMENT,
  OutOfSpace: status.RESOURCE_EXHAUSTED,
  NoSuchArea: status.NOT_FOUND,
  Unavailable: status.UNAVAILABLE,
  Unauthenticated: status.UNAUTHENTICATED,
  PermissionDenied: status.PERMISSION_DENIED,
  QuotaExceeded: status.RESOURCE_EXHAUSTED,
  Busy: status.RESOURCE_EXHAUSTED,
  DeadlineExceeded: status.DEADLINE_EXCEEDED,
};

/**
 * The one mapping from vmapd's errors to gRPC statuses. Anything that is not
 * a VmapError is a bug: it becomes INTERNAL with a generic message (the
 * details go to the log, not to the client).
 */
export function toServiceError(err: unknown): Partial<ServiceError> & { code: status } {
  if (err instanceof VmapError) {
    const metadata = new Metadata();
    if ('field' in err && typeof err.field === 'string') metadata.set('vmap-field', err.field);
    if ('quota' in err && typeof err.quota === 'string') metadata.set('vmap-quota', err.quota);
    return { code: CODES[err.kind], details: err.message, metadata };
  }
  return { code: status.INTERNAL, details: 'internal error' };
}
