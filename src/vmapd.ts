import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { Authenticator, TokenTable, parseTokens } from './auth/tokens.js';
import type { Logger } from 'pino';
import { createProcessLogger } from './logger.js';
import type { VmapdConfig } from './config.js';
import { startGrpc, stopGrpc, type GrpcEdge } from './grpc/server.js';
import { ListingSlots } from './service/listings.js';
import { VmapMetrics } from './service/metrics.js';
import type { ServiceHooks } from './service/service-options.js';
import { VmapService } from './service/vmap-service.js';
import { SpaceGeometry } from './vmap/geometry.js';
import { openStore, storeLocation } from './store/open-store.js';
import { StoreOpenError } from './store/store-open-error.js';
import { messageOf } from './vmap/errors.js';
import { ReaderPool } from './threads/reader-pool.js';
import { ReaderWarmup } from './threads/reader-warmup.js';
import { ReaderMemory } from './threads/reader-memory.js';
import { readerSettings } from './threads/reader-data.js';
import type { ClusterNode } from './cluster/cluster-node.js';
import type { NodeTls } from './cluster/forward-credentials.js';
import type { PostgresStore } from './store/postgres-store.js';
import type { Recovered } from './store/store.js';

/** A running vmapd: the service and both edges. */
export interface Vmapd {
  readonly service: VmapService;
  readonly logger: Logger;
  /** The gRPC port actually bound. */
  readonly grpcPort: number;
  /** The HTTP port actually bound. */
  readonly httpPort: number;
  /** The HTTP reader threads. */
  readonly http: ReaderPool;
  /** This node's leadership on PostgreSQL (undefined on the other stores). */
  readonly cluster: ClusterNode | undefined;
  /**
   * Stops accepting, answers every write already accepted, closes both
   * servers. Bounded by the config's shutdownGraceMs for in-flight calls.
   */
  close(): Promise<void>;
}

/** Extras for embedding vmapd (the CLI, tests). */
export interface StartOptions {
  /** Default: JSON lines on stdout (createProcessLogger). */
  readonly logger?: Logger;
  readonly hooks?: ServiceHooks;
  /** Let tests make the HTTP threads' event loops lag (ReaderPool.hold). */
  readonly testControls?: boolean;
  /** Reader threads already loading their modules (the CLI starts them before importing this); startVmapd ends the ones it does not take. Default: started here. */
  readonly warmup?: ReaderWarmup;
  /**
   * The store already opening with this config (openStore): the CLI opens it
   * before it imports this module, so that the SQLite store's worker reads
   * the areas while vmapd's modules load. startVmapd closes it if it fails
   * before taking it. Default: opened here.
   */
  readonly store?: Promise<Recovered>;
  /** This node cannot go on (a standby out of step with the log): the CLI exits for a supervisor to restart it. Default: log and throw. */
  readonly onFatal?: (reason: string) => void;
}

