/**
 * The retry rule and the backoff, on their own: which failures of which
 * kind of call are tried again, and full jitter under a growing cap.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { VmapClientError } from '../../src/client/errors.js';
import { backoffMs, retryable } from '../../src/client/retry.js';

const policy = { attempts: 10, baseDelayMs: 50, maxDelayMs: 1000 };

function err(s: status, details: string, vmapCode?: string): VmapClientError {
  return new VmapClientError({ status: s, details, ...(vmapCode === undefined ? {} : { vmapCode }) });
}

describe('retry rule', () => {
  it('retries idempotent calls on UNAVAILABLE, DEADLINE_EXCEEDED and a busy server; nothing else', () => {
    assert.ok(retryable(err(status.UNAVAILABLE, 'Connection dropped'), 'idempotent'));
    assert.ok(retryable(err(status.UNAVAILABLE, 'write not applied: disk full', 'VMAP_ERR_UNAVAILABLE'), 'idempotent'));
    assert.ok(retryable(err(status.DEADLINE_EXCEEDED, 'Deadline exceeded'), 'idempotent'));
    assert.ok(retryable(err(status.RESOURCE_EXHAUSTED, 'server busy', 'VMAP_ERR_BUSY'), 'idempotent'));
    assert.ok(!retryable(err(status.RESOURCE_EXHAUSTED, 'no room', 'VMAP_ERR_OUT_OF_SPACE'), 'idempotent'));
    for (const s of [status.INVALID_ARGUMENT, status.NOT_FOUND, status.UNAUTHENTICATED, status.PERMISSION_DENIED, status.INTERNAL, status.CANCELLED]) {
      assert.ok(!retryable(err(s, 'no'), 'idempotent'), status[s]);
    }
  });

  it('retries a free only when it was never sent', () => {
    assert.ok(retryable(err(status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1'), 'unsent-only'));
    assert.ok(retryable(err(status.UNAVAILABLE, 'Name resolution failed for target dns:nowhere:1'), 'unsent-only'));
    assert.ok(!retryable(err(status.UNAVAILABLE, 'Connection dropped'), 'unsent-only'));
    assert.ok(!retryable(err(status.UNAVAILABLE, 'No connection established', 'VMAP_ERR_UNAVAILABLE'), 'unsent-only'), 'vmapd answered');
    assert.ok(!retryable(err(status.DEADLINE_EXCEEDED, 'Deadline exceeded'), 'unsent-only'));
  });

  it('backs off with full jitter: uniform below a cap that doubles up to maxDelayMs', () => {
    assert.equal(backoffMs(policy, 0, () => 0), 0);
    assert.equal(backoffMs(policy, 0, () => 0.999999), 49);
    assert.equal(backoffMs(policy, 3, () => 0.5), 200);
    assert.equal(backoffMs(policy, 10, () => 0.5), 500);
    assert.equal(backoffMs(policy, 1000, () => 0.999999), 999);
  });
});
