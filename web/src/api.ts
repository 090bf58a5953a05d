/**
 * Requests to vmapd (same origin): the wire types, the bearer token, and the
 * error body `{"error": {"code", "message", "field"?}}`. A 401 opens the
 * token prompt and the request is sent again once a token is saved. (The
 * flat `{"error": code, "message"}` of older routes is read too.)
 */
import { askForToken, currentToken } from './token.js';

/** Counts of one size class of free blocks: sizes in [min, max). */
export interface HistogramBin {
  min: number;
  max: number;
  blocks: number;
  bytes: number;
}

/** One row of the top callers or owners. */
export interface TopEntry {
  name: string;
  bytes: number;
  areas: number;
}

/** The reply of `GET /v1/map`. */
export interface MapReply {
  generation: number;
  space: { base: string; end: string; page_size: number };
  from: string;
  to: string;
  pages: number;
  buckets: number;
  busy: number[];
  guard: number[];
  lazy: number[];
  free: number[];
  areas: number;
  largest_free: { addr: string; size: number } | null;
  fragmentation: {
    free_bytes: number;
    largest_free_bytes: number;
    ratio: number;
    free_blocks: number;
    histogram: HistogramBin[];
  };
  top_callers: TopEntry[] | null;
  top_owners: TopEntry[] | null;
}

/** The reply of `GET /v1/areas/:addr`. */
export interface AreaReply {
  addr: string;
  size: number;
  area_size: number;
  caller: string;
  owner: string;
  lazy: boolean;
  request_id: string;
}

/** One sample of `/v1/events`. */
export interface Sample {
  generation: number;
  at: number;
  vmalloc_total_kb: number;
  vmalloc_used_kb: number;
  vmalloc_chunk_kb: number;
  vmalloc_lazy_kb: number;
  nr_areas: number;
  nr_lazy_areas: number;
  writes: number;
  reads: number;
}

/** A request that vmapd answered with an error (or that did not get an answer). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Headers of every request: the token, when there is one. */
export function authHeaders(extra: Record<string, string> = {}): Record<string, string> {
  const token = currentToken();
  return token === null ? extra : { ...extra, authorization: `Bearer ${token}` };
}

/** The ApiError of a non-2xx response (reads its error body). */
export async function errorOf(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = `${res.status} ${res.statusText}`.trim();
  let field: string | undefined;
  try {
    const body = (await res.json()) as { error?: unknown; message?: unknown; field?: unknown } | null;
    const err = body?.error;
    if (err && typeof err === 'object') {
      const e = err as { code?: unknown; message?: unknown; field?: unknown };
      if (typeof e.code === 'string') code = e.code;
      if (typeof e.message === 'string') message = e.message;
      if (typeof e.field === 'string') field = e.field;
    } else if (typeof err === 'string') {
      // The older flat shape {"error": code, "message": …}.
      code = err;
      if (typeof body?.message === 'string') message = body.message;
      if (typeof body?.field === 'string') field = body.field;
    }
  } catch {
    // Not JSON: the status line says it.
  }
  return new ApiError(message, res.status, code, field);
}

/**
 * fetch() with the token; a 401 asks for a token and tries again. Other
 * non-2xx answers are returned as they are (the caller reads them).
 */
export async function authorizedFetch(path: string, init: RequestInit = {}): Promise<Response> {
  let refused = false;
  while (true) {
    let res: Response;
    try {
      res = await fetch(path, { ...init, headers: authHeaders((init.headers as Record<string, string> | undefined) ?? {}) });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new ApiError(`vmapd cannot be reached (${e instanceof Error ? e.message : String(e)})`, 0, 'unreachable');
    }
    if (res.status !== 401) return res;
    const err = await errorOf(res);
    await askForToken(refused || currentToken() !== null ? `Token refused: ${err.message}` : `A token is needed: ${err.message}`, true);
    refused = true;
  }
}

/** GET `path` as JSON; throws ApiError on an error answer. */
export async function getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await authorizedFetch(path, { ...init, headers: { accept: 'application/json' } });
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/** `GET /v1/map` of [from, to) in `buckets` buckets; the whole space when from/to are null. */
export function getMap(from: string | null, to: string | null, buckets: number): Promise<MapReply> {
  const q = new URLSearchParams();
  if (from !== null) q.set('from', from);
  if (to !== null) q.set('to', to);
  q.set('buckets', String(buckets));
  return getJson<MapReply>(`/v1/map?${q.toString()}`);
}

/** `GET /v1/areas/:addr`: the busy area holding `addr`, or null (404: free or not visible). */
export async function getArea(addr: string): Promise<AreaReply | null> {
  const res = await authorizedFetch(`/v1/areas/${addr}`, { headers: { accept: 'application/json' } });
  if (res.status === 404) return null;
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as AreaReply;
}