/** Starts vmapd with `config`: service first, then gRPC, then HTTP. */
export async function startVmapd(config: VmapdConfig, options: StartOptions = {}): Promise<Vmapd> {
  const logger = options.logger ?? createProcessLogger(config.logLevel).logger;
  const geometry = new SpaceGeometry(config.spaceBase, config.spaceSize);
  let tokens: { readonly text: string; readonly source: string } | null;
  let auth: Authenticator;
  let tls: ReturnType<typeof readTls>;
  try {
    // Read once: every HTTP thread, restarted ones too, gets this very text.
    tokens = config.tokens === undefined ? null : { text: readTokens(config.tokens), source: config.tokens };
    auth = new Authenticator(tokens === null ? null : new TokenTable(parseTokens(tokens.text, tokens.source)));
    tls = readTls(config);
  } catch (err) {
    await options.store?.then(({ store }) => store.close(), () => undefined);
    throw err;
  }
  if (!auth.enforcing) logger.warn('no --tokens file: vmapd runs open, every caller is owner "anonymous" and may free any area');
  // The HTTP threads load their modules while the store is read (reader-warmup.ts).
  const warmup = options.warmup ?? new ReaderWarmup(config.httpThreads);
  // One count for the gRPC edge (holder 0) and every HTTP thread (holder i + 1).
  const listings = new ListingSlots(config.maxListings, undefined, 0, 1 + config.httpThreads);
  // What the HTTP threads build their servers from, on the pool's memory
  // made now: the warm threads build theirs while the store is read.
  const httpMemory = new ReaderMemory(config.httpThreads);
  const httpSettings = {
    threads: config.httpThreads,
    host: config.host,
    port: config.httpPort,
    readMode: config.readMode,
    geometry,
    logLevel: logger.level,
    tokens,
    protectReads: config.protectReads,
    rateLimit: config.rateLimit,
    maxEventLoopDelayMs: config.maxEventLoopDelayMs,
    stallTimeoutMs: config.stallTimeoutMs,
    ...(tls === undefined ? {} : { tls: { cert: tls.cert, key: tls.key } }),
    listings,
    testControls: options.testControls === true,
  };
  warmup.configure((index) => readerSettings(httpSettings, httpMemory.buffers, index));
  let recovered: Recovered;
  try {
    recovered = await (options.store ?? openStore(config, geometry, logger));
  } catch (err) {
    await warmup.close();
    throw err;
  }
  const { store, areas, position, list } = recovered;
  // Areas already in columns (the SQLite store hands them over so, from its
  // area image or its rows): the warm HTTP threads get them now, as they
  // are, and fill their replicas from them once they listen. They are the
  // list at the service's first generation.
  if (list !== undefined) warmup.prime({ type: 'reset', generation: position ?? 0, areas: list });
  // A node on PostgreSQL commits nothing until it holds the lease: a write
  // that reaches the gRPC edge before the lease is read is refused, not
  // committed without an epoch.
  // (pg and the cluster's modules are loaded only for this store.)
  const postgres = store.kind === 'postgres' ? (store as PostgresStore) : undefined;
  postgres?.standBy();
  // The gauges read the service's snapshot only when /metrics is scraped.
  const metrics: VmapMetrics = new VmapMetrics(() => svc.snapshot());
  let svc: VmapService;
  try {
    svc = new VmapService({
      geometry,
      lazyMaxPages: config.lazyMaxPages,
      readMode: config.readMode,
      logger,
      metrics,
      hooks: options.hooks,
      store,
      areas,
      ...(list === undefined ? {} : { list }),
      generation: position ?? 0,
      quotaBytes: config.quotaBytes,
      quotaAreas: config.quotaAreas,
      maxPendingWrites: config.maxPendingWrites,
    });
  } catch (err) {
    await store.close();
    await warmup.close();
    const reason = messageOf(err);
    throw new StoreOpenError(`the data in ${await storeLocation(config)} does not check out (${reason}); refusing to start`);
  }
  let grpcEdge: GrpcEdge | undefined;
  let http: ReaderPool | undefined;
  let cluster: ClusterNode | undefined;
  try {
    const startHttp = (): Promise<ReaderPool> =>
      ReaderPool.start({
        ...httpSettings,
        memory: httpMemory,
        service: svc,
        metrics,
        logger,
        warmup,
      });
    // Without a cluster to join first, the HTTP threads build their servers while gRPC binds.
    const httpStarting = postgres === undefined ? startHttp() : undefined;
    // Awaited below; a failure here must not go unhandled meanwhile.
    httpStarting?.catch(() => undefined);
    try {
      grpcEdge = await startGrpc(svc, { host: config.host, port: config.grpcPort, logger, metrics, auth, protectReads: config.protectReads, tls, listings, stallTimeoutMs: config.stallTimeoutMs });
    } catch (err) {
      await httpStarting?.then((pool) => pool.close(0), () => undefined);
      throw err;
    }
    if (postgres !== undefined) {
      const [{ ClusterNode }, { forwardCredentials }] = await Promise.all([import('./cluster/cluster-node.js'), import('./cluster/forward-credentials.js')]);
      const onFatal =
        options.onFatal ??
        ((reason: string) => {
          logger.fatal(reason);
        });
      cluster = new ClusterNode({
        url: config.postgresUrl ?? '',
        advertise: config.advertise ?? `${config.host}:${grpcEdge.port}`,
        leaseMs: config.leaseMs,
        connectMs: 5000,
        service: svc,
        store: postgres,
        logger,
        onFatal,
        forwardCredentials: forwardCredentials(tls),
      });
      const node = cluster;
      metrics.nodeStatus(() => {
        const s = node.status();
        return { leader: s.role === 'leader', epoch: s.epoch, position: s.position, lagBatches: s.lagBatches };
      });
      await cluster.start();
    }
    http = await (httpStarting ?? startHttp());
  } catch (err) {
    await warmup.close();
    grpcEdge?.server.forceShutdown();
    await svc.close();
    await cluster?.close();
    throw err;
  }
  // Every warm thread is taken by now; a restarted thread starts cold.
  await warmup.close();
  const httpPort = http.port;
  const edge = grpcEdge;
  const pool = http;
  logger.info(
    {
      grpc: `${config.host}:${edge.port}`,
      http: `${config.host}:${httpPort}`,
      httpThreads: config.httpThreads,
      tls: tls === undefined ? 'off' : tls.clientCa === undefined ? 'on' : 'mutual (gRPC)',
      auth: auth.enforcing ? 'tokens' : 'open',
      readMode: config.readMode,
      store: store.kind,
      ...(cluster === undefined ? {} : { node: cluster.id, role: cluster.status().role, epoch: cluster.status().epoch, position: cluster.status().position, leaseMs: config.leaseMs }),
      areas: areas.length, base: `0x${config.spaceBase.toString(16)}`, size: config.spaceSize.toString() },
    'vmapd listening',
  );
  void svc.settleIndexes();
  store.listening?.();
  let closed: Promise<void> | undefined;
  return {
    service: svc,
    logger,
    grpcPort: edge.port,
    httpPort,
    http: pool,
    cluster,
    close() {
      closed ??= (async () => {
        pool.shuttingDown();
        // Answer every accepted write before the edges go away; refuse new ones.
        const drained = svc.close();
        await Promise.all([stopGrpc(edge, config.shutdownGraceMs), drained]);
        // Every write answered: a leader hands its lease on now.
        await cluster?.close();
        await pool.close(config.shutdownGraceMs);
        logger.info('vmapd stopped');
      })();
      return closed;
    },
  };
}

