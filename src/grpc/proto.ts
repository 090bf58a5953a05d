import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadProtoFile } from './proto-files.js';

/** The proto file's real name: its path below proto/, as imports and reflection spell it. */
export const VMAP_PROTO_NAME = 'vmap/v1/vmap.proto';

/** The proto file, relative to the project root. */
const PROTO_FILE = join('proto', ...VMAP_PROTO_NAME.split('/'));

/**
 * Finds the project root by walking up from this module, so the same code
 * works from `src/` (tsx) and from `dist/src/` (compiled) and in the image.
 */
function findProto(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, PROTO_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${PROTO_FILE} above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** Absolute path of vmap.proto. */
export const PROTO_PATH = findProto();

/**
 * The loaded package definition, its file descriptor named `vmap/v1/vmap.proto`.
 * Field names stay snake_case as in the proto; uint64 arrives as decimal
 * strings (never a lossy number); defaults are filled in.
 */
export const packageDefinition = loadProtoFile({ name: VMAP_PROTO_NAME, path: PROTO_PATH });

interface VmapPackage {
  vmap: { v1: { Vmap: grpc.ServiceClientConstructor } };
}

/** The `vmap.v1.Vmap` service: its definition, and a client constructor. */
export const VmapClient = (grpc.loadPackageDefinition(packageDefinition) as unknown as VmapPackage).vmap.v1.Vmap;

/** Full name of the service, as health checks and reflection know it. */
export const VMAP_SERVICE_NAME = 'vmap.v1.Vmap';
