/**
 * fast-check generators of request values: tokens, garbage, addresses near
 * and far from the space, sizes and alignments around their edges, uint64
 * forms, caller and request_id strings, and whole AllocRequests, each in a
 * wild and a well-formed flavour (the well-formed ones make areas to free,
 * find and list).
 */
import fc from 'fast-check';
import { BASE, END, LIMIT_END, MAX_CALLER, MAX_REQUEST_ID, PAGE, SPACE_BYTES, U64_MAX } from './contract.js';
import { RawNumber, type AddrPick, type AllocGen, type Form } from './encoding.js';
import type { Auth } from './identities.js';

/** Mostly a valid token in some spelling; sometimes a bad one, random text or none. */
export const authArb: fc.Arbitrary<Auth> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ t: fc.constant('token' as const), i: fc.integer({ min: 0, max: 2 }), form: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('bad' as const), i: fc.integer({ min: 0, max: 2 }), form: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('random' as const), s: fc.oneof(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40, unit: 'binary' })) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'none' as const }) },
);
/** A valid token, written plainly: for the well-formed requests that make areas to free, find and list. */
export const goodAuthArb: fc.Arbitrary<Auth> = fc.record({ t: fc.constant('token' as const), i: fc.integer({ min: 0, max: 2 }), form: fc.constant(0) });

/** Values that are mostly no well-formed uint64: short strings, near-misses of number syntax, doubles, booleans, null, arrays, objects. */
export const garbage: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', ' ', '1e3', '1.5', '0x', '0xg1', '+5', '-0', '\u0663', 'NaN', 'Infinity', '0b101', '1_000', '0o17', '4096 4096', '\u00a04096', '0x-1'),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.nat(9), { maxLength: 2 }),
  fc.constant({}),
);
/** garbage, plus raw JSON number texts (-0, exponents, 4096.0, beyond 2^64) and any JSON value. */
export const jsonGarbage: fc.Arbitrary<unknown> = fc.oneof(
  garbage,
  fc.constantFrom(new RawNumber('-0'), new RawNumber('1e400'), new RawNumber('-1e400'), new RawNumber('4096.0'), new RawNumber('1E3'), new RawNumber('18446744073709551616')),
  fc.jsonValue({ maxDepth: 2 }),
);

const nearBase = fc.integer({ min: 0, max: 48 }).map((k) => BASE + BigInt(k) * BigInt(PAGE));
/** An address: mostly page starts near the base (and just off them), sometimes the edges of the space and of uint64, sometimes anything. */
const addrCore: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 6, arbitrary: nearBase },
  { weight: 3, arbitrary: fc.tuple(nearBase, fc.integer({ min: -4097, max: 4097 })).map(([a, d]) => a + BigInt(d)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(0n, 1n, BASE - 1n, BASE - 4096n, END - 8192n, END - 4096n, END - 1n, END, END + 1n, LIMIT_END - 1n, LIMIT_END, LIMIT_END + 1n, 1n << 63n, U64_MAX, 1n << 64n, 1n << 70n),
  },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: U64_MAX }) },
);
/** A size: mostly up to six pages, sometimes the edges of the space and of uint64. */
const sizeCore: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 6 * PAGE }).map(BigInt) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 6 }).map((k) => BigInt(k * PAGE)) },
  { weight: 1, arbitrary: fc.constantFrom(0n, SPACE_BYTES - 8192n, SPACE_BYTES - 4096n, SPACE_BYTES, SPACE_BYTES + 1n, 1n << 53n, U64_MAX, 1n << 64n) },
);
/** An alignment: mostly a power of two up to 1 MiB; sometimes a larger one up to 2^63, zero, a non-power of two, or one beyond uint64. */
const alignCore: fc.Arbitrary<bigint> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 20 }).map((k) => 1n << BigInt(k)) },
  { weight: 1, arbitrary: fc.integer({ min: 21, max: 63 }).map((k) => 1n << BigInt(k)) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 3n, 4097n, 6n * 4096n, 1n << 64n, U64_MAX) },
);

/** A uint64 form, plain 8 times in 14; `junk` for the garbage form. */
const formArb = (junk: fc.Arbitrary<unknown>): fc.Arbitrary<Form> =>
  fc.record({ form: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 6, arbitrary: fc.integer({ min: 1, max: 6 }) }), junk });

/** An address, mostly one of the model's areas; `junk` for the garbage form. */
export const addrPickArb = (junk: fc.Arbitrary<unknown>): fc.Arbitrary<AddrPick> =>
  fc.record({
    live: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    i: fc.nat(40),
    delta: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 4095, 4096, 8192, -4096, -1) }),
    core: addrCore,
    f: formArb(junk),
  });
/** One of the model's areas, exactly, written plainly. */
export const goodPickArb: fc.Arbitrary<AddrPick> = fc.record({ live: fc.constant(true), i: fc.nat(40), delta: fc.constant(0), core: fc.constant(BASE), f: fc.constant({ form: 0, junk: null }) });

/** A caller: short strings, binary ones, the length and line-breaking edges, garbage. */
const callerArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(MAX_CALLER), 'x'.repeat(MAX_CALLER + 1), 'a\nb', 'tab\there', '\u2028', '\u00e9'.repeat(MAX_CALLER), 'x pages=1 vmalloc owner=root') },
  { weight: 1, arbitrary: garbage },
);
/** A request_id: a few that repeat (so retries happen), random and edge-length ones, garbage. */
const requestIdArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('r1', 'r2', 'job-7') },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(MAX_REQUEST_ID), 'x'.repeat(MAX_REQUEST_ID + 1), '\u0000') },
  { weight: 1, arbitrary: garbage },
);
/** `arb` in `percent` % of the cases, else undefined. */
export const sometimes = <T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: percent, arbitrary: arb }, { weight: 100 - percent, arbitrary: fc.constant(undefined) });

/** An AllocRequest with every field sometimes absent, sometimes odd; `junk` for the garbage form. */
export const allocGenArb = (junk: fc.Arbitrary<unknown>): fc.Arbitrary<AllocGen> =>
  fc.record({
    window: sometimes(fc.tuple(fc.nat(12), fc.integer({ min: 1, max: 10 })), 30),
    size: fc.oneof({ weight: 12, arbitrary: fc.tuple(sizeCore, formArb(junk)) }, { weight: 1, arbitrary: fc.constant(undefined) }),
    align: sometimes(fc.tuple(alignCore, formArb(junk)), 25),
    vstart: sometimes(fc.tuple(addrCore, formArb(junk)), 25),
    vend: sometimes(fc.tuple(addrCore, formArb(junk)), 25),
    no_guard: sometimes(fc.oneof({ weight: 6, arbitrary: fc.boolean() }, { weight: 1, arbitrary: junk }), 50),
    caller: sometimes(callerArb, 50),
    request_id: sometimes(requestIdArb, 50),
  });
/** A well-formed AllocRequest of up to four pages. */
export const goodAllocGenArb: fc.Arbitrary<AllocGen> = fc.record({
  window: sometimes(fc.tuple(fc.nat(12), fc.integer({ min: 1, max: 10 })), 20),
  size: fc.tuple(fc.integer({ min: 1, max: 4 * PAGE }).map(BigInt), fc.constant({ form: 0, junk: null })),
  no_guard: sometimes(fc.boolean(), 30),
  caller: sometimes(fc.constantFrom('vmalloc', 'ioremap', 'bpf_jit'), 30),
  request_id: sometimes(fc.constantFrom('r1', 'r2', 'r3', 'job-7'), 40),
});
