import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { ListingSlots } from '../service/listings.js';

/** What a streamed listing needs besides its lines. */
export interface ListingLimits {
  /** Listing slots shared with the gRPC edge (--max-listings). */
  readonly slots: ListingSlots;
  /** How long the response may wait for its reader to take anything before the connection is reset. */
  readonly stallTimeoutMs: number;
  readonly logger: Logger;
}

/** Resets `socket` (RST), so that the kernel drops what it still holds for the peer; a TLS socket is destroyed. */
function reset(socket: Socket | null): void {
  if (socket === null) return;
  try {
    socket.resetAndDestroy();
  } catch {
    // resetAndDestroy needs a TCP handle; a TLS socket has its own.
    socket.destroy();
  }
}

/**
 * Sends `chunks` as `reply`'s body with backpressure, holding a listing slot
 * until the response ends in any way (finished, client gone, error, stall).
 * Each listing pins a snapshot and the bytes queued for its reader, so the
 * slots bound how many, and the stall timeout how long: a reader that takes
 * nothing for stallTimeoutMs (the response waits for a drain that does not
 * come) has its connection reset, with one log line. Reset rather than
 * closed, so the kernel does not go on holding the unsent bytes for a peer
 * that does not read.
 *
 * @throws Busy when every slot is taken (nothing has been sent then)
 */
export function sendListing(reply: FastifyReply, chunks: Iterable<string>, contentType: string, limits: ListingLimits): void {
  const release = limits.slots.acquire();
  const res = reply.raw;
  // One chunk ahead at most: the generator, not a buffer, holds the rest.
  const source = Readable.from(chunks, { highWaterMark: 1 });
  let timer: NodeJS.Timeout | undefined;
  const stalled = (): void => {
    timer = undefined;
    limits.logger.warn(
      { remote: reply.request.socket.remoteAddress, stallTimeoutMs: limits.stallTimeoutMs },
      `/vmallocinfo reader took nothing for ${limits.stallTimeoutMs} ms; connection reset`,
    );
    reset(res.socket);
  };
  const waitForReader = (): void => {
    timer ??= setTimeout(stalled, limits.stallTimeoutMs);
  };
  const readerTook = (): void => {
    clearTimeout(timer);
    timer = undefined;
  };
  // The pipe pauses the source exactly when the response cannot take more, and resumes it on drain.
  source.on('pause', waitForReader);
  source.on('resume', readerTook);
  res.on('drain', readerTook);
  // The last bytes may still wait for the reader after the source has ended.
  source.once('end', () => {
    if (!res.writableFinished) waitForReader();
  });
  res.once('finish', readerTook);
  res.once('close', () => {
    readerTook();
    release();
    source.destroy();
  });
  void reply.type(contentType).send(source);
}
