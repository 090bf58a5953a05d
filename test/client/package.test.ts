/**
 * `vmapd/client` by its package name, as a library user imports it: the
 * package's `exports` lead to the compiled client and its declarations
 * (package-types.ts, compiled by the build, uses them).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as byName from 'vmapd/client';
import * as root from 'vmapd';
import { VmapClient } from '../../src/client/index.js';
import { options, useEveryMethod, codeOf } from './package-types.js';
import { projectRoot, startTestServer, type TestServer } from '../helpers/server.js';

describe('the vmapd/client package entry', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('is the client itself, also at the package root, with declarations beside it', () => {
    assert.equal(byName.VmapClient, VmapClient);
    assert.equal(root.VmapClient, VmapClient);
    const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { exports: Record<string, { types: string }> };
    for (const entry of ['.', './client']) assert.ok(existsSync(join(projectRoot(), pkg.exports[entry]!.types)), `${entry}: ${pkg.exports[entry]!.types}`);
  });

  it('works through the package name: every method', async () => {
    const client = new byName.VmapClient({ ...options, targets: s.grpcTarget });
    try {
      const { area, info, listed } = await useEveryMethod(client);
      assert.equal(area.size, 8192n);
      assert.ok(listed.includes(area.addr));
      assert.equal(info.nrAreas, 2, "8k and 2m busy, the 4k one freed");
      assert.equal(codeOf(await client.find(0n).catch((e: unknown) => e)), 'NOT_FOUND/VMAP_ERR_NO_SUCH_AREA/');
    } finally {
      client.close();
    }
  });
});
