/**
 * The committed gRPC types (src/grpc/generated) are what the proto generates
 * now: a change to the contract without `npm run gen:grpc` fails here.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../helpers/server.js';

/** Every file under `dir`, relative to it, with its text. */
function tree(dir: string, base = dir): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) for (const [k, v] of tree(path, base)) out.set(k, v);
    else out.set(relative(base, path), readFileSync(path, 'utf8'));
  }
  return out;
}

describe('generated gRPC types', () => {
  it('match what the proto generates', () => {
    const root = projectRoot();
    const fresh = mkdtempSync(join(tmpdir(), 'vmapd-gen-'));
    try {
      execFileSync(process.execPath, [join(root, 'scripts', 'gen-grpc-types.mjs'), fresh], { cwd: root, stdio: 'pipe' });
      const committed = tree(join(root, 'src', 'grpc', 'generated'));
      const generated = tree(fresh);
      assert.ok(generated.size > 10, 'the generator wrote the message and service types');
      assert.deepEqual([...committed.keys()], [...generated.keys()], 'the same files: run `npm run gen:grpc`');
      for (const [file, text] of generated) assert.equal(committed.get(file), text, `${file} is stale: run \`npm run gen:grpc\``);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
    }
  });
});
