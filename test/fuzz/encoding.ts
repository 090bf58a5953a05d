/**
 * How the fuzz tests write request values: uint64s in each form an edge might
 * get them (plain, hex, a number, padded, negative, garbage), JSON with raw
 * number text, addresses picked from the model's areas, and an AllocRequest's
 * fields from their generated core values.
 */
import { BASE, PAGE } from './contract.js';
import { ServiceModel } from './service-model.js';

/** A JSON number written as is (beyond what a double holds, -0, exponents). */
export class RawNumber {
  constructor(readonly text: string) {}
}

/** JSON text of `v`, with RawNumbers verbatim and undefined members left out. */
export function toJson(v: unknown): string {
  if (v instanceof RawNumber) return v.text;
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${toJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** How a uint64 is written: index into the forms below, and garbage for the last one. */
export interface Form {
  readonly form: number;
  readonly junk: unknown;
}

/** `b` as a gRPC client might hand it to protobufjs. */
export function grpcU64(b: bigint, f: Form): unknown {
  return [String(b), String(b), `0x${b.toString(16)}`, Number(b), ` ${b} `, `-${b}`, f.junk][f.form];
}

/** `b` as a JSON value. */
export function jsonU64(b: bigint, f: Form): unknown {
  const num = b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : new RawNumber(b.toString());
  return [String(b), num, `0x${b.toString(16)}`, num, ` ${b}\t`, new RawNumber(`-${b}`), f.junk][f.form];
}

/** `b` as a URL path segment or query value, before encoding. */
export function textU64(b: bigint, f: Form): string {
  const hex16 = `0x${b.toString(16).padStart(16, '0')}`;
  return [hex16, String(b), hex16.toUpperCase(), `0x${b.toString(16)}`, ` ${b}`, `-${b}`, typeof f.junk === 'string' ? f.junk : String(f.junk)][f.form]!;
}

/** An address: one of the model's areas (plus a small offset) when there is one, else `core`. */
export interface AddrPick {
  readonly live: boolean;
  readonly i: number;
  readonly delta: number;
  readonly core: bigint;
  readonly f: Form;
}

/** The address `p` names on `model`'s current areas. */
export function resolveAddr(model: ServiceModel, p: AddrPick): bigint {
  const areas = model.areas();
  if (!p.live || areas.length === 0) return p.core;
  return ServiceModel.addressOf(areas[p.i % areas.length]!.start) + BigInt(p.delta);
}

/** AllocRequest fields as core values and forms, written out per edge by allocFields. */
export interface AllocGen {
  /** A narrow range [base + first page, + pages), used when vstart and vend are not given: makes it fill up. */
  readonly window?: [number, number];
  readonly size?: [bigint, Form];
  readonly align?: [bigint, Form];
  readonly vstart?: [bigint, Form];
  readonly vend?: [bigint, Form];
  readonly no_guard?: unknown;
  readonly caller?: unknown;
  readonly request_id?: unknown;
}

/** The AllocRequest fields of `g`, each uint64 written by `write`; a window stands in for absent vstart and vend. */
export function allocFields(g: AllocGen, write: (b: bigint, f: Form) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of ['size', 'align', 'vstart', 'vend'] as const) {
    const v = g[k];
    if (v !== undefined) out[k] = write(v[0], v[1]);
  }
  for (const k of ['no_guard', 'caller', 'request_id'] as const) if (g[k] !== undefined) out[k] = g[k];
  if (g.window !== undefined && g.vstart === undefined && g.vend === undefined) {
    const [first, pages] = g.window;
    out.vstart = String(BASE + BigInt(first * PAGE));
    out.vend = String(BASE + BigInt((first + pages) * PAGE));
  }
  return out;
}
