/**
 * How vmapctl reaches vmapd: the global --target, --timeout, --token and
 * --tls-* options, checking them before anything is sent, and the hints that
 * turn a refused connection or call into what to pass next time.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { VmapClient, VmapClientError, type TlsOptions } from '../client/index.js';
import { messageOf } from '../vmap/errors.js';

/** Bad local input found after commander's parsing (e.g. an unusable --target or an unreadable --tls-ca). */
export class UsageError extends Error {}

const DEFAULT_TARGET = '127.0.0.1:50051';
const DEFAULT_TIMEOUT_MS = 10000;
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The global options that say how to reach vmapd, as commander parsed them. */
interface ConnectionOptions {
  target: string;
  timeout: number;
  token?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** What a failure hint needs to know about how the command connected. */
export interface Connection {
  /** off: plaintext; on: --tls-ca; mutual: also --tls-cert and --tls-key. */
  readonly tls: 'off' | 'on' | 'mutual';
  /** Where the token came from (`--token` or `VMAPCTL_TOKEN`), if one was sent. */
  readonly tokenFrom?: string;
}

/** Commander parser for --timeout: a deadline setTimeout can hold. */
function milliseconds(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1 || n > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(`must be an integer from 1 to ${MAX_TIMEOUT_MS}`);
  }
  return n;
}

/** Declares the connection options on `program` (inherited by every subcommand). */
export function addConnectionOptions(program: Command): Command {
  return program
    .addOption(new Option('--target <host:port>', 'vmapd gRPC address').env('VMAPCTL_TARGET').default(DEFAULT_TARGET))
    .addOption(new Option('--timeout <ms>', 'deadline of each call, in milliseconds').default(DEFAULT_TIMEOUT_MS).argParser(milliseconds))
    .addOption(new Option('--token <token>', 'bearer token, sent as "authorization: Bearer <token>" on every call').env('VMAPCTL_TOKEN'))
    .addOption(new Option('--tls-ca <file>', "PEM CA that signed vmapd's certificate; turns TLS on").env('VMAPCTL_TLS_CA'))
    .addOption(new Option('--tls-cert <file>', 'PEM client certificate, for a vmapd with mutual TLS (needs --tls-ca and --tls-key)').env('VMAPCTL_TLS_CERT'))
    .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert').env('VMAPCTL_TLS_KEY'));
}

/** Option `key` as the user gave it: the flag, or the variable when the value came from the environment. */
function given(cmd: Command, key: string, flag: string, env: string): string {
  return cmd.getOptionValueSourceWithGlobals(key) === 'env' ? env : flag;
}

/** Reads a PEM file, naming the option and the path when it cannot be read. */
function readPem(label: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new UsageError(`${label} ${path}: ${messageOf(err)}`);
  }
}

/** Runs `fn`, turning its error into a UsageError about `what` (PEM that parses badly, a key of another certificate). */
function checked<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw new UsageError(`${what}: ${messageOf(err)}`);
  }
}

/**
 * The TLS settings the --tls-* options ask for, read and checked here so a
 * bad file is a usage error naming its option; plaintext when there are none.
 */
function credentials(cmd: Command, o: ConnectionOptions): { options?: TlsOptions; tls: Connection['tls'] } {
  const caFlag = given(cmd, 'tlsCa', '--tls-ca', 'VMAPCTL_TLS_CA');
  const certFlag = given(cmd, 'tlsCert', '--tls-cert', 'VMAPCTL_TLS_CERT');
  const keyFlag = given(cmd, 'tlsKey', '--tls-key', 'VMAPCTL_TLS_KEY');
  if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new UsageError(`${certFlag} and ${keyFlag} go together`);
  if (o.tlsCa === undefined) {
    if (o.tlsCert !== undefined) throw new UsageError(`${certFlag} and ${keyFlag} need TLS: pass --tls-ca too`);
    return { tls: 'off' };
  }
  const ca = readPem(caFlag, o.tlsCa);
  // Node takes a CA file with no certificate in it without complaint, and every
  // handshake would then fail: say so now, naming the option.
  checked(`${caFlag} ${o.tlsCa}`, () => new X509Certificate(ca));
  if (o.tlsCert === undefined || o.tlsKey === undefined) {
    checked(`${caFlag} ${o.tlsCa}`, () => grpc.credentials.createSsl(ca));
    return { options: { ca }, tls: 'on' };
  }
  const cert = readPem(certFlag, o.tlsCert);
  const key = readPem(keyFlag, o.tlsKey);
  // A key of another certificate, or PEM that does not parse, fails here rather than in every handshake.
  checked(`${certFlag} ${o.tlsCert}, ${keyFlag} ${o.tlsKey}`, () => grpc.credentials.createSsl(ca, key, cert));
  return { options: { ca, cert, key }, tls: 'mutual' };
}

