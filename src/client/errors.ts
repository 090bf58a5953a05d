/**
 * The one error a VmapClient rejects with: a gRPC status from vmapd (or from
 * the channel when no server answered), or an argument refused before
 * anything was sent. Callers branch on `code`, never on the message.
 */
import { Metadata, status as grpcStatus, type ServiceError } from '@grpc/grpc-js';

/** The name of gRPC status `status` (`NOT_FOUND`), as the proto's comments spell it. */
export function statusName(status: number): string {
  return (grpcStatus as unknown as Record<number, string | undefined>)[status] ?? `STATUS_${status}`;
}

/** What a VmapClientError is made from. */
export interface VmapClientErrorInit {
  readonly status: number;
  readonly details: string;
  readonly vmapCode?: string;
  readonly field?: string;
  readonly target?: string;
  readonly attempts?: number;
  readonly metadata?: Metadata;
}

/** A failed call (or a refused argument) of a VmapClient. */
export class VmapClientError extends Error {
  /** The gRPC status name: `NOT_FOUND`, `UNAVAILABLE`, `INVALID_ARGUMENT`, … */
  readonly code: string;
  /** The gRPC status number (`grpc.status`). */
  readonly status: number;
  /** vmapd's own code (`vmap-error` metadata), e.g. `VMAP_ERR_OUT_OF_SPACE`; absent when vmapd did not answer. */
  readonly vmapCode: string | undefined;
  /** The request field at fault (`vmap-field` metadata, or the argument refused locally). */
  readonly field: string | undefined;
  /** The status details: vmapd's message, or grpc-js's account of the connection. */
  readonly details: string;
  /** The target (`host:port`) of the last attempt; absent for an argument refused locally. */
  readonly target: string | undefined;
  /** How many attempts were made (0: refused before sending). */
  readonly attempts: number;
  /** The trailing metadata of the last attempt. */
  readonly metadata: Metadata;

  /** Builds the error; the message is `CODE: details`. */
  constructor(init: VmapClientErrorInit) {
    super(`${statusName(init.status)}: ${init.details}`);
    this.name = 'VmapClientError';
    this.code = statusName(init.status);
    this.status = init.status;
    this.vmapCode = init.vmapCode;
    this.field = init.field;
    this.details = init.details;
    this.target = init.target;
    this.attempts = init.attempts ?? 0;
    this.metadata = init.metadata ?? new Metadata();
  }

  /** An argument refused before anything was sent: INVALID_ARGUMENT naming `field`. */
  static invalidArgument(field: string, details: string): VmapClientError {
    return new VmapClientError({ status: grpcStatus.INVALID_ARGUMENT, details: `${field}: ${details}`, field });
  }

  /** The error for what one attempt on `target` failed with (a grpc-js ServiceError, or anything else as INTERNAL). */
  static fromAttempt(err: unknown, target: string, attempts: number): VmapClientError {
    if (err instanceof VmapClientError) return err;
    if (!isServiceError(err)) {
      return new VmapClientError({ status: grpcStatus.INTERNAL, details: err instanceof Error ? err.message : String(err), target, attempts });
    }
    const md = err.metadata ?? new Metadata();
    const text = (key: string): string | undefined => {
      const v = md.get(key)[0];
      return typeof v === 'string' ? v : undefined;
    };
    return new VmapClientError({ status: err.code, details: err.details, vmapCode: text('vmap-error'), field: text('vmap-field'), target, attempts, metadata: md });
  }
}

/** True when `err` is a gRPC status error from grpc-js (as opposed to a local bug). */
function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'details' in err;
}

/**
 * Whether `err` proves its request never left this process: grpc-js failed
 * the call because the channel had no connection to send it on (the picker's
 * "No connection established", or a name that does not resolve). Anything
 * else that went wrong after a connection existed may have reached vmapd.
 */
export function neverSent(err: VmapClientError): boolean {
  if (err.status !== grpcStatus.UNAVAILABLE || err.vmapCode !== undefined) return false;
  return /^(?:\w+: )?No connection established|^Name resolution failed/.test(err.details);
}
