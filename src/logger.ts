import { pino, type Logger } from 'pino';
import { createRequire } from 'node:module';
import type { SonicBoom as SonicBoomClass } from 'sonic-boom';

// sonic-boom is CommonJS with `module.exports = SonicBoom`; its types declare an ES default.
const SonicBoom = createRequire(import.meta.url)('sonic-boom') as typeof SonicBoomClass;

/** Log lines held while stdout cannot take them; past this they are dropped. */
export const LOG_BUFFER_BYTES = 4 * 1024 * 1024;

/** vmapd's logger and the means to let go of its output at exit. */
export interface ProcessLogger {
  readonly logger: Logger;
  /**
   * Lets go of the lines stdout has not taken: they are dropped, never
   * waited for (stdout may be a blocking pipe whose reader is gone or
   * stalled). Call just before exiting.
   */
  release(): void;
}

/**
 * pino JSON lines on stdout that can never block or throw: writes are
 * asynchronous (off the event loop), at most LOG_BUFFER_BYTES wait for a slow
 * reader and later lines are dropped, and a closed pipe (EPIPE) silences the
 * log instead of failing the process. So a parent that died or a log pipe
 * nobody reads cannot stall the service or its shutdown.
 */
export function createProcessLogger(level: string): ProcessLogger {
  let exiting = false;
  // Opening process.stdout makes libuv put a pipe or socket on fd 1 into
  // non-blocking mode: a full pipe then answers EAGAIN (retried by a timer)
  // instead of blocking a thread in write() forever, which would also hold
  // process.exit(), since exit waits for that thread.
  void process.stdout;
  const destination = new SonicBoom({
    fd: 1,
    sync: false,
    maxLength: LOG_BUFFER_BYTES,
    // A full pipe is retried later by a timer; at exit it is given up.
    retryEAGAIN: () => !exiting,
  });
  // EPIPE, or EAGAIN at exit: the lines are lost, the process goes on.
  destination.on('error', () => undefined);
  const logger = pino(
    {
      level,
      base: { service: 'vmapd', pid: process.pid },
      // Tokens never reach the log, whatever gets logged by mistake.
      redact: { paths: ['authorization', '*.authorization', '*.headers.authorization', 'token', '*.token'], censor: '[redacted]' },
    },
    destination,
  );
  return {
    logger,
    release() {
      exiting = true;
      // No flushSync: on a blocking pipe nobody reads it would wait forever.
      destination.destroy();
    },
  };
}
