/**
 * The wire contract compiles with protoc, the reference compiler every other
 * gRPC stack generates its stubs with: proto-loader (protobufjs) accepts
 * files protoc refuses, so passing our own tests proves nothing about them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { projectRoot } from '../helpers/server.js';

const run = promisify(execFile);
const PROTOC = '/usr/bin/protoc';
/** Where Debian's grpc-proto puts the standard gRPC protos (health, reflection). */
const GRPC_PROTO = '/usr/share/grpc-proto';
const PROTO_DIR = join(projectRoot(), 'proto');

/** Every .proto under `dir`, relative to it (as imports and protoc name them). */
function protoFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.proto'))
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

/** Runs protoc with `args`; its exit code and everything it printed. */
async function protoc(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(PROTOC, args, { cwd: projectRoot(), timeout: 30_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') assert.fail(`${PROTOC} is missing: install protobuf-compiler (CI does)`);
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message };
  }
}

describe('proto contract', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vmapd-protoc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the vmap proto', () => {
    assert.ok(protoFiles(PROTO_DIR).includes(join('vmap', 'v1', 'vmap.proto')), protoFiles(PROTO_DIR).join(', '));
  });

  for (const file of protoFiles(PROTO_DIR)) {
    it(`protoc compiles ${file} without an error or a warning`, async () => {
      const out = join(dir, `${file.replaceAll('/', '_')}.pb`);
      const r = await protoc(['-I', 'proto', '-I', GRPC_PROTO, `--descriptor_set_out=${out}`, join('proto', file)]);
      assert.equal(r.code, 0, `protoc failed on ${file}:\n${r.output}`);
      assert.equal(r.output.trim(), '', `protoc warned on ${file}:\n${r.output}`);
    });
  }

  it('keeps the wire: MemInfo returns the message vmap.v1.MemInfo, whose fields keep their names and numbers', async () => {
    const set = join(dir, 'vmap-decoded.pb');
    const compiled = await protoc(['-I', 'proto', `--descriptor_set_out=${set}`, 'vmap/v1/vmap.proto']);
    assert.equal(compiled.code, 0, compiled.output);
    // protoc itself renders the descriptor set as text, so the test needs no protobuf library.
    const decoded = await new Promise<string>((resolve, reject) => {
      const child = execFile(PROTOC, ['--decode=google.protobuf.FileDescriptorSet', 'google/protobuf/descriptor.proto'], { timeout: 30_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
      );
      child.stdin!.end(readFileSync(set));
    });
    const method = /method \{\s*name: "MemInfo"\s*input_type: "([^"]+)"\s*output_type: "([^"]+)"/.exec(decoded);
    assert.ok(method, decoded.slice(0, 2000));
    assert.deepEqual([method[1], method[2]], ['.vmap.v1.MemInfoRequest', '.vmap.v1.MemInfo']);
    const message = /message_type \{\s*name: "MemInfo"\s*((?:field \{[^}]*\}\s*)+)/.exec(decoded);
    assert.ok(message, 'message MemInfo is declared');
    const fields = [...message[1]!.matchAll(/name: "(\w+)"\s*number: (\d+)/g)].map((m) => `${m[1]}=${m[2]}`);
    assert.deepEqual(fields, [
      'vmalloc_total_kb=1',
      'vmalloc_used_kb=2',
      'vmalloc_chunk_kb=3',
      'vmalloc_lazy_kb=4',
      'nr_areas=5',
      'nr_lazy_areas=6',
      'generation=7',
    ]);
  });
});

