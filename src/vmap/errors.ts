/**
 * vmapd's failure kinds, all declared here. Each edge maps them to its own
 * status codes in exactly one place (src/grpc/status.ts, src/http/errors.ts).
 */

/** Every failure the allocator reports on purpose is a VmapError. */
export abstract class VmapError extends Error {
  /** Stable, machine-readable kind, used by the edges to pick a status. */
  abstract readonly kind: 'InvalidArgument' | 'OutOfSpace' | 'NoSuchArea' | 'Unavailable';
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
