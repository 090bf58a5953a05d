import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { VmapdConfig } from './config.js';
import { startGrpc, stopGrpc, type GrpcEdge } from './grpc/server.js';
import { buildHttp } from './http/server.js';
import { VmapMetrics } from './service/metrics.js';
import { VmapService, type ServiceHooks } from './service/vmap-service.js';
import { SpaceGeometry } from './vmap/geometry.js';
import { SqliteStore, StoreOpenError } from './store/sqlite-store.js';
import { MemoryStore } from './store/store.js';

/** A running vmapd: the service and both edges. */
export interface Vmapd {
  readonly service: VmapService;
  readonly logger: Logger;
  /** The gRPC port actually bound. */
  readonly grpcPort: number;
  /** The HTTP port actually bound. */
  readonly httpPort: number;
  /**
   * Stops accepting, answers every write already accepted, closes both
   * servers. Bounded by the config's shutdownGraceMs for in-flight calls.
   */
  close(): Promise<void>;
}

/** Extras for embedding vmapd (tests). */
export interface StartOptions {
  readonly logger?: Logger;
  readonly hooks?: ServiceHooks;
}

/** Starts vmapd with `config`: service first, then gRPC, then HTTP. */
export async function startVmapd(config: VmapdConfig, options: StartOptions = {}): Promise<Vmapd> {
  const logger = options.logger ?? pino({ level: config.logLevel, base: { service: 'vmapd' } });
  const geometry = new SpaceGeometry(config.spaceBase, config.spaceSize);
  const { store, areas } = config.store === 'sqlite' ? await SqliteStore.open(config.dataDir, geometry, logger) : { store: new MemoryStore(), areas: [] };
  // The gauges read the service's snapshot only when /metrics is scraped.
  const metrics: VmapMetrics = new VmapMetrics(() => svc.snapshot());
  let svc: VmapService;
  try {
    svc = new VmapService({ geometry, lazyMaxPages: config.lazyMaxPages, readMode: config.readMode, logger, metrics, hooks: options.hooks, store, areas });
  } catch (err) {
    await store.close();
    const reason = err instanceof Error ? err.message : String(err);
    throw new StoreOpenError(`the data in ${config.dataDir} does not check out (${reason}); refusing to start`);
  }
  let closing = false;
  let grpcEdge: GrpcEdge | undefined;
  let http: FastifyInstance | undefined;
  try {
    grpcEdge = await startGrpc(svc, { host: config.host, port: config.grpcPort, logger, metrics });
    http = buildHttp(svc, { host: config.host, port: config.httpPort, logger, metrics, ready: () => (closing ? 'shutting down' : svc.notReadyReason) });
    await http.listen({ host: config.host, port: config.httpPort });
  } catch (err) {
    grpcEdge?.server.forceShutdown();
    await http?.close();
    await svc.close();
    throw err;
  }
  const address = http.server.address();
  const httpPort = typeof address === 'object' && address !== null ? address.port : config.httpPort;
  const edge = grpcEdge;
  const app = http;
  logger.info(
    { grpc: `${config.host}:${edge.port}`, http: `${config.host}:${httpPort}`, readMode: config.readMode, store: store.kind, areas: areas.length, base: `0x${config.spaceBase.toString(16)}`, size: config.spaceSize.toString() },
    'vmapd listening',
  );
  let closed: Promise<void> | undefined;
  return {
    service: svc,
    logger,
    grpcPort: edge.port,
    httpPort,
    close() {
      closed ??= (async () => {
        closing = true;
        // Answer every accepted write before the edges go away; refuse new ones.
        const drained = svc.close();
        await Promise.all([stopGrpc(edge, config.shutdownGraceMs), drained]);
        await app.close();
        logger.info('vmapd stopped');
      })();
      return closed;
    },
  };
}
