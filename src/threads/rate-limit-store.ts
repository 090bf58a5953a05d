/**
 * One rate-limit table for every HTTP thread. @fastify/rate-limit counts in
 * memory per fastify instance, so with N reader threads a client would get N
 * times its limit (the kernel spreads its connections over the threads). A
 * reader thread's store forwards each count to the writer thread, which
 * keeps the one table with the plugin's own LocalStore: the limit means what
 * --rate-limit says, whatever thread a request lands on. Only write routes
 * are limited, and a write goes to the writer anyway.
 */
import { createRequire } from 'node:module';
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';

type Counted = { current: number; ttl: number };

/** Asks the writer to count one request against `key`. */
export type CountOnWriter = (key: string, timeWindow: number, max: number) => Promise<Counted>;

/** The plugin's in-memory store (no types of its own: it is the plugin's internal default). */
const LocalStore = createRequire(import.meta.url)('@fastify/rate-limit/store/LocalStore.js') as new (
  continueExceeding: boolean,
  exponentialBackoff: boolean,
  cache?: number,
) => FastifyRateLimitStore;

/** The store class to give the plugin on a reader thread: every count is made by `count` on the writer. */
export function forwardingStore(count: CountOnWriter): FastifyRateLimitStoreCtor {
  class ForwardingStore implements FastifyRateLimitStore {
    /**
     * @param _options the plugin's options (it constructs the store with them)
     * @param route which route's table (the plugin keeps one per route)
     */
    constructor(
      _options?: unknown,
      private readonly route = '',
    ) {}

    incr(key: string, callback: (error: Error | null, result?: Counted) => void, timeWindow: number, max: number): void {
      count(`${this.route}\n${key}`, timeWindow, max).then(
        (r) => callback(null, r),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    }

    /** The plugin asks one child per route, with the route's options merged in under routeInfo. */
    child(params: object): FastifyRateLimitStore {
      const route = (params as { routeInfo?: { method?: unknown; url?: unknown } }).routeInfo ?? {};
      return new ForwardingStore(undefined, `${String(route.method)} ${route.url}`);
    }
  }
  return ForwardingStore;
}

/** The writer's one table: counts as the plugin's LocalStore does, for every thread. */
export class RateLimitTable {
  private readonly store = new LocalStore(false, false);

  count(key: string, timeWindow: number, max: number): Promise<Counted> {
    return new Promise((resolve, reject) =>
      this.store.incr(key, (err, r) => (err !== null || r === undefined ? reject(err ?? new Error('rate-limit store gave no count')) : resolve(r)), timeWindow, max),
    );
  }
}
