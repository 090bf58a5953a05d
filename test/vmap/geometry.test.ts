import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgument } from '../../src/vmap/errors.js';
import { DEFAULT_SPACE_BASE, SpaceGeometry, hex, parseU64 } from '../../src/vmap/geometry.js';

describe('parseU64', () => {
  it('accepts decimal, hex, safe numbers and BigInt', () => {
    assert.equal(parseU64('4096', 'size'), 4096n);
    assert.equal(parseU64('0xffffc90000000000', 'addr'), 0xffffc90000000000n);
    assert.equal(parseU64(12, 'size'), 12n);
    assert.equal(parseU64(18446744073709551615n, 'size'), 18446744073709551615n);
  });
  it('rejects what is not a uint64, naming the field', () => {
    for (const bad of ['-1', '', 'abc', '1.5', '0x', '18446744073709551616', -1, 1.5, null, undefined, {}, -1n]) {
      assert.throws(() => parseU64(bad, 'align'), (e: unknown) => e instanceof InvalidArgument && e.field === 'align');
    }
  });
});

describe('SpaceGeometry', () => {
  const g = new SpaceGeometry();
  it('defaults to the x86-64 vmalloc space, ending where the kernel ends it', () => {
    assert.equal(g.base, DEFAULT_SPACE_BASE);
    // VMALLOC_END = VMALLOC_START + 32 TiB - 1: an area ending at or below it never takes the last page.
    assert.equal(hex(g.vmallocEnd), '0xffffe8ffffffffff');
    assert.equal(g.pages, 2 ** 33 - 1);
    assert.equal(g.hexOf(0), '0xffffc90000000000');
    assert.equal(g.hexOf(1), '0xffffc90000001000');
    assert.equal(hex(g.end), '0xffffe8fffffff000');
  });
  it('rounds vstart up and vend down to pages, 0 meaning the default', () => {
    assert.equal(g.limitPage(0n, 'vstart'), undefined);
    assert.equal(g.limitPage(g.base + 1n, 'vstart'), 1);
    assert.equal(g.limitPage(g.base + 8191n, 'vend'), 1);
    assert.equal(g.limitPage(g.end, 'vend'), g.pages);
    // VMALLOC_END itself, and one past it, are the space's end too.
    assert.equal(g.limitPage(g.vmallocEnd, 'vend'), g.pages);
    assert.equal(g.limitPage(g.vmallocEnd + 1n, 'vend'), g.pages);
    assert.equal(g.limitPage(g.vmallocEnd + 1n, 'vstart'), g.pages);
    assert.throws(() => g.limitPage(g.base - 4096n, 'vstart'), (e: unknown) => e instanceof InvalidArgument && e.field === 'vstart');
    assert.throws(() => g.limitPage(g.vmallocEnd + 2n, 'vend'), (e: unknown) => e instanceof InvalidArgument && e.field === 'vend');
  });
  it('maps addresses to pages only inside the space', () => {
    assert.equal(g.pageAt(g.base + 4096n), 1);
    assert.equal(g.pageAt(g.base + 4097n), undefined);
    assert.equal(g.pageContaining(g.base + 4097n), 1);
    assert.equal(g.pageContaining(g.end), undefined);
    assert.equal(g.addressOf(3), g.base + 3n * 4096n);
  });
  it('rejects unaligned or oversized spaces', () => {
    assert.throws(() => new SpaceGeometry(1n, 4096n), InvalidArgument);
    assert.throws(() => new SpaceGeometry(0n, 4095n), InvalidArgument);
    assert.throws(() => new SpaceGeometry(0n, 4096n), /at least 8192/);
    assert.throws(() => new SpaceGeometry((1n << 63n) + 4096n, 1n << 63n), InvalidArgument);
    assert.equal(new SpaceGeometry(0n, 1n << 64n).pages, 2 ** 52 - 1);
  });
});
