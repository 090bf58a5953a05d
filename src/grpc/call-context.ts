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

/** Metadata a standby sets on a write it forwards to the leader: such a write is never forwarded again. */
export const FORWARDED_METADATA = 'vmap-forwarded';

/** Whether the call is a write a standby forwarded. */
export function forwardedCall(call: { metadata: grpc.Metadata }): boolean {
  return call.metadata.get(FORWARDED_METADATA).length > 0;
}

/** The call's `authorization` metadata as sent, for a write forwarded on to the leader. */
export function authorizationOf(call: { metadata: grpc.Metadata }): string | undefined {
  const v = call.metadata.get('authorization')[0];
  return typeof v === 'string' ? v : undefined;
}
