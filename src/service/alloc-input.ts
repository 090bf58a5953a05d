import { InvalidArgument } from '../vmap/errors.js';
import { parseU64 } from '../vmap/geometry.js';

/** An allocation as the edges hand it over: uint64 fields parsed, not yet checked against the space. */
export interface AllocInput {
  readonly size: bigint;
  readonly align: bigint;
  readonly vstart: bigint;
  readonly vend: bigint;
  readonly noGuard: boolean;
  readonly caller: string;
  readonly owner: string;
  /** Idempotency key, '' for none; scoped to the owner. */
  readonly requestId: string;
}

/** An AllocRequest as an edge received it: the gRPC message, or an HTTP JSON body. */
export type AllocFields = { readonly [K in 'size' | 'align' | 'vstart' | 'vend' | 'no_guard' | 'caller' | 'request_id']?: unknown };

/** The fields of the AllocRequest message, as both edges accept them. */
export const ALLOC_REQUEST_FIELDS: ReadonlySet<string> = new Set(['size', 'align', 'vstart', 'vend', 'no_guard', 'caller', 'request_id']);

/**
 * A JSON number that is no integer (`1.5`, `4096.00000000000000001`, `1e400`),
 * kept as the text the client sent: no JS number holds every such value
 * exactly, and a message must repeat what was sent, not a rounding of it.
 * The HTTP edge's JSON parser makes these; integers arrive as numbers or BigInts.
 */
export class NumberLiteral {
  /** @param text the number exactly as it stood in the JSON text */
  constructor(readonly text: string) {}
}

/** A uint64 field as either edge sends it: parseU64, but a NumberLiteral is refused with its own text (cut if absurdly long). */
export function u64(v: unknown, field: string): bigint {
  if (!(v instanceof NumberLiteral)) return parseU64(v, field);
  const shown = v.text.length <= 80 ? v.text : `${v.text.slice(0, 24)}… (${v.text.length} characters)`;
  throw new InvalidArgument(field, `must be an unsigned integer, got ${shown}`);
}

function optionalU64(fields: AllocFields, field: 'align' | 'vstart' | 'vend', prefix: string): bigint {
  const v = fields[field];
  return v === undefined || v === null ? 0n : u64(v, prefix + field);
}

/** Whether `s` holds a C0 or C1 control character, DEL, or a Unicode line or paragraph separator. */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/**
 * A string field. `oneLine` for a field printed inside a line of /vmallocinfo,
 * where a line break would let a client forge lines (another owner's areas).
 */
function optionalString(fields: AllocFields, field: 'caller' | 'request_id', prefix: string, oneLine = false): string {
  const v = fields[field];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new InvalidArgument(prefix + field, 'must be a string');
  if (oneLine && hasControlCharacter(v)) throw new InvalidArgument(prefix + field, 'must not contain control characters or line breaks');
  return v;
}

/**
 * Reads an AllocRequest message (gRPC, or an HTTP JSON body) into an
 * AllocInput for `owner`. uint64 fields may be decimal or `0x` hex strings,
 * safe integers or BigInts (an HTTP body's large integers). Errors name the
 * field, after `prefix` (`requests[3].`).
 */
export function parseAllocInput(fields: AllocFields, owner: string, prefix = ''): AllocInput {
  if (fields.size === undefined || fields.size === null) throw new InvalidArgument(prefix + 'size', 'is required');
  if (fields.no_guard !== undefined && fields.no_guard !== null && typeof fields.no_guard !== 'boolean') {
    throw new InvalidArgument(prefix + 'no_guard', 'must be a boolean');
  }
  return {
    size: u64(fields.size, prefix + 'size'),
    align: optionalU64(fields, 'align', prefix),
    vstart: optionalU64(fields, 'vstart', prefix),
    vend: optionalU64(fields, 'vend', prefix),
    noGuard: fields.no_guard === true,
    caller: optionalString(fields, 'caller', prefix, true),
    owner,
    requestId: optionalString(fields, 'request_id', prefix),
  };
}
