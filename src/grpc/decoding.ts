/**
 * Requests whose bytes are no valid message of their type. grpc-js answers
 * them with INTERNAL, as if the server had failed; but malformed bytes are
 * the client's error, so every service vmapd serves answers INVALID_ARGUMENT
 * naming the field `request`, as any other bad argument.
 */
import * as grpc from '@grpc/grpc-js';
import { InvalidArgument, messageOf } from '../vmap/errors.js';
import { toServiceError } from './status.js';

/** A request whose bytes did not decode. */
export class Undecodable {
  constructor(readonly reason: string) {}

  /** The refusal, as the edge reports it. */
  error(): InvalidArgument {
    return new InvalidArgument('request', `not a valid protobuf message of the method's request type (${this.reason.slice(0, 100)})`);
  }
}

/**
 * `definition` with request decoding that never throws: a message that
 * fails to decode reaches the handler as an Undecodable.
 */
export function tolerantDecoding(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, method] of Object.entries(definition)) {
    out[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new Undecodable(messageOf(err));
        }
      },
    };
  }
  return out as grpc.ServiceDefinition;
}

/** The request, unless it did not decode. @throws InvalidArgument (field `request`) for an Undecodable */
export function decoded<Req>(request: Req): Req {
  if (request instanceof Undecodable) throw request.error();
  return request;
}

/** What a service's `addToServer` needs of a server. */
export type ServiceSink = Pick<grpc.Server, 'addService'>;

/**
 * Services whose handlers vmapd did not write (health, reflection): added
 * through `on(server)`, their definitions decode tolerantly and their method
 * paths are remembered, and `interceptor` refuses what did not decode before
 * their handlers see it.
 */
export class GuardedServices {
  /** Method paths (`/grpc.health.v1.Health/Check`) whose requests the interceptor checks. */
  private readonly paths = new Set<string>();

  /** A stand-in for `server` whose addService guards what it adds. */
  on(server: grpc.Server): ServiceSink {
    return {
      addService: (definition, implementation) => {
        for (const method of Object.values(definition)) this.paths.add(method.path);
        server.addService(tolerantDecoding(definition), implementation);
      },
    };
  }

  /**
   * A server interceptor that answers an Undecodable request message on a
   * guarded path with INVALID_ARGUMENT before the handler sees it; for
   * streamed requests too, which a wrapped handler could not intercept.
   * Other paths pass untouched: vmap.v1.Vmap's handlers refuse Undecodable
   * themselves, counting refused writes.
   */
  readonly interceptor: grpc.ServerInterceptor = (method, call) => {
    if (!this.paths.has(method.path)) return new grpc.ServerInterceptingCall(call);
    let refused = false;
    const intercepting: grpc.ServerInterceptingCall = new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMessage: (message: unknown, pass: (message: unknown) => void) => {
            if (refused) return;
            if (!(message instanceof Undecodable)) return pass(message);
            refused = true;
            const e = toServiceError(message.error());
            intercepting.sendStatus({ code: e.code, details: e.details ?? '', metadata: e.metadata ?? null });
          },
          // After the refusal the handler must not run on a half-closed call that gave it nothing.
          onReceiveHalfClose: (pass: () => void) => {
            if (!refused) pass();
          },
        }),
    });
    return intercepting;
  };
}
