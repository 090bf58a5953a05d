/**
 * An HTTP reader thread (a worker_threads entry point): one fastify instance
 * on the shared port (SO_REUSEPORT when there are several), answering
 * /meminfo, /vmallocinfo, the area lookup, /healthz and /readyz from shared
 * memory and its own replica, and forwarding writes to the writer thread
 * (see reader-backend.ts). It never holds anything the writer waits for.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { FastifyListenOptions } from 'fastify';
import { pino, type Logger } from 'pino';
import { Authenticator, TokenTable, parseTokens } from '../auth/tokens.js';
import { buildHttp } from '../http/server.js';
import { ListingSlots } from '../service/listings.js';
import { EdgeCounters } from '../service/metrics.js';
import { ActivityTally, ActivityTotals, readerSlot } from '../sync/activity-tally.js';
import { SpaceGeometry } from '../vmap/geometry.js';
import { messageOf } from '../vmap/errors.js';
import type { ReaderMessage, ReaderSettings, WriterMessage } from './protocol.js';
import { PublishedMeminfo, PublishedReadiness } from './publication.js';
import { forwardingStore } from './rate-limit-store.js';
import { ChangeFeed, ReaderBackend } from './reader-backend.js';
import { WriterLink } from './writer-link.js';
import { readerStart } from './reader-warmup.js';

if (parentPort === null) throw new Error('reader-thread.js runs as a worker thread of vmapd');
const port: MessagePort = parentPort;
const post = (m: ReaderMessage): void => port.postMessage(m);
/** The thread's logger, once its data says at which level (an early out-of-step has none yet). */
const log: { logger?: Logger } = {};
// A replica out of step would answer wrongly from then on: the thread ends, and the writer starts a fresh one.
const outOfStep = (err: Error): never => {
  if (log.logger !== undefined) log.logger.fatal({ err }, 'replica out of step with the change stream; thread restarts');
  else post({ type: 'log', line: JSON.stringify({ level: 60, time: Date.now(), msg: `replica out of step with the change stream: ${err.message}` }) });
  process.exit(1);
};
// The server is built and listening before the background fills any of the
// replica: filled while the writer rebuilds the space, it would take the
// second core from it (measured: a restart of 1M areas listens about 0.27 s
// sooner). Its stream may come before the thread listens (the list the
// store read), or with where to listen.
const feed = new ChangeFeed(null, outOfStep);
feed.pause();
// A warm thread (reader-warmup.ts) has loaded its modules ahead, and may be
// given its settings ahead too: it builds its server while the store is read.
const start = readerStart(workerData, (changes) => feed.attach(changes));
const data: ReaderSettings = await start.settings;

// Log lines go to the writer, which writes them with its own logger (one
// stream, one format); held until the thread is started: the writer reads
// this thread's messages only from then on.
const held: string[] = [];
let started = false;
const logger = pino({ level: data.logLevel, base: { thread: data.index } }, { write: (line: string) => (started ? post({ type: 'log', line }) : held.push(line)) });
log.logger = logger;
const link = new WriterLink(port, new Int32Array(data.callsBuffer), data.index);
feed.nudgedBy(new Int32Array(data.nudgeBuffer), data.index);
const meminfo = new PublishedMeminfo(data.meminfoBuffer);
const activity = new ActivityTally(data.activityBuffer);
const backend = new ReaderBackend(
  data.readMode,
  new SpaceGeometry(data.spaceBase, data.spaceSize),
  meminfo,
  new PublishedReadiness(data.readinessBuffer),
  feed,
  link,
  new ActivityTotals(activity),
);
const metrics = new EdgeCounters();
metrics.tallyReads(activity.counter(readerSlot(data.index)));
metrics.seqlockReads(() => meminfo.stats);
const app = await buildHttp(backend, {
  logger,
  metrics,
  auth: new Authenticator(data.tokens === null ? null : new TokenTable(parseTokens(data.tokens.text, data.tokens.source))),
  protectReads: data.protectReads,
  rateLimit: data.rateLimit,
  rateLimitStore: forwardingStore((key, timeWindow, max) => link.call('rateLimit', { key, timeWindow, max })),
  maxEventLoopDelayMs: data.maxEventLoopDelayMs,
  ...(data.tls === undefined ? {} : { tls: { cert: Buffer.from(data.tls.cert), key: Buffer.from(data.tls.key) } }),
  listings: new ListingSlots(data.maxListings, data.listingsBuffer, data.index + 1),
  stallTimeoutMs: data.stallTimeoutMs,
});

port.on('message', (m: WriterMessage) => {
  switch (m.type) {
    case 'reply':
      link.settle(m);
      break;
    case 'changesQueued':
      feed.queued();
      break;
    case 'collectMetrics':
      void metrics.registry.getMetricsAsJSON().then((json) => post({ type: 'metricsOf', id: m.id, metrics: json }));
      break;
    case 'close':
      void app.close().then(() => {
        post({ type: 'closed' });
        process.exit(0);
      });
      break;
    case 'hold':
      if (data.testControls) {
        const until = Date.now() + m.ms;
        while (Date.now() < until) {
          // busy on purpose: a test makes this thread's event loop lag
        }
      }
      break;
  }
});

const where = await start.listen;
started = true;
for (const line of held.splice(0)) post({ type: 'log', line });
if (where.changes !== undefined) feed.attach(where.changes);
if (!feed.attached) throw new Error('a reader thread started with no change stream');
// fastify hands its listen options to net.Server.listen whole; its types only lack reusePort.
const listenOptions: FastifyListenOptions & { reusePort: boolean } = { host: data.host, port: where.port, reusePort: where.reusePort };
try {
  await app.listen(listenOptions);
} catch (err) {
  const code = (err as { code?: unknown }).code;
  post({ type: 'failed', error: messageOf(err), ...(typeof code === 'string' ? { code } : {}) });
  process.exit(1);
}
const address = app.server.address();
post({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : where.port });
feed.resume();
