/**
 * `/metrics` for every thread at once: the writer's registry and each
 * listening reader thread's, asked for by message and summed with
 * prom-client's AggregatorRegistry. A thread that does not answer within
 * METRICS_WAIT_MS is left out of that scrape rather than holding it.
 */
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsJson, WriterMessage } from './protocol.js';

/** How long /metrics waits for a reader thread's counters before it leaves them out. */
const METRICS_WAIT_MS = 2000;

export class MetricsAggregation {
  private nextId = 1;
  private readonly waits = new Map<number, (metrics: MetricsJson | undefined) => void>();

  /** @param own the writer thread's registry */
  constructor(private readonly own: Registry) {}

  /** Every registry summed, rendered; `threads` are the reader threads to ask. */
  async collect(threads: readonly { post(message: WriterMessage): void }[]): Promise<{ contentType: string; body: string }> {
    const own = await this.own.getMetricsAsJSON();
    const others = await Promise.all(threads.map((thread) => this.ask(thread)));
    const registry = AggregatorRegistry.aggregate([own, ...others.filter((m) => m !== undefined)]);
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  /** A reader thread's answer to request `id`. */
  received(id: number, metrics: MetricsJson): void {
    this.waits.get(id)?.(metrics);
  }

  /** Ends every scrape still waiting (the threads are going away). */
  abandon(): void {
    for (const settle of this.waits.values()) settle(undefined);
  }

  private ask(thread: { post(message: WriterMessage): void }): Promise<MetricsJson | undefined> {
    return new Promise((resolve) => {
      const id = this.nextId++;
      const timer = setTimeout(() => settle(undefined), METRICS_WAIT_MS);
      const settle = (m: MetricsJson | undefined): void => {
        clearTimeout(timer);
        this.waits.delete(id);
        resolve(m);
      };
      this.waits.set(id, settle);
      thread.post({ type: 'collectMetrics', id });
    });
  }
}