/**
 * grpc-js sends the target host as the TLS server name even when it is an IP
 * address, and Node warns about that on stderr (DEP0123) once per process.
 * The certificate is still checked against the address, so the warning says
 * nothing a vmapctl user can act on; every other warning is still printed.
 */
function quietIpServerNameWarning(): void {
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    if (warning.code === 'DEP0123') return;
    for (const print of printers) print.call(process, warning);
  });
}

/**
 * Checks the connection options of `cmd` and makes the client they describe,
 * reading the TLS files now so that a bad one is a usage error and nothing is
 * sent. --timeout bounds each call, retries included: a read, a purge, a
 * free that never left, an alloc with --request-id are tried again within
 * it; a write that may have been applied is not (src/client/retry.ts).
 *
 * @throws UsageError naming the option at fault
 */
export function openClient(cmd: Command): { client: VmapClient; connection: Connection } {
  const o = cmd.optsWithGlobals<ConnectionOptions>();
  if (o.target.trim() === '') throw new UsageError('--target: must be host:port');
  const tokenLabel = given(cmd, 'token', '--token', 'VMAPCTL_TOKEN');
  if (o.token === '') throw new UsageError(`${tokenLabel}: must not be empty`);
  // The message never repeats the token. Printable ASCII is what gRPC metadata can carry.
  if (o.token !== undefined && !/^[\x21-\x7e]+$/.test(o.token)) throw new UsageError(`${tokenLabel}: must be printable ASCII without spaces`);
  const { options: tlsOptions, tls } = credentials(cmd, o);
  if (tls !== 'off') quietIpServerNameWarning();
  let client: VmapClient;
  try {
    client = new VmapClient({ targets: o.target, token: o.token, callTimeoutMs: o.timeout, deadlineMs: o.timeout, ...(tlsOptions === undefined ? {} : { tls: tlsOptions }) });
  } catch (err) {
    // grpc-js refuses unparseable targets synchronously.
    const why = err instanceof VmapClientError && err.field !== undefined ? err.details.slice(err.field.length + 2) : messageOf(err);
    throw new UsageError(`--target: ${why}`);
  }
  return { client, connection: { tls, ...(o.token === undefined ? {} : { tokenFrom: tokenLabel }) } };
}

/** Connection failures that TLS settings cannot explain: nothing listens there, or the name does not resolve. */
const NOTHING_THERE = /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/;

/**
 * What to try next after `err`, when the way vmapctl connected can explain it:
 * a missing or refused token, or a TLS setting that does not match vmapd's.
 * Only failures to connect get a TLS hint, never an UNAVAILABLE vmapd sent.
 */
export function failureHint(err: VmapClientError, c: Connection): string | undefined {
  if (err.status === grpc.status.UNAUTHENTICATED) {
    return c.tokenFrom === undefined ? 'vmapd wants a token: pass --token <token> or set VMAPCTL_TOKEN' : `vmapd does not accept the token of ${c.tokenFrom}`;
  }
  const d = err.details;
  if (err.status !== grpc.status.UNAVAILABLE || !d.includes('No connection established') || NOTHING_THERE.test(d)) return undefined;
  if (c.tls === 'off') return 'if vmapd speaks TLS there, pass --tls-ca <file> (the CA that signed its certificate)';
  if (/wrong version number|packet length too long|http request/i.test(d)) return 'vmapd does not speak TLS there: leave out --tls-ca';
  if (/certificate required/i.test(d)) return 'vmapd wants a client certificate: pass --tls-cert <file> and --tls-key <file>';
  if (/unknown ca|bad certificate|certificate unknown/i.test(d)) return 'vmapd refused the client certificate: --tls-cert must be signed by the CA vmapd trusts';
  // With TLS 1.3 the client's handshake is over before vmapd checks the
  // certificate, so a refusal can arrive as a reset rather than as an alert.
  if (/ECONNRESET|socket hang up|Failed to connect/.test(d)) {
    return c.tls === 'mutual'
      ? 'vmapd closed the connection: is --tls-cert signed by the CA vmapd trusts?'
      : 'vmapd closed the connection: if it wants a client certificate, pass --tls-cert <file> and --tls-key <file>';
  }
  if (/altnames|verify|self.signed|issuer|certificate/i.test(d)) {
    return "vmapd's certificate does not check out: --tls-ca must be the CA that signed it, and the certificate must name the --target host";
  }
  return undefined;
}
