/**
 * A client for the two standard services vmapd registers beside its own:
 * grpc.health.v1.Health and grpc.reflection.v1.ServerReflection (and
 * v1alpha), loaded from the protos their packages ship.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

const require = createRequire(import.meta.url);
const reflectionProto = (version: string): string => join(dirname(require.resolve('@grpc/reflection')), '..', 'proto', 'grpc', 'reflection', version, 'reflection.proto');

type Ctor = grpc.ServiceClientConstructor;
type AnyClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;
const load = (file: string): grpc.GrpcObject => grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true, defaults: true }));
const healthCtor = ((load(healthProtoPath).grpc as grpc.GrpcObject).health as grpc.GrpcObject).v1 as grpc.GrpcObject;
const reflectionCtor = (version: string): Ctor =>
  (((load(reflectionProto(version)).grpc as grpc.GrpcObject).reflection as grpc.GrpcObject)[version] as grpc.GrpcObject).ServerReflection as Ctor;
/** protobufjs bundles descriptor.proto: FileDescriptorProto decodes without protoc. */
const descriptorTypes = protoLoader.loadSync('google/protobuf/descriptor.proto', { keepCase: true, defaults: true });
const fileDescriptor = descriptorTypes['google.protobuf.FileDescriptorProto'] as protoLoader.MessageTypeDefinition<object, object>;

/** The parts of a FileDescriptorProto the tests look at (protobufjs's bundled descriptor.proto spells fields in camelCase). */
export interface FileDescriptor {
  readonly name: string;
  readonly package: string;
  readonly dependency: string[];
  readonly messageType: { name: string }[];
  readonly service: { name: string; method: { name: string; inputType: string; outputType: string }[] }[];
}

/** One reflection answer: the files, or the error reflection reported in-band. */
export type ReflectionAnswer = { files: FileDescriptor[] } | { error: { code: number; message: string } };

const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** The serving status as a name (proto-loader may hand the enum over as a number). */
function statusName(status: string | number): string {
  return typeof status === 'number' ? STATUS_NAMES[status]! : status;
}

/** Health checks and reflection against one target. */
export class HealthClient {
  private readonly health: AnyClient;
  private readonly reflection: AnyClient;
  private readonly reflectionAlpha: AnyClient;

  /** Connects (lazily) to `target` without TLS. */
  constructor(target: string) {
    const creds = grpc.credentials.createInsecure();
    this.health = new (healthCtor.Health as Ctor)(target, creds) as AnyClient;
    this.reflection = new (reflectionCtor('v1'))(target, creds) as AnyClient;
    this.reflectionAlpha = new (reflectionCtor('v1alpha'))(target, creds) as AnyClient;
  }

  /** The serving status of `service` ('' for the whole server). */
  check(service: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.health.Check!({ service }, (err: grpc.ServiceError | null, res: { status: string | number }) => {
        if (err) reject(err);
        else resolve(statusName(res.status));
      });
    });
  }

  /**
   * Watches `service`: `next()` resolves with each status the server sends,
   * in order (none is lost between calls), and fails if none comes within
   * `timeoutMs` (a bound on a broken server, not a wait for one); `cancel()`
   * ends the watch.
   */
  watch(service: string): { next(timeoutMs?: number): Promise<string>; cancel(): void } {
    const stream = this.health.Watch!({ service }) as grpc.ClientReadableStream<{ status: string | number }>;
    const received: string[] = [];
    const waiting: { resolve(s: string): void; reject(e: Error): void }[] = [];
    let failed: Error | undefined;
    stream.on('data', (m: { status: string | number }) => {
      const w = waiting.shift();
      if (w) w.resolve(statusName(m.status));
      else received.push(statusName(m.status));
    });
    stream.on('error', (e: Error) => {
      failed = e;
      for (const w of waiting.splice(0)) w.reject(e);
    });
    return {
      next: (timeoutMs = 10_000) => {
        if (received.length > 0) return Promise.resolve(received.shift()!);
        if (failed) return Promise.reject(failed);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            waiting.splice(waiting.indexOf(w), 1);
            reject(new Error(`no health status for '${service}' within ${timeoutMs} ms`));
          }, timeoutMs);
          const w = {
            resolve: (s: string) => (clearTimeout(timer), resolve(s)),
            reject: (e: Error) => (clearTimeout(timer), reject(e)),
          };
          waiting.push(w);
        });
      },
      cancel: () => {
        stream.on('error', () => {}); // the CANCELLED that follows is expected
        stream.cancel();
      },
    };
  }

  /** Sends one reflection request (v1 unless `alpha`) and returns its one answer. */
  private ask(request: object, alpha = false): Promise<Record<string, unknown>> {
    const client = alpha ? this.reflectionAlpha : this.reflection;
    return new Promise((resolve, reject) => {
      const stream = client.ServerReflectionInfo!() as grpc.ClientDuplexStream<object, Record<string, unknown>>;
      stream.on('data', (res: Record<string, unknown>) => {
        resolve(res);
        stream.end();
      });
      stream.on('error', reject);
      stream.write(request);
    });
  }

  /** The full names of the services reflection reports (v1, or v1alpha if `alpha`). */
  async listServices(alpha = false): Promise<string[]> {
    const res = (await this.ask({ list_services: '*' }, alpha)) as { list_services_response?: { service: { name: string }[] } };
    return (res.list_services_response?.service ?? []).map((x) => x.name);
  }

  /** The file named `filename` and the files it needs, or the error reflection reported. */
  fileByFilename(filename: string): Promise<ReflectionAnswer> {
    return this.askFiles({ file_by_filename: filename });
  }

  /** The file declaring `symbol` and the files it needs, or the error reflection reported. */
  fileContainingSymbol(symbol: string): Promise<ReflectionAnswer> {
    return this.askFiles({ file_containing_symbol: symbol });
  }

  private async askFiles(request: object): Promise<ReflectionAnswer> {
    const res = (await this.ask(request)) as {
      file_descriptor_response?: { file_descriptor_proto: Buffer[] };
      error_response?: { error_code: number; error_message: string };
    };
    if (res.error_response) return { error: { code: res.error_response.error_code, message: res.error_response.error_message } };
    return { files: (res.file_descriptor_response?.file_descriptor_proto ?? []).map((b) => fileDescriptor.deserialize(b) as FileDescriptor) };
  }

  /** Closes every channel. */
  close(): void {
    this.health.close();
    this.reflection.close();
    this.reflectionAlpha.close();
  }
}