/** The tokens file's text, or a start error naming the option. */
function readTokens(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`--tokens ${path}: ${messageOf(err)}`);
  }
}

/** Reads the PEM files TLS needs, or undefined when TLS is off. */
function readTls(config: VmapdConfig): NodeTls | undefined {
  if (config.tlsCert === undefined && config.tlsKey === undefined) {
    if (config.tlsClientCa !== undefined) throw new Error('--tls-client-ca needs --tls-cert and --tls-key');
    if (config.tlsPeerCa !== undefined) throw new Error('--tls-peer-ca needs --tls-cert and --tls-key');
    return undefined;
  }
  if (config.tlsCert === undefined || config.tlsKey === undefined) throw new Error('--tls-cert and --tls-key go together');
  const read = (path: string, option: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${option} ${path}: ${messageOf(err)}`);
    }
  };
  const tls = {
    cert: read(config.tlsCert, '--tls-cert'),
    key: read(config.tlsKey, '--tls-key'),
    ...(config.tlsClientCa === undefined ? {} : { clientCa: read(config.tlsClientCa, '--tls-client-ca') }),
    ...(config.tlsPeerCa === undefined ? {} : { peerCa: read(config.tlsPeerCa, '--tls-peer-ca') }),
  };
  // Bad PEM, a key of another certificate, a CA file without a certificate
  // (which would fail only every client later): say so here, naming the option.
  const check = (what: string, fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      throw new Error(`${what}: ${messageOf(err)}`);
    }
  };
  check(`--tls-cert ${config.tlsCert}, --tls-key ${config.tlsKey}`, () => createSecureContext({ cert: tls.cert, key: tls.key }));
  if (tls.clientCa !== undefined) check(`--tls-client-ca ${config.tlsClientCa}`, () => new X509Certificate(tls.clientCa!));
  if (tls.peerCa !== undefined) check(`--tls-peer-ca ${config.tlsPeerCa}`, () => new X509Certificate(tls.peerCa!));
  return tls;
}
