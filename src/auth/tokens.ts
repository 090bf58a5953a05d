import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Unauthenticated } from './errors.js';

/** What a caller may do: `client` works on its own areas, `admin` on all. */
export type Role = 'client' | 'admin';

/** Who is calling. */
export interface Identity {
  readonly owner: string;
  readonly role: Role;
}

/** The identity of every caller when vmapd runs without a tokens file. */
export const ANONYMOUS: Identity = Object.freeze({ owner: 'anonymous', role: 'admin' });

interface Entry {
  readonly digest: Buffer;
  readonly identity: Identity;
}

const OWNER = /^[A-Za-z0-9._@:-]{1,64}$/;

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Parses a tokens file: one `token owner [role]` per line (`#` starts a
 * comment), or JSON: an array of `{token, owner, role?}`. Throws with the line
 * at fault; the message never contains a token.
 */
export function parseTokens(text: string, source: string): { token: string; owner: string; role: Role }[] {
  const out: { token: string; owner: string; role: Role }[] = [];
  const add = (token: unknown, owner: unknown, role: unknown, where: string): void => {
    if (typeof token !== 'string' || token.length < 16 || /\s/.test(token)) throw new Error(`${where}: a token must be at least 16 characters without spaces`);
    if (typeof owner !== 'string' || !OWNER.test(owner)) throw new Error(`${where}: owner must be 1-64 of A-Z a-z 0-9 . _ @ : -`);
    const r = role ?? 'client';
    if (r !== 'client' && r !== 'admin') throw new Error(`${where}: role must be client or admin`);
    if (out.some((e) => e.token === token)) throw new Error(`${where}: the same token appears twice`);
    out.push({ token, owner, role: r });
  };
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new Error(`${source}: not valid JSON (${(err as Error).message})`);
    }
    if (!Array.isArray(parsed)) throw new Error(`${source}: expected a JSON array of {token, owner, role}`);
    parsed.forEach((e: unknown, i) => {
      const o = (e ?? {}) as Record<string, unknown>;
      add(o.token, o.owner, o.role, `${source}[${i}]`);
    });
  } else {
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') return;
      const [token, owner, role, extra] = line.split(/\s+/);
      if (extra !== undefined) throw new Error(`${source}:${i + 1}: expected "token owner [role]"`);
      add(token, owner, role, `${source}:${i + 1}`);
    });
  }
  if (out.length === 0) throw new Error(`${source}: no tokens`);
  return out;
}

/**
 * The bearer tokens vmapd accepts. Only SHA-256 digests are kept, and a
 * presented token is compared with every one of them in constant time, so
 * neither the comparison nor the lookup tells how close a guess came.
 */
export class TokenTable {
  private readonly entries: readonly Entry[];

  /** A table of `tokens`. */
  constructor(tokens: readonly { token: string; owner: string; role: Role }[]) {
    this.entries = tokens.map((t) => ({ digest: digest(t.token), identity: Object.freeze({ owner: t.owner, role: t.role }) }));
  }

  /** Reads a tokens file (see parseTokens). */
  static fromFile(path: string): TokenTable {
    return new TokenTable(parseTokens(readFileSync(path, 'utf8'), path));
  }

  /** The identity `token` stands for, or undefined. Constant time in the token. */
  lookup(token: string): Identity | undefined {
    const d = digest(token);
    let found: Identity | undefined;
    for (const e of this.entries) {
      // No early exit: every entry is compared whatever matched.
      if (timingSafeEqual(d, e.digest)) found = e.identity;
    }
    return found;
  }
}

/**
 * Turns an `authorization` value into an identity. Without a table everyone
 * is ANONYMOUS; with one, a valid `Bearer <token>` is required.
 */
export class Authenticator {
  /** @param table the accepted tokens, or null to run open */
  constructor(private readonly table: TokenTable | null) {}

  /** Whether tokens are required. */
  get enforcing(): boolean {
    return this.table !== null;
  }

  /**
   * The caller's identity.
   *
   * @throws Unauthenticated when tokens are required and `header` holds no valid one
   */
  identify(header: string | undefined): Identity {
    if (this.table === null) return ANONYMOUS;
    if (header === undefined || header === '') throw new Unauthenticated('missing "authorization: Bearer <token>"');
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw new Unauthenticated('authorization must be "Bearer <token>"');
    const identity = this.table.lookup(m[1]!);
    if (identity === undefined) throw new Unauthenticated('unknown token');
    return identity;
  }
}
