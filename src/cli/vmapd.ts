#!/usr/bin/env node
/**
 * vmapd: the server. Every option also comes from an environment variable
 * (VMAPD_GRPC_PORT, …); the command line wins.
 */
import { enableCompileCache, getCompileCacheDir } from 'node:module';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_CONFIG, STORE_KINDS, type StoreKind, type VmapdConfig } from '../config.js';
import { READ_MODES, type ReadMode } from '../service/read-modes.js';
import { createProcessLogger } from '../logger.js';
import { ReaderWarmup } from '../threads/reader-warmup.js';
import { openStore } from '../store/open-store.js';
import { SpaceGeometry } from '../vmap/geometry.js';
import { formatSize, parseSize } from '../vmap/size-text.js';
import { packageVersion } from '../version.js';
import { messageOf } from '../vmap/errors.js';

function port(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535; 0 picks a free port)');
  return n;
}

/** Most HTTP threads: each is a whole fastify instance with its own heap. */
const MAX_HTTP_THREADS = 256;

function threads(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 1 || n > MAX_HTTP_THREADS) throw new InvalidArgumentError(`must be a whole number from 1 to ${MAX_HTTP_THREADS}`);
  return n;
}

function hostPort(value: string): string {
  const m = /^(.+):([0-9]+)$/.exec(value);
  if (m === null || m[1] === '' || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new InvalidArgumentError('must be host:port (a port from 1 to 65535)');
  return value;
}

/** Shorter leases turn every GC pause into a failover; longer ones make failover slow. */
function leaseMs(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < 200 || n > 600_000) throw new InvalidArgumentError('must be a whole number of ms from 200 to 600000');
  return n;
}

function wholeNumber(value: string): number {
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError('must be a non-negative integer');
  return Number(value);
}

function safeBytes(value: string, field: string): number {
  const n = bytes(field)(value);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidArgumentError('too large');
  return Number(n);
}

function bytes(field: string) {
  return (value: string): bigint => {
    try {
      return parseSize(value, field);
    } catch (err) {
      throw new InvalidArgumentError(messageOf(err));
    }
  };
}

