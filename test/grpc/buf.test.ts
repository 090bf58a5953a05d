/**
 * buf's checks of the wire contract, as buf.yaml configures them: the proto
 * lints clean, and it has not broken the released contract (the buf image in
 * proto/released/, named by package.json's `breaking` script). Each kind of
 * break a client would feel (a renamed field, a renumbered tag, a removed
 * RPC, a changed type) is tried on a copy and must be refused, by name.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot } from '../helpers/server.js';

const run = promisify(execFile);
const ROOT = projectRoot();
const BUF = join(ROOT, 'node_modules', '.bin', 'buf');
const PROTO = join('proto', 'vmap', 'v1', 'vmap.proto');

/** One finding of buf lint or buf breaking (`--error-format json`, a line each). */
interface Finding {
  readonly path: string;
  readonly type: string;
  readonly message: string;
}

/** Runs buf with `args` in `cwd`: its exit code, its findings, and everything it printed. */
async function buf(args: string[], cwd = ROOT): Promise<{ code: number; findings: Finding[]; output: string }> {
  let code = 0;
  let stdout = '';
  let stderr = '';
  try {
    ({ stdout, stderr } = await run(BUF, [...args, '--error-format', 'json'], { cwd, timeout: 60_000 }));
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') assert.fail(`${BUF} is missing: npm ci installs @bufbuild/buf`);
    code = typeof e.code === 'number' ? e.code : -1;
    stdout = e.stdout ?? '';
    stderr = e.stderr ?? e.message;
  }
  const findings = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Finding);
  return { code, findings, output: stdout + stderr };
}

/** The released image `npm run breaking` checks against, from package.json's script. */
function releasedImage(): string {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const match = /--against (\S+)/.exec(scripts.breaking ?? '');
  assert.ok(match, `package.json's "breaking" script names no --against: ${scripts.breaking}`);
  return join(ROOT, match[1]!);
}

/** Every rule named in `findings`, sorted and once each. */
function rules(findings: Finding[]): string[] {
  return [...new Set(findings.map((f) => f.type))].sort();
}

describe('buf', () => {
  const work = mkdtempSync(join(tmpdir(), 'vmapd-buf-'));
  after(() => rmSync(work, { recursive: true, force: true }));
  let copies = 0;

  /**
   * A workspace of its own: this buf.yaml and vmap.proto with `from` replaced
   * by `to` (which must be there: a test whose edit no longer applies fails).
   */
  function editedCopy(from: string, to: string): string {
    const dir = join(work, `copy-${++copies}`);
    mkdirSync(join(dir, 'proto', 'vmap', 'v1'), { recursive: true });
    copyFileSync(join(ROOT, 'buf.yaml'), join(dir, 'buf.yaml'));
    const text = readFileSync(join(ROOT, PROTO), 'utf8');
    assert.ok(text.includes(from), `vmap.proto no longer holds ${JSON.stringify(from)}: update this test's edit`);
    writeFileSync(join(dir, PROTO), text.replace(from, to));
    return dir;
  }

  it('lints clean with buf.yaml (STANDARD, with the frozen names excepted)', async () => {
    const r = await buf(['lint']);
    assert.equal(r.code, 0, r.output);
    assert.deepEqual(r.findings, []);
  });

  it('keeps one released contract, the one `npm run breaking` checks against', () => {
    const released = readdirSync(join(ROOT, 'proto', 'released')).filter((name) => name.endsWith('.binpb'));
    assert.deepEqual(released.map((name) => join(ROOT, 'proto', 'released', name)), [releasedImage()]);
  });

  it('has not broken the released contract', async () => {
    const r = await buf(['breaking', '--against', releasedImage()]);
    assert.equal(r.code, 0, r.output);
    assert.deepEqual(r.findings, []);
  });

  it('resolves the well-known types (built into buf) and lets an added field through', async () => {
    const dir = editedCopy(
      'string request_id = 7;  // the idempotency key it was allocated with, while busy',
      'string request_id = 7;  // the idempotency key it was allocated with, while busy\n  google.protobuf.Timestamp allocated_at = 8;',
    );
    const path = join(dir, PROTO);
    writeFileSync(path, readFileSync(path, 'utf8').replace('package vmap.v1;', 'package vmap.v1;\n\nimport "google/protobuf/timestamp.proto";'));
    const lint = await buf(['lint'], dir);
    assert.equal(lint.code, 0, lint.output);
    const breaking = await buf(['breaking', '--against', releasedImage()], dir);
    assert.equal(breaking.code, 0, breaking.output);
  });

  const breaks: { what: string; from: string; to: string; rule: string }[] = [
    { what: 'a renamed field', from: 'uint64 size = 1;        // bytes, > 0', to: 'uint64 length = 1;        // bytes, > 0', rule: 'FIELD_SAME_NAME' },
    { what: 'a renumbered tag', from: 'string owner = 5;', to: 'string owner = 8;', rule: 'FIELD_NO_DELETE' },
    { what: 'a removed RPC', from: '  rpc Purge(PurgeRequest) returns (PurgeResponse);\n', to: '', rule: 'RPC_NO_DELETE' },
    { what: 'a changed field type', from: 'uint64 generation = 7;', to: 'string generation = 7;', rule: 'FIELD_SAME_TYPE' },
  ];
  for (const b of breaks) {
    it(`refuses ${b.what} (${b.rule})`, async () => {
      const r = await buf(['breaking', '--against', releasedImage()], editedCopy(b.from, b.to));
      assert.notEqual(r.code, 0, `buf breaking passed ${b.what}:\n${r.output}`);
      assert.ok(rules(r.findings).includes(b.rule), `expected ${b.rule} among ${rules(r.findings).join(', ')}:\n${r.output}`);
      assert.ok(r.findings.every((f) => f.path.endsWith(PROTO)), r.output);
    });
  }
});
