import type { Identity } from '../auth/tokens.js';

/** Who makes a call and by when it must be answered. */
export interface CallContext {
  /** Default: ANONYMOUS (an admin), as when vmapd runs without tokens. */
  readonly identity?: Identity;
  /** Epoch ms; a write not committed by then is not applied (DEADLINE_EXCEEDED). */
  readonly deadline?: number;
}
