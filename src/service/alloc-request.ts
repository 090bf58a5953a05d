import { InvalidArgument } from '../vmap/errors.js';
import { hex, type SpaceGeometry } from '../vmap/geometry.js';
import type { AllocRequest } from '../vmap/requests.js';
import type { AllocFields, AllocInput } from './alloc-input.js';

/** Longest caller string kept; longer ones are refused. */
export const MAX_CALLER_LENGTH = 256;
/** Longest request_id accepted. */
export const MAX_REQUEST_ID_LENGTH = 128;
/** Most allocations in one AllocBatch. */
export const MAX_BATCH_ALLOCS = 10000;

/**
 * Checks `input` against the space of `geometry` and turns its 64-bit
 * addresses into the page numbers the allocator works in; `prefix` goes
 * before field names (`requests[3].`).
 *
 * @throws InvalidArgument naming the field
 */
export function toAllocRequest(geometry: SpaceGeometry, input: AllocInput, prefix: string): AllocRequest {
  const fail = (field: string, message: string): never => {
    throw new InvalidArgument(prefix + field, message);
  };
  if (input.size === 0n) fail('size', 'must be greater than 0');
  if (input.size > geometry.size) fail('size', `${input.size} bytes exceed the whole space (${geometry.size} bytes)`);
  if (input.align !== 0n && (input.align & (input.align - 1n)) !== 0n) fail('align', `must be 0 or a power of two, got ${input.align}`);
  if (input.align !== 0n && !geometry.holdsMultipleOf(input.align)) {
    fail('align', `${input.align} can never fit: no address in the space [${hex(geometry.base)}, ${hex(geometry.end)}) is a multiple of it`);
  }
  if (input.caller.length > MAX_CALLER_LENGTH) fail('caller', `must be at most ${MAX_CALLER_LENGTH} characters`);
  if (input.requestId.length > MAX_REQUEST_ID_LENGTH) fail('request_id', `must be at most ${MAX_REQUEST_ID_LENGTH} characters`);
  const limit = (addr: bigint, field: 'vstart' | 'vend'): number | undefined => {
    try {
      return geometry.limitPage(addr, field);
    } catch (err) {
      return err instanceof InvalidArgument ? fail(field, err.message.slice(field.length + 2)) : fail(field, String(err));
    }
  };
  return {
    size: Number(input.size),
    align: Number(input.align),
    vstart: limit(input.vstart, 'vstart'),
    vend: limit(input.vend, 'vend'),
    noGuard: input.noGuard,
    caller: input.caller,
    owner: input.owner,
    requestId: input.requestId,
  };
}

/** Whether `s` is a string of at most `max` characters, none of them a control character or line break (`oneLine`). */
function plainString(s: unknown, max: number, oneLine: boolean): s is string {
  if (typeof s !== 'string' || s.length > max) return false;
  if (oneLine) {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return false;
    }
  }
  return true;
}

/**
 * The AllocRequests of `batch` when every request is the plain kind (size a
 * safe integer in (0, the space], no alignment or range limits, strings
 * within their limits): exactly what parseAllocInput then toAllocRequest
 * make of them, without a bigint on the way. Undefined when any request is
 * not: those two then check the whole batch and word its errors.
 */
export function quickAllocRequests(geometry: SpaceGeometry, batch: readonly AllocFields[], owner: string): AllocRequest[] | undefined {
  const maxSize = Number(geometry.size);
  const out = new Array<AllocRequest>(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const f = batch[i]!;
    const size = f.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0 || size > maxSize) return undefined;
    if (f.align !== 0 || f.vstart !== 0 || f.vend !== 0 || typeof f.no_guard !== 'boolean') return undefined;
    const caller = f.caller;
    const requestId = f.request_id;
    if (!plainString(caller, MAX_CALLER_LENGTH, true) || !plainString(requestId, MAX_REQUEST_ID_LENGTH, false)) return undefined;
    out[i] = { size, align: 0, vstart: undefined, vend: undefined, noGuard: f.no_guard, caller, owner, requestId };
  }
  return out;
}