const d = DEFAULT_CONFIG;
const program = new Command()
  .name('vmapd')
  .version(packageVersion(), '-V, --version', 'print the version and exit')
  .description('A shared virtual address space served over gRPC and HTTP, with the Linux kernel vmalloc placement rules.')
  .addOption(new Option('--host <addr>', 'address both servers listen on').env('VMAPD_HOST').default(d.host))
  .addOption(new Option('--grpc-port <port>', 'gRPC port (0 = any free port)').env('VMAPD_GRPC_PORT').default(d.grpcPort).argParser(port))
  .addOption(new Option('--http-port <port>', 'HTTP port (0 = any free port)').env('VMAPD_HTTP_PORT').default(d.httpPort).argParser(port))
  .addOption(
    new Option('--http-threads <n>', 'HTTP reader threads, all on the HTTP port')
      .env('VMAPD_HTTP_THREADS')
      .default(d.httpThreads, `${d.httpThreads}: one per core but the writer's, at least 1`)
      .argParser(threads),
  )
  .addOption(
    new Option('--space-base <addr>', 'first address of the space (page aligned)')
      .env('VMAPD_SPACE_BASE')
      .default(d.spaceBase, `0x${d.spaceBase.toString(16)}`)
      .argParser(bytes('space-base')),
  )
  .addOption(
    new Option('--space-size <bytes>', 'size of the space as the kernel sizes it: its last page is never allocated, VMALLOC_END being base + size - 1 (page aligned, at least 8k; 8k, 2M, 1G, 32T)')
      .env('VMAPD_SPACE_SIZE')
      .default(d.spaceSize, formatSize(d.spaceSize))
      .argParser(bytes('space-size')),
  )
  .addOption(
    new Option('--lazy-max-pages <n>', 'purge lazily freed areas once they hold more than this many pages')
      .env('VMAPD_LAZY_MAX_PAGES')
      .default(d.lazyMaxPages)
      .argParser(wholeNumber),
  )
  .addOption(new Option('--read-mode <mode>', 'how /meminfo reads the space').env('VMAPD_READ_MODE').default(d.readMode).choices(READ_MODES))
  .addOption(
    new Option('--log-level <level>', 'log level').env('VMAPD_LOG_LEVEL').default(d.logLevel).choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  )
  .addOption(new Option('--store <kind>', 'where writes become durable (memory: nothing survives a restart)').env('VMAPD_STORE').default(d.store).choices(STORE_KINDS))
  .addOption(new Option('--data-dir <dir>', 'directory of the sqlite store').env('VMAPD_DATA_DIR').default(d.dataDir))
  .addOption(
    new Option('--image-after-changes <n>', "rows changed since the sqlite store's last area image that start a new one in the background (0: only at a start and a clean stop)")
      .env('VMAPD_IMAGE_AFTER_CHANGES')
      .default(d.imageAfterChanges)
      .argParser(wholeNumber),
  )
  .addOption(new Option('--postgres-url <url>', 'database of the postgres store (a password here shows in ps: prefer the variable or PGPASSWORD)').env('VMAPD_POSTGRES_URL'))
  .addOption(new Option('--advertise <host:port>', "where the other nodes on the same database reach this node's gRPC (default: --host and the gRPC port)").env('VMAPD_ADVERTISE').argParser(hostPort))
  .addOption(
    new Option('--lease-ms <ms>', "how long the postgres store's leader lease lasts unrenewed; a standby takes over about this long after the leader is lost")
      .env('VMAPD_LEASE_MS')
      .default(d.leaseMs)
      .argParser(leaseMs),
  )
  .addOption(new Option('--tokens <file>', 'bearer tokens, one "token owner [role]" per line or JSON; without it vmapd runs open').env('VMAPD_TOKENS'))
  .addOption(new Option('--protect-reads', 'require a token for /meminfo, /metrics, /healthz, /readyz and MemInfo too').env('VMAPD_PROTECT_READS').default(d.protectReads))
  .addOption(new Option('--tls-cert <file>', 'PEM certificate: both servers speak TLS').env('VMAPD_TLS_CERT'))
  .addOption(new Option('--tls-key <file>', 'PEM private key of --tls-cert').env('VMAPD_TLS_KEY'))
  .addOption(new Option('--tls-client-ca <file>', 'PEM CA: gRPC clients must present a certificate it signed').env('VMAPD_TLS_CLIENT_CA'))
  .addOption(new Option('--tls-peer-ca <file>', "PEM CA of the other nodes' certificates, which a standby checks the leader's against when it forwards writes (default: --tls-cert)").env('VMAPD_TLS_PEER_CA'))
  .addOption(new Option('--quota-bytes <bytes>', 'per-owner limit on busy reserved bytes (0 = none; 8k, 2M, 1G)').env('VMAPD_QUOTA_BYTES').default(d.quotaBytes).argParser((v) => safeBytes(v, 'quota-bytes')))
  .addOption(new Option('--quota-areas <n>', 'per-owner limit on busy areas (0 = none)').env('VMAPD_QUOTA_AREAS').default(d.quotaAreas).argParser(wholeNumber))
  .addOption(
    new Option('--max-pending-writes <n>', 'writes that may queue for the writer; beyond, writes fail at once (server busy)')
      .env('VMAPD_MAX_PENDING_WRITES')
      .default(d.maxPendingWrites)
      .argParser(wholeNumber),
  )
  .addOption(new Option('--rate-limit <n>', 'HTTP write requests per minute per client address').env('VMAPD_RATE_LIMIT').default(d.rateLimit).argParser(wholeNumber))
  .addOption(
    new Option('--max-event-loop-delay-ms <ms>', 'HTTP answers 503 (load shed) while the event loop lags more than this')
      .env('VMAPD_MAX_EVENT_LOOP_DELAY_MS')
      .default(d.maxEventLoopDelayMs)
      .argParser(wholeNumber),
  )
  .addOption(
    new Option('--stall-timeout-ms <ms>', 'end a ListAreas or /vmallocinfo listing whose reader takes nothing for this long')
      .env('VMAPD_STALL_TIMEOUT_MS')
      .default(d.stallTimeoutMs)
      .argParser(wholeNumber),
  )
  .addOption(
    new Option('--max-listings <n>', 'ListAreas and /vmallocinfo listings at once; beyond, RESOURCE_EXHAUSTED / 503')
      .env('VMAPD_MAX_LISTINGS')
      .default(d.maxListings)
      .argParser(wholeNumber),
  )
  .addOption(
    new Option('--shutdown-grace-ms <ms>', 'on SIGTERM, how long in-flight calls may take before they are cut')
      .env('VMAPD_SHUTDOWN_GRACE_MS')
      .default(d.shutdownGraceMs)
      .argParser(wholeNumber),
  );

