/**
 * HTTP reader threads started before the service exists. A reader thread
 * spends its first few hundred ms loading fastify and the rest of its
 * modules; started while the writer thread still reads the store, that time
 * overlaps the recovery instead of following it. A warm thread waits, its
 * modules loaded, for its ReaderData on a port of its own (not its parent
 * port: that one stays untouched until the thread listens on it, so no
 * message posted to it meanwhile can be lost).
 *
 * When the store hands over its areas already in columns (the SQLite store
 * does, from its area image or its rows), the warm threads are given their
 * change stream at once, its reset first (`prime`): the list the store read,
 * as it is, rather than one the writer would encode again from its snapshot
 * when it starts them. Each fills its replica from it once it listens.
 */
import { once } from 'node:events';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ChangeMessage, ReaderData } from './protocol.js';

/** The reader thread's entry point. */
export const READER_THREAD = new URL('./reader-thread.js', import.meta.url);

/** The workerData of a warm reader thread: where its ReaderData will come. */
export interface WarmData {
  readonly startPort: MessagePort;
}

/** What a warm thread may be sent on its start port before its ReaderData: its change stream's receiving end. */
export interface WarmStream {
  readonly type: 'stream';
  readonly changes: MessagePort;
}

/** A change stream given to a warm thread ahead: the writer's end, and the generation its reset is of. */
export interface PrimedStream {
  readonly port: MessagePort;
  readonly generation: number;
}

/** A warm thread taken: its worker, and its change stream when it was given one ahead (then its ReaderData carries none). */
export interface TakenThread {
  readonly worker: Worker;
  readonly primed?: PrimedStream;
}

/** Reader threads loading their modules ahead of their start. */
export class ReaderWarmup {
  private readonly idle: { readonly worker: Worker; readonly start: MessagePort; exited: boolean; primed?: PrimedStream }[] = [];

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
   * Gives every warm thread its change stream now, beginning with `reset`
   * (the whole list at its generation), to fill its replica from once it
   * listens.
   */
  prime(reset: Extract<ChangeMessage, { type: 'reset' }>): void {
    for (const entry of this.idle) {
      if (entry.exited || entry.primed !== undefined) continue;
      const { port1, port2 } = new MessageChannel();
      port1.postMessage(reset);
      entry.start.postMessage({ type: 'stream', changes: port2 } satisfies WarmStream, [port2]);
      entry.primed = { port: port1, generation: reset.generation };
    }
  }

  /**
   * A warm thread while one is left, to be started by `start`; undefined
   * when none is (start a new one then).
   */
  take(): TakenThread | undefined {
    for (let entry = this.idle.shift(); entry !== undefined; entry = this.idle.shift()) {
      if (entry.exited) {
        entry.primed?.port.close();
        continue;
      }
      const { worker, start, primed } = entry;
      worker.removeAllListeners('error');
      this.taken.set(worker, start);
      return primed === undefined ? { worker } : { worker, primed };
    }
    return undefined;
  }

  /** Starts `worker`, a thread `take` gave, with `data` (`transfer` moved to it). */
  start(worker: Worker, data: ReaderData, transfer: readonly MessagePort[]): void {
    const start = this.taken.get(worker);
    if (start === undefined) throw new Error('not a warm thread taken from this warmup');
    this.taken.delete(worker);
    start.postMessage(data, [...transfer]);
    start.close();
  }

  /** Taken threads not yet started, by worker: their start ports. */
  private readonly taken = new Map<Worker, MessagePort>();

  /** Ends the warm threads nobody took. */
  async close(): Promise<void> {
    const left = this.idle.splice(0);
    await Promise.all(
      left.map(async ({ worker, start, exited, primed }) => {
        start.close();
        primed?.port.close();
        if (exited) return;
        const gone = once(worker, 'exit');
        await worker.terminate();
        await gone;
      }),
    );
  }
}

/** A started reader thread: its worker, and the writer's end of its change stream. */
export interface StartedThread {
  readonly worker: Worker;
  readonly changes: MessagePort;
}

/**
 * Starts a reader thread: a warm one of `warmup` while one is left, else a
 * new one. Its change stream begins with the whole list at `generation`:
 * the list a warm thread was primed with while that is still the
 * generation (no batch published since), else `reset()`. `data` makes its
 * ReaderData, given the stream's receiving end to hand over, or undefined
 * when the thread has it already.
 */
export function startReaderThread(
  warmup: ReaderWarmup | undefined,
  generation: number,
  reset: () => ChangeMessage,
  data: (changes: MessagePort | undefined) => ReaderData,
): StartedThread {
  const warm = warmup?.take();
  if (warm?.primed !== undefined) {
    if (warm.primed.generation !== generation) warm.primed.port.postMessage(reset());
    warmup!.start(warm.worker, data(undefined), []);
    return { worker: warm.worker, changes: warm.primed.port };
  }
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(reset());
  const threadData = data(port2);
  if (warm === undefined) return { worker: new Worker(READER_THREAD, { workerData: threadData, transferList: [port2] }), changes: port1 };
  warmup!.start(warm.worker, threadData, [port2]);
  return { worker: warm.worker, changes: port1 };
}

/**
 * In a reader thread: its ReaderData, given at once or, for a warm thread,
 * when it comes. A change stream given ahead goes to `onStream` as soon as
 * it comes, before the ReaderData.
 */
export function readerData(workerData: unknown, onStream: (changes: MessagePort) => void): Promise<ReaderData> {
  const warm = workerData as Partial<WarmData> | null;
  if (warm === null || warm.startPort === undefined) return Promise.resolve(workerData as ReaderData);
  const startPort = warm.startPort;
  return new Promise((resolve) => {
    startPort.on('message', (m: WarmStream | ReaderData) => {
      if ('type' in m && m.type === 'stream') {
        onStream(m.changes);
        return;
      }
      startPort.close();
      resolve(m as ReaderData);
    });
  });
}
