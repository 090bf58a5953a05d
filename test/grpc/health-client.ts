/**
 * A client for the two standard services vmapd registers beside its own:
 * grpc.health.v1.Health and grpc.reflection.v1.ServerReflection, loaded from
 * the protos their packages ship.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';

const require = createRequire(import.meta.url);
const reflectionProto = join(dirname(require.resolve('@grpc/reflection')), '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');

type Ctor = grpc.ServiceClientConstructor;
const load = (file: string): grpc.GrpcObject => grpc.loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true, defaults: true }));
const healthCtor = ((load(healthProtoPath).grpc as grpc.GrpcObject).health as grpc.GrpcObject).v1 as grpc.GrpcObject;
const reflectionCtor = ((load(reflectionProto).grpc as grpc.GrpcObject).reflection as grpc.GrpcObject).v1 as grpc.GrpcObject;

/** Health checks and the reflection service list against one target. */
export class HealthClient {
  private readonly health: grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  private readonly reflection: grpc.Client & Record<string, (...args: unknown[]) => unknown>;

  /** Connects (lazily) to `target` without TLS. */
  constructor(target: string) {
    const creds = grpc.credentials.createInsecure();
    this.health = new (healthCtor.Health as Ctor)(target, creds) as HealthClient['health'];
    this.reflection = new (reflectionCtor.ServerReflection as Ctor)(target, creds) as HealthClient['reflection'];
  }

  /** The serving status of `service` ('' for the whole server). */
  check(service: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.health.Check!({ service }, (err: grpc.ServiceError | null, res: { status: string | number }) => {
        if (err) reject(err);
        else resolve(typeof res.status === 'number' ? ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'][res.status]! : res.status);
      });
    });
  }

  /** The full names of the services reflection reports. */
  listServices(): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const stream = this.reflection.ServerReflectionInfo!() as grpc.ClientDuplexStream<object, { list_services_response?: { service: { name: string }[] } }>;
      stream.on('data', (res) => {
        resolve((res.list_services_response?.service ?? []).map((x: { name: string }) => x.name));
        stream.end();
      });
      stream.on('error', reject);
      stream.write({ list_services: '*' });
    });
  }

  /** Closes both channels. */
  close(): void {
    this.health.close();
    this.reflection.close();
  }
}
