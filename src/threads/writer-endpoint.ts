/**
 * The writer thread's side of the calls reader threads make (protocol.ts):
 * each is run against the service here and answered with its result, or
 * with the VmapError's plain data. Anything else thrown is a bug: logged
 * with its stack, answered as an internal error.
 */
import type { Logger } from 'pino';
import type { VmapService } from '../service/vmap-service.js';
import { errorData, type ErrorData } from '../vmap/errors.js';
import type { CallMessage, ReplyMessage, WriterCalls } from './protocol.js';
import type { RateLimitTable } from './rate-limit-store.js';

/** What an unexpected failure is answered with: a generic 500 / INTERNAL, never the details. */
const INTERNAL: ErrorData = { code: 'VMAP_ERR_INTERNAL', message: 'internal error' };

export interface EndpointParts {
  readonly service: VmapService;
  readonly rateLimits: RateLimitTable;
  /** Every thread's metrics summed, rendered. */
  readonly metrics: () => Promise<WriterCalls['metrics']['result']>;
  readonly logger: Logger;
}

export class WriterEndpoint {
  constructor(private readonly parts: EndpointParts) {}

  /** Runs `call` and gives its reply to `answer` (once, whatever happens). */
  serve(call: CallMessage, answer: (reply: ReplyMessage) => void): void {
    let result: Promise<unknown>;
    try {
      result = Promise.resolve(this.run(call));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => answer({ type: 'reply', id: call.id, ok: true, value }),
      (err: unknown) => {
        const data = errorData(err);
        if (data === undefined) this.parts.logger.error({ err, call: call.name }, 'HTTP thread call failed');
        answer({ type: 'reply', id: call.id, ok: false, error: data ?? INTERNAL });
      },
    );
  }

  private run(call: CallMessage): unknown {
    const { service } = this.parts;
    switch (call.name) {
      case 'alloc':
        return service.alloc(call.args.input, { identity: call.args.identity, authorization: call.args.authorization });
      case 'free':
        return service.free(call.args.addr, { identity: call.args.identity, authorization: call.args.authorization });
      case 'purge':
        return service.purge({ identity: call.args.identity, authorization: call.args.authorization });
      case 'lockedMeminfo':
        return service.lockedMeminfo();
      case 'rateLimit':
        return this.parts.rateLimits.count(call.args.key, call.args.timeWindow, call.args.max);
      case 'metrics':
        return this.parts.metrics();
    }
  }
}
