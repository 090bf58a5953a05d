/**
 * vmapd's failure kinds, all declared here. Each edge maps them to its own
 * status codes in exactly one place (src/grpc/status.ts, src/http/errors.ts).
 */

/** Every failure the allocator reports on purpose is a VmapError. */
export abstract class VmapError extends Error {
  /** Stable, machine-readable kind, used by the edges to pick a status. */
  abstract readonly kind:
    | 'InvalidArgument'
    | 'OutOfSpace'
    | 'NoSuchArea'
    | 'Unavailable'
    | 'Unauthenticated'
    | 'PermissionDenied'
    | 'QuotaExceeded'
    | 'Busy'
    | 'DeadlineExceeded';
}

/** A request field is malformed or out of range; `field` names it. */
export class InvalidArgument extends VmapError {
  readonly kind = 'InvalidArgument' as const;
  /** The request field at fault, as the client spelt it (e.g. `size`, `vstart`). */
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'InvalidArgument';
    this.field = field;
  }
}

/** Nothing fits, even after purging every lazily freed area. */
export class OutOfSpace extends VmapError {
  readonly kind = 'OutOfSpace' as const;
  constructor(message: string) {
    super(message);
    this.name = 'OutOfSpace';
  }
}

/** No busy area starts (free) or lies (find) at the given address. */
export class NoSuchArea extends VmapError {
  readonly kind = 'NoSuchArea' as const;
  constructor(message: string) {
    super(message);
    this.name = 'NoSuchArea';
  }
}

/**
 * The service cannot take writes now (shutting down, or its store failed);
 * nothing was applied, so the client may retry, elsewhere or later.
 */
export class Unavailable extends VmapError {
  readonly kind = 'Unavailable' as const;
  constructor(message: string) {
    super(message);
    this.name = 'Unavailable';
  }
}

/**
 * The store could not make a batch durable. `fatal` when its files can no
 * longer be trusted (a failed fsync: the kernel may have dropped dirty pages),
 * so writes stay off until a restart re-reads them; not fatal when nothing
 * reached the files (the disk is full), so later writes may be tried.
 */
export class StoreFailure extends Error {
  readonly fatal: boolean;
  constructor(message: string, fatal: boolean) {
    super(message);
    this.name = 'StoreFailure';
    this.fatal = fatal;
  }
}

/** No valid bearer token was presented where one is required. */
export class Unauthenticated extends VmapError {
  readonly kind = 'Unauthenticated' as const;
  constructor(message: string) {
    super(message);
    this.name = 'Unauthenticated';
  }
}

/** The caller is known but may not do this (free another owner's area). */
export class PermissionDenied extends VmapError {
  readonly kind = 'PermissionDenied' as const;
  constructor(message: string) {
    super(message);
    this.name = 'PermissionDenied';
  }
}

/** The writer queue is full: the write was refused at once, nothing applied. */
export class Busy extends VmapError {
  readonly kind = 'Busy' as const;
  constructor(message: string) {
    super(message);
    this.name = 'Busy';
  }
}

/** The client's deadline passed before the write's turn came: not applied. */
export class DeadlineExceeded extends VmapError {
  readonly kind = 'DeadlineExceeded' as const;
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineExceeded';
  }
}

/** An owner's quota would be exceeded; `quota` names it (`quota-bytes`, `quota-areas`). */
export class QuotaExceeded extends VmapError {
  readonly kind = 'QuotaExceeded' as const;
  readonly quota: string;
  constructor(quota: string, message: string) {
    super(`${quota}: ${message}`);
    this.name = 'QuotaExceeded';
    this.quota = quota;
  }
}
