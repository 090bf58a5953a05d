/**
 * The varint reader (src/grpc/varint-reader.ts) against protobufjs's own
 * Reader: the same values, the same position after, and an error where
 * protobufjs throws one, for every uint64 from 0 to 2^64 - 1 and for
 * varints that are cut short or run on past ten bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import protobuf from 'protobufjs/minimal.js';
import { bigValue, readString, readUint64, safeValue, type Uint64Halves } from '../../src/grpc/varint-reader.js';

const { Reader, Writer } = protobuf;

const u64 = fc.oneof(
  fc.constantFrom(0n, 1n, 127n, 128n, (1n << 32n) - 1n, 1n << 32n, (1n << 53n) - 1n, 1n << 53n, (1n << 64n) - 1n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.nat().map(BigInt),
);

/** The varint protobufjs writes for `v` (a decimal string: exact with long.js). */
function varint(v: bigint): Uint8Array {
  return Writer.create().uint64(v.toString()).finish();
}

/** protobufjs's own reading of the uint64 at `r`, as bigint. */
function theirs(r: protobuf.Reader): bigint {
  const l = r.uint64() as unknown as protobuf.Long;
  return (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
}

describe('varint reader', () => {
  it('reads every uint64 as protobufjs does, and stops where it stops', () => {
    fc.assert(
      fc.property(fc.array(u64, { minLength: 1, maxLength: 8 }), (values) => {
        const w = Writer.create();
        for (const v of values) w.uint64(v.toString());
        const bytes = w.finish();
        const mine = Reader.create(bytes);
        const ref = Reader.create(bytes);
        const h: Uint64Halves = { lo: 0, hi: 0 };
        for (const v of values) {
          readUint64(mine, h);
          assert.equal(bigValue(h), theirs(ref));
          assert.equal(bigValue(h), v);
          assert.equal(mine.pos, ref.pos);
          assert.equal(safeValue(h), v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : -1);
        }
      }),
    );
  });

  it('reads a varint of more than the bits a uint64 holds as its low 64 bits, as protobufjs does', () => {
    // Ten bytes, every bit set: 70 bits, of which the low 64 count.
    const bytes = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    const h: Uint64Halves = { lo: 0, hi: 0 };
    readUint64(Reader.create(bytes), h);
    assert.equal(bigValue(h), theirs(Reader.create(bytes)));
    assert.equal(bigValue(h), (1n << 64n) - 1n);
  });

  it('throws where protobufjs throws: cut short, or continued past ten bytes', () => {
    const h: Uint64Halves = { lo: 0, hi: 0 };
    const cases = [
      Uint8Array.from([]),
      Uint8Array.from([0x80]),
      varint((1n << 64n) - 1n).subarray(0, 9),
      Uint8Array.from(new Array<number>(11).fill(0x80)),
    ];
    for (const bytes of cases) {
      assert.throws(() => theirs(Reader.create(bytes)));
      assert.throws(() => readUint64(Reader.create(bytes), h), `bytes ${Buffer.from(bytes).toString('hex')}`);
    }
  });

  it('does not read past the end the reader was given within its buffer', () => {
    const bytes = varint(1n << 40n);
    const r = Reader.create(bytes);
    // The end falls just before the varint's last byte, which would complete it.
    r.len = bytes.length - 1;
    assert.throws(() => readUint64(r, { lo: 0, hi: 0 }), RangeError);
  });

  it('reads strings as Reader.string does, the empty one included', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom('', 'a', 'é'), fc.string({ unit: 'binary', maxLength: 40 })), { minLength: 1, maxLength: 8 }), (texts) => {
        const w = Writer.create();
        for (const t of texts) w.string(t);
        const bytes = w.finish();
        const mine = Reader.create(bytes);
        const ref = Reader.create(bytes);
        for (const t of texts) {
          assert.equal(readString(mine), t);
          ref.string();
          assert.equal(mine.pos, ref.pos);
        }
      }),
    );
    const cut = Uint8Array.from([5, 0x61]);
    assert.throws(() => Reader.create(cut).string());
    assert.throws(() => readString(Reader.create(cut)));
  });
});
