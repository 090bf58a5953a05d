/**
 * Sizes and addresses as the client, vmapctl and vmapd take them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatSize, parseSize } from '../../src/client/index.js';
import { VmapClientError } from '../../src/client/errors.js';
import { wireAddress, wireSize } from '../../src/client/sizes.js';

describe('sizes', () => {
  it('parses binary multiples, bytes and hex', () => {
    assert.equal(parseSize('4096', 'size'), 4096n);
    assert.equal(parseSize('8k', 'size'), 8192n);
    assert.equal(parseSize('2M', 'size'), 2n << 20n);
    assert.equal(parseSize('1GiB', 'size'), 1n << 30n);
    assert.equal(parseSize('32T', 'size'), 32n << 40n);
    assert.equal(parseSize('0x1000', 'size'), 4096n);
    assert.throws(() => parseSize('8x', 'size'), /size: /);
    assert.throws(() => parseSize('99999999T', 'size'), /64 bits/);
  });

  it('formats the short way, exact or in bytes', () => {
    assert.equal(formatSize(8192), '8k');
    assert.equal(formatSize(2n << 20n), '2M');
    assert.equal(formatSize(4097), '4097');
  });

  it('turns every form into the wire’s decimal, or a VmapClientError naming the field', () => {
    assert.equal(wireSize('8k', 'size'), '8192');
    assert.equal(wireSize(8192, 'size'), '8192');
    assert.equal(wireSize(8192n, 'size'), '8192');
    assert.equal(wireAddress('0xffffc90000000000', 'addr'), '18446683600570023936');
    assert.equal(wireAddress(0xffffc90000000000n, 'addr'), '18446683600570023936');
    for (const bad of [-1, 0.5, 2n ** 64n, '1 2', '0xg']) {
      assert.throws(() => wireSize(bad, 'size'), (e: unknown) => e instanceof VmapClientError && e.code === 'INVALID_ARGUMENT' && e.field === 'size' && /^size: /.test(e.details));
    }
  });
});
