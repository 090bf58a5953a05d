/**
 * The replay load script end to end: it starts a vmapd child of its own,
 * replays a dump into it, prints the figures and stops the child.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../helpers/server.js';
import { runScript } from '../cli/vmapctl-run.js';
import { EVERY_KIND, EVERY_KIND_TOTALS } from '../cli/vmallocinfo-samples.js';

describe('loadtest replay', () => {
  it('--spawn replays a dump into a vmapd child, times it and reproduces the totals', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loadtest-replay-'));
    try {
      const file = join(dir, 'every-kind.txt');
      writeFileSync(file, EVERY_KIND);
      const script = join(projectRoot(), 'dist', 'loadtest', 'replay.js');
      const r = await runScript(script, ['--spawn', file, '--churn', '20', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { reproduced: boolean; dump: { entries: number }; alloc_ms: number; free_ms: number; churn: { rounds: number; vmapd: { nr_areas: number } } };
      assert.equal(doc.reproduced, true);
      assert.equal(doc.dump.entries, EVERY_KIND_TOTALS.entries);
      assert.equal(typeof doc.alloc_ms, 'number');
      assert.equal(doc.churn.rounds, 20);
      assert.equal(doc.churn.vmapd.nr_areas, EVERY_KIND_TOTALS.entries - EVERY_KIND_TOTALS.lazyEntries);
      const text = await runScript(script, ['--spawn', file]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /^allocs: 11 in 1 AllocBatch call, \d+ ms \(\d+ allocs\/s\)\nlazy frees: 2 Free calls/);
      assert.match(text.stdout, /reproduced: entries and reserved bytes match\n$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
