/**
 * HTTP reader threads started before the service exists. A reader thread
 * spends its first few hundred ms loading fastify and the rest of its
 * modules; started while the writer thread still reads the store, that time
 * overlaps the recovery instead of following it. A warm thread waits, its
 * modules loaded, for its ReaderData on a port of its own (not its parent
 * port: that one stays untouched until the thread listens on it, so no
 * message posted to it meanwhile can be lost).
 *
 * Once the writer has read its settings (the tokens, the TLS files), each
 * warm thread is given its own (`configure`: what it builds its server
 * from, on the pool's shared memory made ahead, reader-memory.ts) and builds
 * its server while the store is read; started, it is then told only where
 * to listen. When the store hands over its areas already in columns (the
 * SQLite store does, from its area image or its rows), the warm threads are
 * given their change stream at once, its reset first (`prime`): the list
 * the store read, as it is, rather than one the writer would encode again
 * from its snapshot when it starts them. Each fills its replica from it
 * once it listens.
 */
import { once } from 'node:events';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ChangeMessage, ReaderData, ReaderListen, ReaderSettings } from './protocol.js';

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

/** What a warm thread may be sent ahead to build its server from; then it is started with a WarmListen, not its ReaderData. */
export interface WarmSettings {
  readonly type: 'settings';
  readonly settings: ReaderSettings;
}

/** The start of a warm thread that was given its settings: where to listen (and its stream, unless it has it). */
export interface WarmListen extends ReaderListen {
  readonly type: 'listen';
}

/** A change stream given to a warm thread ahead: the writer's end, and the generation its reset is of. */
export interface PrimedStream {
  readonly port: MessagePort;
  readonly generation: number;
}

/** A warm thread taken: its worker, and its change stream when it was given one ahead (then it is started without one). */
export interface TakenThread {
  readonly worker: Worker;
  readonly primed?: PrimedStream;
}

/** Reader threads loading their modules ahead of their start. */
export class ReaderWarmup {
  /** Warm thread i stands for the pool's thread i. */
  private readonly idle: { readonly worker: Worker; readonly start: MessagePort; readonly index: number; exited: boolean; configured: boolean; primed?: PrimedStream }[] = [];

  /** Starts `threads` reader threads, to be given their data by `take`. */
  constructor(threads: number) {
    for (let i = 0; i < threads; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(READER_THREAD, { workerData: { startPort: port2 } satisfies WarmData, transferList: [port2] });
      const entry = { worker, start: port1, index: i, exited: false, configured: false };
      // A thread that fails while warm is simply not used: take starts a fresh one instead.
      worker.on('error', () => undefined);
      worker.once('exit', () => (entry.exited = true));
      this.idle.push(entry);
    }
  }

  /**
   * Gives every warm thread its settings now (`settingsOf` its index), to
   * build its server from while the store is read. They must be the ones
   * the pool would start it with: the pool's shared memory made ahead.
   */
  configure(settingsOf: (index: number) => ReaderSettings): void {
    for (const entry of this.idle) {
      if (entry.exited || entry.configured) continue;
      entry.start.postMessage({ type: 'settings', settings: settingsOf(entry.index) } satisfies WarmSettings);
      entry.configured = true;
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
   * The warm thread for the pool's thread `index`, to be started by
   * `start`; undefined when there is none (it was taken, or it failed while
   * warm): start a new one then.
   */
  take(index: number): TakenThread | undefined {
    const at = this.idle.findIndex((e) => e.index === index);
    if (at < 0) return undefined;
    const [entry] = this.idle.splice(at, 1);
    const { worker, start, primed, exited, configured } = entry!;
    if (exited) {
      start.close();
      primed?.port.close();
      return undefined;
    }
    worker.removeAllListeners('error');
    this.taken.set(worker, { start, configured });
    return primed === undefined ? { worker } : { worker, primed };
  }

  /**
   * Starts `worker`, a thread `take` gave, with `data` (`transfer` moved to
   * it): only where to listen and its stream when it was given its settings.
   */
  start(worker: Worker, data: ReaderData, transfer: readonly MessagePort[]): void {
    const taken = this.taken.get(worker);
    if (taken === undefined) throw new Error('not a warm thread taken from this warmup');
    this.taken.delete(worker);
    const { port, reusePort, changes } = data;
    const message: WarmListen | ReaderData = taken.configured ? { type: 'listen', port, reusePort, ...(changes === undefined ? {} : { changes }) } : data;
    taken.start.postMessage(message, [...transfer]);
    taken.start.close();
  }

  /** Taken threads not yet started, by worker: their start ports, and whether they have their settings. */
  private readonly taken = new Map<Worker, { readonly start: MessagePort; readonly configured: boolean }>();

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
  index: number,
  generation: number,
  reset: () => ChangeMessage,
  data: (changes: MessagePort | undefined) => ReaderData,
): StartedThread {
  const warm = warmup?.take(index);
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

/** In a reader thread: what it builds its server from, and then where it listens. */
export interface ReaderStart {
  readonly settings: Promise<ReaderSettings>;
  readonly listen: Promise<ReaderListen>;
}

/**
 * In a reader thread: its settings and where it listens, given at once
 * (its ReaderData) or, for a warm thread, as they come: its settings ahead
 * (`configure`) and then where to listen, or both at its start. A change
 * stream given ahead goes to `onStream` as soon as it comes.
 */
export function readerStart(workerData: unknown, onStream: (changes: MessagePort) => void): ReaderStart {
  const warm = workerData as Partial<WarmData> | null;
  if (warm === null || warm.startPort === undefined) {
    const data = workerData as ReaderData;
    return { settings: Promise.resolve(data), listen: Promise.resolve(data) };
  }
  const startPort = warm.startPort;
  let settled!: (s: ReaderSettings) => void;
  let listening!: (l: ReaderListen) => void;
  const settings = new Promise<ReaderSettings>((resolve) => (settled = resolve));
  const listen = new Promise<ReaderListen>((resolve) => (listening = resolve));
  startPort.on('message', (m: WarmStream | WarmSettings | WarmListen | ReaderData) => {
    if ('type' in m) {
      if (m.type === 'stream') onStream(m.changes);
      else if (m.type === 'settings') settled(m.settings);
      else {
        startPort.close();
        listening(m);
      }
      return;
    }
    startPort.close();
    settled(m);
    listening(m);
  });
  return { settings, listen };
}
