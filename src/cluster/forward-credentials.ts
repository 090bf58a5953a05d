/**
 * The credentials a standby forwards writes to the leader with. A node that
 * serves TLS expects the other nodes to, so it forwards over TLS too:
 * trusting `--tls-peer-ca` (the CA of the nodes' certificates), or by default
 * its own `--tls-cert` (enough when the nodes share one self-signed
 * certificate, or the file holds the chain up to the CA). Under mutual TLS
 * the leader asks a forwarding standby for a certificate like any client's,
 * so the standby presents its own.
 */
import * as grpc from '@grpc/grpc-js';

/** What the node's TLS options read to. */
export interface NodeTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly clientCa?: Buffer;
  readonly peerCa?: Buffer;
}

/** Plaintext without TLS; else TLS, with this node's certificate presented when the nodes require client certificates. */
export function forwardCredentials(tls: NodeTls | undefined): grpc.ChannelCredentials {
  if (tls === undefined) return grpc.credentials.createInsecure();
  const trusted = tls.peerCa ?? tls.cert;
  return tls.clientCa === undefined ? grpc.credentials.createSsl(trusted) : grpc.credentials.createSsl(trusted, tls.key, tls.cert);
}
