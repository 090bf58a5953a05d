/**
 * The load scripts' target policy: loopback only, unless the one compose
 * service name is allowed explicitly (how the compose `load` profile reaches
 * vmapd); never an IP address or a dotted name outside loopback.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkTargetHost, isLoopback } from '../../loadtest/lib/target.js';

describe('load target policy', () => {
  it('accepts the loopback range', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
      assert.ok(isLoopback(h), h);
      assert.equal(checkTargetHost(h, undefined), h);
    }
  });

  it('refuses anything else unless it is the allowed compose service name', () => {
    for (const h of ['10.0.0.1', '192.168.1.1', '8.8.8.8', 'example.com', 'vmapd']) assert.throws(() => checkTargetHost(h, undefined), /refusing/, h);
    assert.equal(checkTargetHost('vmapd', 'vmapd'), 'vmapd');
    assert.throws(() => checkTargetHost('other', 'vmapd'), /refusing/);
  });

  it('never lets the allowance name an address or a dotted host', () => {
    for (const h of ['10.0.0.1', '172.17.0.2', 'example.com', 'fe80::1']) assert.throws(() => checkTargetHost(h, h), /compose service name/, h);
  });
});
