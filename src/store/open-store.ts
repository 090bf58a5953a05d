/** The store `--store` names, opened and recovered. */
import type { Logger } from 'pino';
import type { SpaceGeometry } from '../vmap/geometry.js';
import { SqliteStore } from './sqlite-store.js';
import { StoreOpenError } from './store-open-error.js';
import { MemoryStore, type Recovered } from './store.js';

/** The part of vmapd's configuration that picks and finds the store. */
export interface StoreConfig {
  /** `sqlite`, `postgres` or `memory` (config.ts's STORE_KINDS). */
  readonly store: string;
  readonly dataDir: string;
  readonly postgresUrl?: string;
  /** The lease of the postgres store's leadership (ms). */
  readonly leaseMs?: number;
  /** The sqlite store's rows changed that start a background area image (0: none). */
  readonly imageAfterChanges?: number;
}

/**
 * Opens the configured store for `geometry` and recovers what it holds.
 *
 * @throws StoreOpenError when the store cannot be used, saying why
 */
export async function openStore(config: StoreConfig, geometry: SpaceGeometry, logger: Logger): Promise<Recovered> {
  switch (config.store) {
    case 'sqlite':
      return SqliteStore.open(config.dataDir, geometry, logger, config.imageAfterChanges === undefined ? {} : { imageAfterChanges: config.imageAfterChanges });
    case 'postgres':
      if (config.postgresUrl === undefined || config.postgresUrl === '') {
        throw new StoreOpenError('--store postgres needs --postgres-url <url> (or VMAPD_POSTGRES_URL), e.g. postgres://vmapd@db.example:5432/vmapd');
      }
    {
      // pg and the cluster's modules load only for this store.
      const { PostgresStore } = await import('./postgres-store.js');
      // A commit's transaction holds the lease row against a takeover: a
      // leader paused in the middle of one must not hold it past its lease.
      return PostgresStore.open(config.postgresUrl, geometry, logger, config.leaseMs === undefined ? {} : { timeouts: { idleInTransactionMs: Math.max(100, Math.floor(config.leaseMs / 2)) } });
    }
    case 'memory':
      return { store: new MemoryStore(), areas: [] };
    default:
      throw new StoreOpenError(`no store kind ${JSON.stringify(config.store)}`);
  }
}

/** Where the configured store keeps its data, for messages. */
export async function storeLocation(config: StoreConfig): Promise<string> {
  if (config.store === 'postgres') {
    try {
      const { describeTarget } = await import('./postgres-session.js');
      return `the PostgreSQL database ${describeTarget(config.postgresUrl ?? '')}`;
    } catch {
      return 'the PostgreSQL database';
    }
  }
  return config.dataDir;
}
