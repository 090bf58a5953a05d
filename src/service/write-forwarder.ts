import type { AllocInput } from './alloc-input.js';
import type { AreaView, FreeView, PurgeView } from './area-view.js';
import type { CallContext } from './call-context.js';

/**
 * Where a node that does not lead sends its writes: the leader, over its
 * gRPC edge (src/cluster/leader-forwarder.ts). Each method answers as the
 * leader's VmapService would, errors by the same code, field and message.
 */
export interface WriteForwarder {
  alloc(input: AllocInput, ctx: CallContext): Promise<AreaView>;
  allocBatch(inputs: readonly AllocInput[], ctx: CallContext): Promise<readonly AreaView[]>;
  free(addr: bigint, ctx: CallContext): Promise<FreeView>;
  purge(ctx: CallContext): Promise<PurgeView>;
  /** Resolves when the leader writes go to changes (or this node may lead itself now). */
  nextLeader(): Promise<void>;
}
