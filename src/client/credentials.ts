/**
 * What a VmapClient sends to prove who it is: channel credentials for TLS
 * and mutual TLS, and the bearer token in each call's metadata.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { VmapClientError } from './errors.js';

/** PEM data: a Buffer, PEM text (it holds `-----BEGIN`), or the path of a PEM file. */
export type Pem = Buffer | string;

/** TLS settings: the CA that signed vmapd's certificate, and a client certificate and key for mutual TLS. */
export interface TlsOptions {
  /** Default: the system's roots. */
  readonly ca?: Pem;
  /** Client certificate, with `key`. */
  readonly cert?: Pem;
  readonly key?: Pem;
}

/**
 * The bytes of `pem`, reading a path.
 *
 * @throws VmapClientError INVALID_ARGUMENT naming `field` when the file cannot be read
 */
function pemBytes(pem: Pem | undefined, field: string): Buffer | undefined {
  if (pem === undefined || Buffer.isBuffer(pem)) return pem;
  if (pem.includes('-----BEGIN')) return Buffer.from(pem);
  try {
    return readFileSync(pem);
  } catch (err) {
    throw VmapClientError.invalidArgument(field, `${pem}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The channel credentials `tls` asks for: plaintext when absent or false.
 *
 * @throws VmapClientError INVALID_ARGUMENT naming `tls.…` when a file cannot be read, `cert` and `key` do not come together or do not match
 */
export function channelCredentials(tls: boolean | TlsOptions | undefined): grpc.ChannelCredentials {
  if (tls === undefined || tls === false) return grpc.credentials.createInsecure();
  if (tls === true) return grpc.credentials.createSsl();
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw VmapClientError.invalidArgument('tls', 'cert and key go together');
  const ca = pemBytes(tls.ca, 'tls.ca');
  const cert = pemBytes(tls.cert, 'tls.cert');
  const key = pemBytes(tls.key, 'tls.key');
  try {
    return grpc.credentials.createSsl(ca ?? null, key ?? null, cert ?? null);
  } catch (err) {
    throw VmapClientError.invalidArgument('tls', err instanceof Error ? err.message : String(err));
  }
}

/**
 * Each call's metadata: `authorization: Bearer <token>`, or nothing. The
 * token goes in per-call metadata rather than call credentials: grpc-js
 * refuses to compose call credentials with a plaintext channel, and vmapd
 * accepts tokens over plaintext too.
 */
export function callMetadata(token: string | undefined): grpc.Metadata {
  const md = new grpc.Metadata();
  if (token !== undefined) md.set('authorization', `Bearer ${token}`);
  return md;
}
