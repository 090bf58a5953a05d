/**
 * The gRPC requests the fuzz tests send, and their generator: well-formed
 * Allocs, Frees and Finds that keep areas coming and going, wild ones with
 * any field in any form (the encoded bytes sometimes cut, extended or
 * flipped), batches, listings, and raw bytes for any method.
 */
import fc from 'fast-check';
import type { AddrPick, AllocGen } from './encoding.js';
import type { Auth } from './identities.js';
import { METHODS, type Method } from './raw-clients.js';
import { addrPickArb, allocGenArb, authArb, garbage, goodAllocGenArb, goodAuthArb, goodPickArb, sometimes } from './value-arbitraries.js';

/** A change to the encoded bytes: cut them, add to them, or flip one. */
export type Mutation = { t: 'cut'; n: number } | { t: 'add'; bytes: Uint8Array } | { t: 'flip'; i: number; b: number };
/** A cut of up to 9 bytes, up to 8 bytes added, or one byte flipped. */
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ t: fc.constant('cut' as const), n: fc.nat(8) }),
  fc.record({ t: fc.constant('add' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ t: fc.constant('flip' as const), i: fc.nat(64), b: fc.integer({ min: 1, max: 255 }) }),
);
/** `bytes` changed by `m`; `bytes` itself is never written to. */
export function mutate(bytes: Buffer, m: Mutation): Buffer {
  if (m.t === 'cut') return bytes.subarray(0, Math.max(0, bytes.length - 1 - m.n));
  if (m.t === 'add') return Buffer.concat([bytes, m.bytes]);
  if (bytes.length === 0) return Buffer.from([m.b]);
  const out = Buffer.from(bytes);
  const i = m.i % out.length;
  out[i] = out[i]! ^ m.b;
  return out;
}

/** A gRPC request: its fields (resolved against the model when it runs) or raw bytes. */
export type GrpcCmd = {
  edge: 'grpc';
  method: Method;
  auth: Auth;
  spoof: boolean;
  alloc?: AllocGen;
  batch?: AllocGen[];
  addr?: AddrPick;
  limit?: number;
  includeLazy?: boolean;
  mutation?: Mutation;
  raw?: Uint8Array;
};

/** A gRPC request: about a quarter well-formed, the rest wild. */
export const grpcCmdArb: fc.Arbitrary<GrpcCmd> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ edge: fc.constant('grpc' as const), method: fc.constantFrom('Free' as const, 'Free' as const, 'Find' as const), auth: goodAuthArb, spoof: fc.constant(false), addr: goodPickArb }),
  },
  {
    weight: 5,
    arbitrary: fc.record({ edge: fc.constant('grpc' as const), method: fc.constant('Alloc' as const), auth: goodAuthArb, spoof: fc.constant(false), alloc: goodAllocGenArb }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      edge: fc.constant('grpc' as const),
      method: fc.constant('Alloc' as const),
      auth: authArb,
      spoof: fc.boolean(),
      alloc: allocGenArb(garbage),
      mutation: sometimes(mutationArb, 10),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      edge: fc.constant('grpc' as const),
      method: fc.constant('AllocBatch' as const),
      auth: authArb,
      spoof: fc.constant(false),
      batch: fc.array(allocGenArb(garbage), { maxLength: 4 }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      edge: fc.constant('grpc' as const),
      method: fc.constantFrom('Free' as const, 'Find' as const),
      auth: authArb,
      spoof: fc.boolean(),
      addr: addrPickArb(garbage),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      edge: fc.constant('grpc' as const),
      method: fc.constant('ListAreas' as const),
      auth: authArb,
      spoof: fc.constant(false),
      addr: addrPickArb(garbage),
      limit: fc.oneof(fc.constant(0), fc.nat(5), fc.constantFrom(-1, 2 ** 32, 2 ** 40)),
      includeLazy: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      edge: fc.constant('grpc' as const),
      method: fc.constantFrom('Purge' as const, 'MemInfo' as const),
      auth: authArb,
      spoof: fc.constant(false),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      edge: fc.constant('grpc' as const),
      method: fc.constantFrom(...METHODS),
      auth: authArb,
      spoof: fc.constant(false),
      raw: fc.uint8Array({ maxLength: 40 }),
    }),
  },
);
