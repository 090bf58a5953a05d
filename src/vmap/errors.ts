/**
 * vmapd's errors, as fastify's `lib/errors.js` and undici's `UND_ERR_*` do
 * it: every failure reported on purpose is a VmapError with a stable string
 * code, a message and, where one applies, the request field at fault. Each
 * layer declares its own (this file: the base and the allocator model's; the
 * service's, the store's and auth's in their layers), and each edge maps
 * codes, never classes, to its statuses in exactly one module
 * (src/grpc/status.ts, src/http/errors.ts). So an error that crossed a
 * thread as plain data (ErrorData) is answered exactly like the original.
 */

/** The plain-data form of a VmapError: what crosses a thread, a process or a wire. */
export interface ErrorData {
  /** Stable, machine-readable: `VMAP_ERR_…`. */
  readonly code: string;
  readonly message: string;
  /** The request field at fault (`size`, `requests[3].align`), where one is. */
  readonly field?: string;
  /** The quota at fault (`quota-bytes`, `quota-areas`), where one is. */
  readonly quota?: string;
}

/** Every failure vmapd reports on purpose. */
export abstract class VmapError extends Error implements ErrorData {
  /** Stable, machine-readable code: what the edges pick a status by. */
  abstract readonly code: string;
  /** The request field at fault, where one applies. */
  readonly field?: string;
  /** The quota at fault, where one applies. */
  readonly quota?: string;

  /** This error as plain data (structured-cloneable, JSON-able). */
  toData(): ErrorData {
    return {
      code: this.code,
      message: this.message,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.quota === undefined ? {} : { quota: this.quota }),
    };
  }
}

/** Codes are `VMAP_ERR_` and capitals. */
const CODE = /^VMAP_ERR_[A-Z_]+$/;

/**
 * `err` as ErrorData when it is one of vmapd's errors, a VmapError or data
 * that crossed a thread; undefined for anything else (a bug).
 */
export function errorData(err: unknown): ErrorData | undefined {
  if (err instanceof VmapError) return err.toData();
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, message, field, quota } = err as Record<string, unknown>;
  if (typeof code !== 'string' || !CODE.test(code) || typeof message !== 'string') return undefined;
  return {
    code,
    message,
    ...(typeof field === 'string' ? { field } : {}),
    ...(typeof quota === 'string' ? { quota } : {}),
  };
}

/** A VmapError rebuilt from ErrorData on the far side of a thread: same code, message, field. */
class ReceivedError extends VmapError {
  readonly code: string;
  declare readonly field?: string;
  declare readonly quota?: string;
  constructor(data: ErrorData) {
    super(data.message);
    this.name = 'VmapError';
    this.code = data.code;
    if (data.field !== undefined) this.field = data.field;
    if (data.quota !== undefined) this.quota = data.quota;
  }
}

/** Throwable again from `data` (see errorData). */
export function errorFromData(data: ErrorData): VmapError {
  return new ReceivedError(data);
}

/**
 * The name a code goes by where a word reads better than the code (metrics
 * labels, the HTTP error body): `VMAP_ERR_NO_SUCH_AREA` is `NoSuchArea`.
 */
export function errorName(code: string): string {
  return code
    .replace(/^VMAP_ERR_/, '')
    .toLowerCase()
    .replace(/(?:^|_)([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/** The message of anything thrown: an Error's message, or the value as a string. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * The class of errors of one code that carry only a message, as fastify's
 * `createError` makes them: `class Busy extends messageError('VMAP_ERR_BUSY', 'Busy') {}`.
 */
export function messageError(code: string, name: string) {
  return class extends VmapError {
    readonly code = code;
    constructor(message: string) {
      super(message);
      this.name = name;
    }
  };
}

/** A request field is malformed or out of range; `field` names it. */
export class InvalidArgument extends VmapError {
  readonly code = 'VMAP_ERR_INVALID_ARGUMENT';
  override readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'InvalidArgument';
    this.field = field;
  }
}

/** Nothing fits, even after purging every lazily freed area. */
export class OutOfSpace extends messageError('VMAP_ERR_OUT_OF_SPACE', 'OutOfSpace') {}

/** No busy area starts (free) or lies (find) at the given address. */
export class NoSuchArea extends messageError('VMAP_ERR_NO_SUCH_AREA', 'NoSuchArea') {}
