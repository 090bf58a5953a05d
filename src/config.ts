import { availableParallelism } from 'node:os';
import type { ReadMode } from './service/read-modes.js';
import { DEFAULT_SPACE_BASE, DEFAULT_SPACE_SIZE } from './vmap/geometry.js';
import { DEFAULT_LAZY_MAX_PAGES } from './vmap/space-shape.js';

/** Everything vmapd can be told at start. */
export interface VmapdConfig {
  /** Address both servers listen on. */
  readonly host: string;
  /** gRPC port; 0 picks a free one. */
  readonly grpcPort: number;
  /** HTTP port; 0 picks a free one. */
  readonly httpPort: number;
  /** HTTP reader threads, all on httpPort (SO_REUSEPORT when more than one). */
  readonly httpThreads: number;
  readonly spaceBase: bigint;
  readonly spaceSize: bigint;
  readonly lazyMaxPages: number;
  readonly readMode: ReadMode;
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  readonly logLevel: string;
  /** How long SIGTERM waits for in-flight calls before cutting them. */
  readonly shutdownGraceMs: number;
  /** `sqlite`: durable in dataDir; `postgres`: durable in postgresUrl; `memory`: nothing survives the process. */
  readonly store: StoreKind;
  /** Where the sqlite store keeps its files. */
  readonly dataDir: string;
  /** Rows changed since the sqlite store's last area image that start a new one in the background (0: only at a start and a clean stop). */
  readonly imageAfterChanges: number;
  /** The postgres store's database (`postgres://user@host:5432/db`). */
  readonly postgresUrl?: string;
  /** Where the other nodes on the same database reach this node's gRPC (`host:port`); default: host and the gRPC port bound. */
  readonly advertise?: string;
  /** How long the leader's lease lasts unrenewed (ms): about how long a failover takes. */
  readonly leaseMs: number;
  /** Tokens file (`token owner [role]` lines, or JSON); without one vmapd runs open. */
  readonly tokens?: string;
  /** Require a token for /meminfo, /metrics, /healthz, /readyz and the MemInfo RPC too. */
  readonly protectReads: boolean;
  /** PEM certificate and key: both servers speak TLS when given. */
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  /** PEM CA bundle: gRPC clients must present a certificate it signed (mutual TLS). */
  readonly tlsClientCa?: string;
  /** PEM CA bundle the leader's certificate is checked against when a standby forwards writes; default: tlsCert itself. */
  readonly tlsPeerCa?: string;
  /** Per-owner limits on busy reserved bytes and areas; 0 = none. */
  readonly quotaBytes: number;
  readonly quotaAreas: number;
  /** Writes that may wait for the writer mutex before new ones are refused. */
  readonly maxPendingWrites: number;
  /** HTTP write routes: requests per minute per client address. */
  readonly rateLimit: number;
  /** HTTP answers 503 while the event loop's mean delay exceeds this (ms). */
  readonly maxEventLoopDelayMs: number;
  /** A listing (ListAreas, /vmallocinfo) whose reader takes nothing for this long is ended (ms). */
  readonly stallTimeoutMs: number;
  /** Listings (ListAreas streams and /vmallocinfo responses together) running at once; more are refused. */
  readonly maxListings: number;
}

/** Rows changed since the sqlite store's last area image that start a background one (an image of 1M areas costs its thread about 0.5 s). */
export const DEFAULT_IMAGE_AFTER_CHANGES = 100_000;

/** The stores vmapd can run on. */
export type StoreKind = 'sqlite' | 'postgres' | 'memory';

/** Every store kind, default first. */
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'postgres', 'memory'];

/** The embedded defaults: `npm start` needs nothing else. */
export const DEFAULT_CONFIG: VmapdConfig = {
  host: '127.0.0.1',
  grpcPort: 50051,
  httpPort: 8080,
  httpThreads: defaultHttpThreads(),
  spaceBase: DEFAULT_SPACE_BASE,
  spaceSize: DEFAULT_SPACE_SIZE,
  lazyMaxPages: DEFAULT_LAZY_MAX_PAGES,
  readMode: 'snapshot',
  logLevel: 'info',
  shutdownGraceMs: 5000,
  store: 'sqlite',
  dataDir: './data',
  imageAfterChanges: DEFAULT_IMAGE_AFTER_CHANGES,
  leaseMs: 2000,
  protectReads: false,
  quotaBytes: 0,
  quotaAreas: 0,
  maxPendingWrites: 10000,
  rateLimit: 6000,
  maxEventLoopDelayMs: 1000,
  stallTimeoutMs: 30_000,
  maxListings: 16,
};

/** One HTTP thread per core but the writer's, at least one. */
export function defaultHttpThreads(): number {
  return Math.max(1, availableParallelism() - 1);
}
