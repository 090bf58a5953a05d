/**
 * HTTP reader threads started before the service exists. A reader thread
 * spends its first few hundred ms loading fastify and the rest of its
 * modules; started while the writer thread still reads the store, that time
 * overlaps the recovery instead of following it. A warm thread waits, its
 * modules loaded, for its ReaderData on a port of its own (not its parent
 * port: that one stays untouched until the thread listens on it, so no
 * message posted to it meanwhile can be lost).
 */
import { once } from 'node:events';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ReaderData } from './protocol.js';

/** The reader thread's entry point. */
export const READER_THREAD = new URL('./reader-thread.js', import.meta.url);

/** The workerData of a warm reader thread: where its ReaderData will come. */
export interface WarmData {
  readonly startPort: MessagePort;
}

/** Reader threads loading their modules ahead of their start. */
export class ReaderWarmup {
  private readonly idle: { readonly worker: Worker; readonly start: MessagePort; exited: boolean }[] = [];

  /** Starts `threads` reader threads, to be given their data by `take`. */
  constructor(threads: number) {
    for (let i = 0; i < threads; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(READER_THREAD, { workerData: { startPort: port2 } satisfies WarmData, transferList: [port2] });
      const entry = { worker, start: port1, exited: false };
      // A thread that fails while warm is simply not used: take starts a fresh one instead.
      worker.on('error', () => undefined);
      worker.once('exit', () => (entry.exited = true));
      this.idle.push(entry);
    }
  }

  /**
   * A reader thread started with `data` (`transfer` moved to it): a warm one
   * while one is left, else a new one.
   */
  take(data: ReaderData, transfer: readonly MessagePort[]): Worker {
    for (let entry = this.idle.shift(); entry !== undefined; entry = this.idle.shift()) {
      if (entry.exited) continue;
      entry.worker.removeAllListeners('error');
      entry.start.postMessage(data, [...transfer]);
      entry.start.close();
      return entry.worker;
    }
    return new Worker(READER_THREAD, { workerData: data, transferList: [...transfer] });
  }

  /** Ends the warm threads nobody took. */
  async close(): Promise<void> {
    const left = this.idle.splice(0);
    await Promise.all(
      left.map(async ({ worker, start, exited }) => {
        start.close();
        if (exited) return;
        const gone = once(worker, 'exit');
        await worker.terminate();
        await gone;
      }),
    );
  }
}

/** In a reader thread: its ReaderData, given at once or, for a warm thread, when it comes. */
export async function readerData(workerData: unknown): Promise<ReaderData> {
  const warm = workerData as Partial<WarmData> | null;
  if (warm === null || warm.startPort === undefined) return workerData as ReaderData;
  const [data] = (await once(warm.startPort, 'message')) as [ReaderData];
  warm.startPort.close();
  return data;
}
