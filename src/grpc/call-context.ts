/** Who makes a gRPC call and by when it must be answered, from the call itself. */
import type * as grpc from '@grpc/grpc-js';
import type { Authenticator, Identity } from '../auth/tokens.js';

/**
 * The caller's identity, from the call's `authorization` metadata.
 *
 * @throws Unauthenticated when tokens are required and the call carries no valid one
 */
export function identify(auth: Authenticator, call: { metadata: grpc.Metadata }): Identity {
  const v = call.metadata.get('authorization')[0];
  return auth.identify(typeof v === 'string' ? v : undefined);
}

/** The call's deadline in epoch ms, if the client set one. */
export function deadlineOf(call: { getDeadline(): grpc.Deadline }): number | undefined {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(ms) ? ms : undefined;
}
