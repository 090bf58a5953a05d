import { InvalidArgument } from '../vmap/errors.js';
import { hex, type SpaceGeometry } from '../vmap/geometry.js';
import type { AllocRequest } from '../vmap/requests.js';
import type { AllocInput } from './alloc-input.js';

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
