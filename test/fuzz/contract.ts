/**
 * The contract the fuzz tests hold vmapd to, as the model states it: the
 * default space, the bounds on string fields, who a caller is, the error
 * kinds with their gRPC codes and HTTP statuses, and how a uint64 and a
 * bearer token are read. Written from issue 6 and the proto, not from src/.
 */

/**
 * The default space: x86-64 VMALLOC_START, 32 TiB as the kernel sizes it.
 * VMALLOC_END is VMALLOC_START + 32 TiB - 1 and an area must end at or
 * below it, so the last page is never allocated.
 */
export const BASE = 0xffffc90000000000n;
/** Bytes per page. */
export const PAGE = 4096;
/** PAGE as a BigInt, for address arithmetic. */
export const PAGE_N = 4096n;
/** Pages areas may take in the default space: all of the 32 TiB but the last. */
export const PAGES = 2 ** 33 - 1;
/** Bytes of the default space (`--space-size`): no request may be larger. */
export const SPACE_BYTES = 32n << 40n;
/** The first address past the pages areas may take. */
export const END = BASE + BigInt(PAGES) * PAGE_N;
/** The highest address a vstart or vend may name: VMALLOC_END plus one; past END it means END. */
export const LIMIT_END = BASE + SPACE_BYTES;
/** The largest uint64. */
export const U64_MAX = (1n << 64n) - 1n;
/** Longest caller: string fields are bounded (issue 6: "oversized caller/request_id strings"). */
export const MAX_CALLER = 256;
/** Longest request_id. */
export const MAX_REQUEST_ID = 128;
/** Most requests in one AllocBatch. */
export const MAX_BATCH = 10000;

/** Who calls: the owner a valid token stands for, and its role. */
export interface Who {
  readonly owner: string;
  readonly role: 'client' | 'admin';
}

/** The failures the model predicts (the service's error kinds). */
export type Kind = 'InvalidArgument' | 'OutOfSpace' | 'NoSuchArea' | 'PermissionDenied' | 'Unauthenticated';

/** A predicted answer: a value, or an error kind and (InvalidArgument) the fields that may be named. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly kind: Kind; readonly fields?: readonly string[] };

/** The gRPC status code of each kind. */
export const GRPC_CODE: Record<Kind, number> = {
  InvalidArgument: 3,
  NoSuchArea: 5,
  PermissionDenied: 7,
  OutOfSpace: 8,
  Unauthenticated: 16,
};

/** The HTTP status of each kind. */
export const HTTP_STATUS: Record<Kind, number> = {
  InvalidArgument: 400,
  NoSuchArea: 404,
  PermissionDenied: 403,
  OutOfSpace: 507,
  Unauthenticated: 401,
};

/**
 * A uint64 as the contract takes it: a decimal or `0x` hex string (nothing
 * around it, not even whitespace), a safe non-negative integer or a BigInt;
 * undefined for anything else, including negative numbers and values above 2^64-1.
 */
export function u64(value: unknown): bigint | undefined {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return undefined;
    n = BigInt(value);
  } else if (typeof value === 'string') {
    if (!/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(value)) return undefined;
    n = BigInt(value);
  } else return undefined;
  return n < 0n || n > U64_MAX ? undefined : n;
}

/** The identity an `authorization` value stands for under `tokens`, or undefined (unauthenticated). */
export function identityOf(header: string | undefined, tokens: ReadonlyMap<string, Who>): Who | undefined {
  if (header === undefined || header === '') return undefined;
  // RFC 6750: the scheme is case-insensitive; one token, surrounding blanks allowed.
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? tokens.get(m[1]!) : undefined;
}

/** C0 and C1 controls, DEL, U+2028 and U+2029: what would break a /vmallocinfo line. */
export function breaksLine(s: string): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}
