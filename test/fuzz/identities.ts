/**
 * Who the fuzz tests call as: three tokens (two clients and an admin), the
 * ways a request carries one (or a bad one, or none) in its authorization
 * header, and who the server may take such a caller for on each edge.
 */
import { identityOf, type Who } from './contract.js';

/** The tokens of alice and bob (clients) and root (admin), in that order. */
const TOKENS = ['alice-token-0123456789abcdef', 'bob-token-fedcba9876543210', 'root-token-00112233445566778899'] as const;
/** Who each of TOKENS stands for. */
const IDENTITIES: readonly Who[] = [
  { owner: 'alice', role: 'client' },
  { owner: 'bob', role: 'client' },
  { owner: 'root', role: 'admin' },
];
/** The token table the model reads tokens with. */
const TABLE: ReadonlyMap<string, Who> = new Map(TOKENS.map((t, i) => [t, IDENTITIES[i]!]));
/** root's authorization header, for the runner's own reads and resets. */
export const ADMIN = `Bearer ${TOKENS[2]}`;

/** The server's token file for TOKENS. */
export const TOKENS_FILE = `# two clients and an admin\n${TOKENS[0]} alice\n${TOKENS[1]} bob client\n${TOKENS[2]} root admin\n`;

/** How a request authenticates: a valid token in one of ten spellings, a bad one in one of ten forms, random text, or nothing. */
export type Auth = { t: 'token'; i: number; form: number } | { t: 'bad'; i: number; form: number } | { t: 'random'; s: string } | { t: 'none' };

/** The `authorization` value a client sends, undefined for none. */
export function headerOf(a: Auth): string | undefined {
  switch (a.t) {
    case 'none':
      return undefined;
    case 'random':
      return a.s;
    case 'token': {
      const t = TOKENS[a.i]!;
      return [`Bearer ${t}`, `Bearer ${t}`, `Bearer ${t}`, `Bearer ${t}`, `Bearer ${t}`, `bearer ${t}`, `BEARER ${t}`, `Bearer   ${t}`, `Bearer ${t} `, ` Bearer ${t}`][a.form]!;
    }
    case 'bad': {
      const t = TOKENS[a.i]!;
      return ['', 'Bearer', 'Bearer ', `Basic ${t}`, t, `Bearer ${t}x`, `Bearer ${t.slice(0, -1)}`, `Bearer ${t} ${t}`, `Token ${t}`, `Bearer ${t.toUpperCase()}`][a.form]!;
    }
  }
}

/**
 * Who the server may take the caller for. HTTP/1.1 drops blanks around a
 * header value. Over HTTP/2 (gRPC) such a value is the transport's business:
 * node's HTTP/2 server drops it (the caller has no token), a laxer one would
 * trim it; either is fine, so both are candidates.
 */
export function whoOf(header: string | undefined, edge: 'grpc' | 'http'): (Who | undefined)[] {
  if (header === undefined) return [undefined];
  const trimmed = identityOf(header.replace(/^[ \t]+|[ \t]+$/g, ''), TABLE);
  if (edge === 'http' || !/^[ \t]|[ \t]$/.test(header)) return [trimmed];
  return trimmed === undefined ? [undefined] : [undefined, trimmed];
}
