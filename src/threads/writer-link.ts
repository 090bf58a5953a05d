/**
 * A reader thread's calls to the writer thread: a numbered request per call
 * over the worker's parent port, settled by the writer's reply. A VmapError
 * crosses as its plain data (code, message, field) and is thrown here again
 * as one, so the edge answers it with the very status and message it would
 * have given on the writer's thread.
 */
import type { MessagePort } from 'node:worker_threads';
import { errorFromData } from '../vmap/errors.js';
import type { CallName, ReplyMessage, WriterCalls } from './protocol.js';

export class WriterLink {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void; counted: boolean }>();

  /**
   * @param port the worker's parent port
   * @param waiting shared words, one per reader thread, counting calls that wait for the writer
   *   (the writer's vmapd_http_calls_waiting gauge; readable while the writer itself is stuck);
   *   a metrics scrape is not counted, so the gauge does not count the scrape that reads it
   * @param slot this thread's word in `waiting`
   */
  constructor(
    private readonly port: MessagePort,
    private readonly waiting: Int32Array,
    private readonly slot: number,
  ) {}

  /** Asks the writer for `name`; settles with its answer. */
  call<K extends CallName>(name: K, args: WriterCalls[K]['args']): Promise<WriterCalls[K]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const counted = name !== 'metrics';
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, counted });
      if (counted) this.count(1);
      this.port.postMessage({ type: 'call', id, name, args });
    });
  }

  /** Settles the call a reply answers. */
  settle(reply: ReplyMessage): void {
    const call = this.pending.get(reply.id);
    if (call === undefined) return;
    this.pending.delete(reply.id);
    if (call.counted) this.count(-1);
    if (reply.ok) call.resolve(reply.value);
    else call.reject(errorFromData(reply.error));
  }

  private count(delta: number): void {
    Atomics.add(this.waiting, this.slot, delta);
    Atomics.notify(this.waiting, this.slot);
  }
}
