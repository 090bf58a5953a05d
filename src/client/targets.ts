/**
 * Failover over the target list: one channel per target, made up front (so
 * a bad target is refused at once; grpc-js connects only when first used);
 * calls stay on the current target while it works and move to the next on
 * UNAVAILABLE, going round the list.
 */
import * as grpc from '@grpc/grpc-js';
import { VmapClient as GeneratedClient } from '../grpc/proto.js';
import { clientAllocBatch } from './alloc-batch-codec.js';
import { VmapClientError } from './errors.js';

/** vmap.v1.Vmap's client constructor, AllocBatch encoded and decoded by hand (alloc-batch-codec.ts). */
const VmapServiceClient = grpc.makeClientConstructor(clientAllocBatch(GeneratedClient.service), 'vmap.v1.Vmap');

/** One target and its channel. */
export interface Target {
  /** Its place in the list. */
  readonly index: number;
  /** `host:port`, as given. */
  readonly name: string;
  readonly client: grpc.Client;
}

/** The targets of one VmapClient. */
export class Targets {
  private readonly list: readonly Target[];
  private current = 0;

  /**
   * A channel to each of `names`.
   *
   * @throws VmapClientError INVALID_ARGUMENT naming `targets` when grpc-js refuses one
   */
  constructor(names: readonly string[], credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions) {
    const made: Target[] = [];
    try {
      for (const [index, name] of names.entries()) made.push({ index, name, client: new VmapServiceClient(name, credentials, options) });
    } catch (err) {
      for (const t of made) t.client.close();
      throw VmapClientError.invalidArgument('targets', err instanceof Error ? err.message : String(err));
    }
    this.list = made;
  }

  /** How many targets there are. */
  get size(): number {
    return this.list.length;
  }

  /** The target calls go to now. */
  pick(): Target {
    return this.list[this.current]!;
  }

  /** `t` answered UNAVAILABLE: the next call goes to the one after it, unless another call moved on already. */
  unavailable(t: Target): void {
    if (this.current === t.index) this.current = (t.index + 1) % this.list.length;
  }

  /** Closes every channel. */
  close(): void {
    for (const t of this.list) t.client.close();
  }
}
