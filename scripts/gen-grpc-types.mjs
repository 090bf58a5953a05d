#!/usr/bin/env node
// Generates the TypeScript types of the vmap.v1 messages and service from
// proto/ with proto-loader-gen-types (the options match src/grpc/proto.ts's
// loader: keepCase, longs and enums as strings, defaults, oneofs), into
// src/grpc/generated/ or the directory given. The generated imports gain the
// `.js` extension that ES modules under NodeNext resolution need.
// `npm run gen:grpc` rewrites them; a test fails when they are stale.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

const out = process.argv[2] ?? join('src', 'grpc', 'generated');
rmSync(out, { recursive: true, force: true });
const args = ['vmap/v1/vmap.proto', '--keepCase', '--longs=String', '--enums=String', '--defaults', '--oneofs', '--includeComments', '--grpcLib=@grpc/grpc-js', `--outDir=${out}`, '-I', 'proto'];
const bin = join('node_modules', '.bin', 'proto-loader-gen-types');
const r = spawnSync(bin, args, { stdio: ['ignore', 'inherit', 'pipe'] });
if (r.status !== 0) {
  process.stderr.write(r.stderr);
  process.exit(r.status ?? 1);
}

/** Every .ts file under `dir`. */
function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

for (const file of files(out)) {
  const text = readFileSync(file, 'utf8').replace(/from '(\.{1,2}\/[^']+)'/g, (_m, p) => `from '${p}.js'`);
  writeFileSync(file, text);
}