program.parse();
const o = program.opts<{
  host: string;
  grpcPort: number;
  httpPort: number;
  httpThreads: number;
  spaceBase: bigint;
  spaceSize: bigint;
  lazyMaxPages: number;
  readMode: ReadMode;
  logLevel: string;
  shutdownGraceMs: number;
  store: StoreKind;
  dataDir: string;
  imageAfterChanges: number;
  postgresUrl?: string;
  advertise?: string;
  leaseMs: number;
  tokens?: string;
  protectReads: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  tlsPeerCa?: string;
  quotaBytes: number;
  quotaAreas: number;
  maxPendingWrites: number;
  rateLimit: number;
  maxEventLoopDelayMs: number;
  stallTimeoutMs: number;
  maxListings: number;
}>();
const config: VmapdConfig = { ...o };

/** What SIGTERM may take beyond the grace period: the last commits and closing the store. */
const SHUTDOWN_MARGIN_MS = 1000;

const log = createProcessLogger(config.logLevel);
/** Exits now: the log lets go of what stdout will not take, so nothing can hold the exit. */
const exit = (code: number): never => {
  log.release();
  process.exit(code);
};

// The handlers are in place before anything starts: a SIGTERM sent as soon
// as "vmapd listening" is read (or during the start) must stop vmapd cleanly,
// not find no handler and end it with the signal. One that comes during the
// start stops it once it has started; a second one ends the start at once.
let started: ((signal: string) => void) | undefined;
let early: string | undefined;
const onSignal = (signal: string): void => {
  if (started !== undefined) return started(signal);
  if (early === undefined) {
    early = signal;
    log.logger.info({ signal }, 'stopping once started (a second signal stops the start now)');
    return;
  }
  log.logger.warn({ signal }, 'second signal during the start: exiting');
  exit(1);
};
process.on('SIGTERM', () => onSignal('SIGTERM'));
process.on('SIGINT', () => onSignal('SIGINT'));

// The server's modules (gRPC, the store, the allocator) load while the HTTP
// threads load theirs, each from V8's code cache after the first start
// (NODE_COMPILE_CACHE: os.tmpdir()/node-compile-cache unless set;
// NODE_DISABLE_COMPILE_CACHE=1 turns it off). Nothing else starts a vmapd
// this early: the options are read, the handlers are in, the threads go.
enableCompileCache();
const cacheDir = getCompileCacheDir();
// The reader threads inherit it through their environment.
if (cacheDir !== undefined) process.env.NODE_COMPILE_CACHE = cacheDir;
const warmup = new ReaderWarmup(config.httpThreads);

try {
  // Read meanwhile (the SQLite store reads on its worker thread); startVmapd takes it once it has read its other files.
  const store = openStore(config, new SpaceGeometry(config.spaceBase, config.spaceSize), log.logger);
  // Awaited by startVmapd: a failure must not go unhandled before it is.
  store.catch(() => undefined);
  const { startVmapd } = await import('../vmapd.js');
  const vmapd = await startVmapd(config, {
    logger: log.logger,
    warmup,
    store,
    // A node whose memory no longer matches the database's log: a supervisor's restart reloads it.
    onFatal: (reason) => {
      log.logger.fatal(`${reason}; exiting`);
      exit(70);
    },
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    vmapd.logger.info({ signal }, 'shutting down');
    // A hard bound: in-flight calls get the grace period, the last commits the
    // margin, then the process goes whatever is still running.
    setTimeout(() => {
      vmapd.logger.error({ graceMs: config.shutdownGraceMs }, 'shutdown took too long; exiting');
      exit(1);
    }, config.shutdownGraceMs + SHUTDOWN_MARGIN_MS).unref();
    vmapd.close().then(
      () => exit(0),
      (err: unknown) => {
        vmapd.logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  started = stop;
  if (early !== undefined) stop(early);
} catch (err) {
  const message = messageOf(err);
  log.logger.fatal({ err }, `cannot start: ${message}`);
  try {
    process.stderr.write(`vmapd: cannot start: ${message}\n`);
  } catch {
    // stderr is gone: the exit code says it.
  }
  exit(1);
}
