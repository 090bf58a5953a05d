import type { ReadMode } from './service/vmap-service.js';
import { DEFAULT_SPACE_BASE, DEFAULT_SPACE_SIZE } from './vmap/geometry.js';
import { DEFAULT_LAZY_MAX_PAGES } from './vmap/space.js';

/** Everything vmapd can be told at start. */
export interface VmapdConfig {
  /** Address both servers listen on. */
  readonly host: string;
  /** gRPC port; 0 picks a free one. */
  readonly grpcPort: number;
  /** HTTP port; 0 picks a free one. */
  readonly httpPort: number;
  readonly spaceBase: bigint;
  readonly spaceSize: bigint;
  readonly lazyMaxPages: number;
  readonly readMode: ReadMode;
  /** pino level: fatal, error, warn, info, debug, trace, silent. */
  readonly logLevel: string;
  /** How long SIGTERM waits for in-flight calls before cutting them. */
  readonly shutdownGraceMs: number;
  /** `sqlite`: durable in dataDir; `memory`: nothing survives the process. */
  readonly store: StoreKind;
  /** Where the sqlite store keeps its files. */
  readonly dataDir: string;
}

/** The stores vmapd can run on. */
export type StoreKind = 'sqlite' | 'memory';

/** Every store kind, default first. */
export const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'memory'];

/** The embedded defaults: `npm start` needs nothing else. */
export const DEFAULT_CONFIG: VmapdConfig = {
  host: '127.0.0.1',
  grpcPort: 50051,
  httpPort: 8080,
  spaceBase: DEFAULT_SPACE_BASE,
  spaceSize: DEFAULT_SPACE_SIZE,
  lazyMaxPages: DEFAULT_LAZY_MAX_PAGES,
  readMode: 'snapshot',
  logLevel: 'info',
  shutdownGraceMs: 5000,
  store: 'sqlite',
  dataDir: './data',
};
