import type { Identity } from '../auth/tokens.js';

/** Who makes a call and by when it must be answered. */
export interface CallContext {
  /** Default: ANONYMOUS (an admin), as when vmapd runs without tokens. */
  readonly identity?: Identity;
  /** Epoch ms; a write not committed by then is not applied (DEADLINE_EXCEEDED). */
  readonly deadline?: number;
  /** The `authorization` the call came with, for a write forwarded to the leader (which identifies the caller itself). */
  readonly authorization?: string;
  /** The call was forwarded here by another node: if this node does not lead either, it is refused, not forwarded again. */
  readonly forwarded?: boolean;
}
