/**
 * ListAreas: a server stream of one snapshot's areas, bounded twice. A
 * listing holds a slot (--max-listings, shared with the HTTP edge) from its
 * start to its end, whatever ends it; and a reader that takes nothing for
 * --stall-timeout-ms loses its listing, since the snapshot it holds alive
 * pins the memory of every area it has not read yet.
 *
 * The DEADLINE_EXCEEDED status of a stalled listing travels behind the
 * areas already written (HTTP/2 keeps a stream's frames in order), so a
 * reader that comes back gets every area up to the one the message names,
 * then the status; one that never reads again holds no slot and no
 * snapshot, only what its flow-control window let the server queue.
 */
import { once } from 'node:events';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Authenticator } from '../auth/tokens.js';
import type { ListingSlots } from '../service/listings.js';
import type { VmapService } from '../service/vmap-service.js';
import { DeadlineExceeded } from '../service/errors.js';
import { parseU64 } from '../vmap/geometry.js';
import { areaMessage } from './area-message.js';
import { decoded } from './decoding.js';
import { identify } from './call-context.js';
import type { Area } from './generated/vmap/v1/Area.js';
import type { ListAreasRequest__Output } from './generated/vmap/v1/ListAreasRequest.js';

/** What a listing needs from the edge. */
export interface ListingOptions {
  readonly auth: Authenticator;
  readonly listings: ListingSlots;
  readonly stallTimeoutMs: number;
  readonly logger: Logger;
}

type ListCall = grpc.ServerWritableStream<ListAreasRequest__Output, Area>;

/** How a wait for the reader ended. */
type Drain = 'drained' | 'gone' | 'stalled';

/**
 * Waits until `call` can take more: 'gone' if the client cancelled or the
 * call closed first, 'stalled' if `ms` passed first.
 */
async function drain(call: ListCall, ms: number): Promise<Drain> {
  const wait = new AbortController();
  let why: Drain = 'gone';
  const gone = (): void => wait.abort();
  const timer = setTimeout(() => {
    why = 'stalled';
    wait.abort();
  }, ms);
  call.once('cancelled', gone);
  call.once('close', gone);
  try {
    await once(call, 'drain', { signal: wait.signal });
    return 'drained';
  } catch (err) {
    if (wait.signal.aborted) return why;
    throw err;
  } finally {
    clearTimeout(timer);
    call.off('cancelled', gone);
    call.off('close', gone);
  }
}

/**
 * Streams the areas of the current snapshot with backpressure, in a
 * listing slot.
 *
 * @throws InvalidArgument naming the field; Unauthenticated; Busy when every slot is taken
 * @throws DeadlineExceeded when the reader stalls: its message names the last area sent, to resume from
 */
export async function listAreas(service: VmapService, call: ListCall, options: ListingOptions): Promise<void> {
  const request = decoded(call.request);
  const who = identify(options.auth, call);
  const from = parseU64(request.from_addr, 'from_addr');
  const limit = typeof request.limit === 'number' && request.limit > 0 ? request.limit : Infinity;
  const includeLazy = request.include_lazy === true;
  const release = options.listings.acquire();
  let sent = 0;
  let last = '';
  try {
    for (const va of service.areas(service.snapshot(), from, includeLazy, who)) {
      if (sent >= limit) break;
      if (call.cancelled || call.destroyed) return;
      const message = areaMessage(va);
      sent++;
      last = va.addr;
      if (call.write(message)) continue;
      const outcome = await drain(call, options.stallTimeoutMs);
      if (outcome === 'gone') return;
      if (outcome === 'stalled') {
        const at = last;
        options.logger.warn({ rpc: 'ListAreas', peer: call.getPeer(), sent, last: at, stallTimeoutMs: options.stallTimeoutMs }, 'listing stalled: the reader took nothing; ended it');
        throw new DeadlineExceeded(
          `the reader took nothing for ${options.stallTimeoutMs} ms (--stall-timeout-ms); the last area sent starts at ${at}: list again with from_addr above it`,
        );
      }
    }
    if (!call.cancelled) call.end();
  } finally {
    release();
  }
}
