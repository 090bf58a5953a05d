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
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();

  constructor(private readonly port: MessagePort) {}

  /** Asks the writer for `name`; settles with its answer. */
  call<K extends CallName>(name: K, args: WriterCalls[K]['args']): Promise<WriterCalls[K]['result']> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.port.postMessage({ type: 'call', id, name, args });
    });
  }

  /** Settles the call a reply answers. */
  settle(reply: ReplyMessage): void {
    const call = this.pending.get(reply.id);
    if (call === undefined) return;
    this.pending.delete(reply.id);
    if (reply.ok) call.resolve(reply.value);
    else call.reject(errorFromData(reply.error));
  }

  /** Calls still waiting for the writer. */
  get waiting(): number {
    return this.pending.size;
  }
}
