/**
 * The fuzz tests' clients, raw enough to send what a well-behaved client
 * never would: gRPC requests as bytes (unary or server streaming, every
 * answer collected), HTTP requests with any method, path, headers and body
 * through node:http, and bytes written straight to the HTTP socket.
 */
import http from 'node:http';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { packageDefinition } from '../../src/grpc/proto.js';

type MethodDef = grpc.MethodDefinition<unknown, unknown>;
/** The Vmap service's methods as grpc-js defines them: paths and (de)serializers. */
export const SERVICE = packageDefinition['vmap.v1.Vmap'] as unknown as Record<string, MethodDef>;
const UNARY = ['Alloc', 'AllocBatch', 'Free', 'Find', 'Purge', 'MemInfo'] as const;
/** Every method of the Vmap service. */
export const METHODS = [...UNARY, 'ListAreas'] as const;
/** A method of the Vmap service. */
export type Method = (typeof METHODS)[number];

/** A gRPC answer: every message, or the status with its details and the vmap-field trailer. */
export type GrpcResult = { ok: true; values: unknown[] } | { ok: false; code: number; details: string; field: string | undefined };

/** The metadata of a call with `header` as its authorization; `spoof` adds identity claims the server must ignore. */
export function metadataOf(header: string | undefined, spoof: boolean): grpc.Metadata {
  const md = new grpc.Metadata();
  if (header !== undefined) md.set('authorization', header);
  // Claims of identity outside the token count for nothing.
  if (spoof) {
    md.set('x-vmap-owner', 'root');
    md.set('owner', 'bob');
  }
  return md;
}

/** Sends `bytes` as the request of `method`, unary or server streaming; collects every answer. */
export function grpcSend(client: grpc.Client, method: Method, bytes: Buffer, md: grpc.Metadata): Promise<GrpcResult> {
  const def = SERVICE[method]!;
  const fail = (err: grpc.ServiceError): GrpcResult => ({ ok: false, code: err.code, details: err.details, field: err.metadata?.get('vmap-field')[0]?.toString() });
  return new Promise((resolve) => {
    if (method !== 'ListAreas') {
      client.makeUnaryRequest(def.path, (b: Buffer) => b, def.responseDeserialize, bytes, md, {}, (err, value) => resolve(err ? fail(err) : { ok: true, values: [value] }));
      return;
    }
    const values: unknown[] = [];
    let error: grpc.ServiceError | undefined;
    const stream = client.makeServerStreamRequest(def.path, (b: Buffer) => b, def.responseDeserialize, bytes, md, {});
    stream.on('data', (v: unknown) => values.push(v));
    stream.on('error', (e: grpc.ServiceError) => (error = e));
    stream.on('status', () => resolve(error ? fail(error) : { ok: true, values }));
  });
}

/** An HTTP answer. */
export interface HttpResult {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** An HTTP request to send. */
export interface HttpSpec {
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/**
 * One request with node:http, framed by content-length. Resolves with
 * `client` when node refuses to send it (a method, path or header it
 * considers invalid): that request never reached the server.
 */
export function httpSend(port: number, agent: http.Agent, spec: HttpSpec): Promise<HttpResult | { client: string }> {
  return new Promise((resolve) => {
    const body = spec.body === undefined ? undefined : Buffer.from(spec.body, 'utf8');
    const headers: Record<string, string> = { ...spec.headers };
    if (body !== undefined || spec.method === 'POST') headers['content-length'] = String(body?.length ?? 0);
    let req: http.ClientRequest;
    try {
      req = http.request({ host: '127.0.0.1', port, method: spec.method, path: spec.path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
    } catch (err) {
      resolve({ client: (err as Error).message });
      return;
    }
    req.on('error', (err) => resolve({ client: `request failed: ${err.message}` }));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Writes `bytes` to the HTTP port, half-closes, and reads whatever comes back until the server closes. */
export function rawHttp(port: number, bytes: Uint8Array): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.end(bytes));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}
