/**
 * Loading .proto files so that their descriptors carry the files' real names.
 *
 * proto-loader (protobufjs) names a file descriptor after its package
 * (`vmap_v1.proto`), whatever the file is called, so reflection would serve
 * names no client asks for: `file_by_filename vmap/v1/vmap.proto` and the
 * imports of every generated stub use the real path.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/** How the gRPC edge loads its protos: snake_case fields, uint64 as decimal strings, defaults filled in. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** One .proto file: its real name (as imports spell it) and where it lies. */
export interface ProtoFile {
  readonly name: string;
  readonly path: string;
}

/** Field 1 of FileDescriptorProto (`name`), wire type 2 (length-delimited). */
const NAME_TAG = 0x0a;

/**
 * `descriptor` (an encoded FileDescriptorProto) named `name`. Protobuf
 * parsers keep the last value of a singular field ("last one wins" in the
 * encoding spec), so an appended name field renames the file without a
 * protobuf library; the reflection service re-encodes what it decodes.
 */
function renamed(descriptor: Buffer, name: string): Buffer {
  const bytes = Buffer.from(name, 'utf8');
  const length: number[] = [];
  for (let n = bytes.length; ; n >>>= 7) {
    if (n < 0x80) {
      length.push(n);
      break;
    }
    length.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([descriptor, Buffer.from([NAME_TAG, ...length]), bytes]);
}

/**
 * Loads `file` (which must import nothing: protobufjs would merge imported
 * packages into descriptors no name fits) with `options`, its file
 * descriptor named `file.name`.
 *
 * @throws Error naming the file when it does not load as exactly one descriptor
 */
export function loadProtoFile(file: ProtoFile, options: protoLoader.Options = LOADER_OPTIONS): protoLoader.PackageDefinition {
  const definition = protoLoader.loadSync(file.path, options);
  const types = Object.values(definition).filter(isTypeDefinition);
  const descriptors = types[0]?.fileDescriptorProtos ?? [];
  if (descriptors.length !== 1) {
    throw new Error(`${file.path}: expected one file descriptor, got ${descriptors.length} (does it import another file?)`);
  }
  const named = [renamed(descriptors[0]!, file.name)];
  // Every entry shares one list of descriptors: point each at the renamed one.
  const out: protoLoader.PackageDefinition = {};
  for (const [key, value] of Object.entries(definition)) {
    if (isTypeDefinition(value)) out[key] = { ...value, fileDescriptorProtos: named } as TypeDefinition;
    else out[key] = mapMethods(value, named);
  }
  return out;
}

type TypeDefinition = protoLoader.MessageTypeDefinition<object, object> | protoLoader.EnumTypeDefinition;

/** Whether `d` is a message or enum definition (a service definition is a record of methods). */
function isTypeDefinition(d: protoLoader.AnyDefinition): d is TypeDefinition {
  return typeof (d as { format?: unknown }).format === 'string';
}

/** A service definition whose methods' message definitions point at `named`. */
function mapMethods(service: protoLoader.ServiceDefinition, named: Buffer[]): protoLoader.ServiceDefinition {
  const out: Record<string, protoLoader.MethodDefinition<object, object>> = {};
  for (const [name, method] of Object.entries(service)) {
    out[name] = {
      ...method,
      requestType: { ...method.requestType, fileDescriptorProtos: named },
      responseType: { ...method.responseType, fileDescriptorProtos: named },
    };
  }
  return out;
}

const require = createRequire(import.meta.url);
/** The protos @grpc/reflection ships and serves (its own build/proto tree, named as upstream). */
const reflectionProtoDir = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto');

/**
 * The standard services vmapd serves beside its own, under the names
 * upstream gives their files (grpc-health-check ships its copy as
 * `health/v1/health.proto`; every generated client imports `grpc/health/v1/health.proto`).
 */
export const STANDARD_PROTOS: readonly ProtoFile[] = [
  { name: 'grpc/health/v1/health.proto', path: healthProtoPath },
  { name: 'grpc/reflection/v1/reflection.proto', path: join(reflectionProtoDir, 'grpc', 'reflection', 'v1', 'reflection.proto') },
  { name: 'grpc/reflection/v1alpha/reflection.proto', path: join(reflectionProtoDir, 'grpc', 'reflection', 'v1alpha', 'reflection.proto') },
];
