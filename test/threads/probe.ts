/** What read-while-blocked.test.ts and its prober thread share. */

/** Int32 index: the writer has blocked (set by the writer's hook). */
export const ENTERED = 0;
/** Int32 index: the writer may go on (set by the prober). */
export const RELEASED = 1;

export interface ProbeData {
  readonly flags: SharedArrayBuffer;
  readonly callsBuffer: SharedArrayBuffer;
  readonly url: string;
  readonly mode: 'snapshot' | 'locked-walk';
}

export interface ProbeResult {
  /** /meminfo read while the writer was blocked (snapshot mode). */
  readonly during: { readonly nrAreas: number; readonly generation: number } | undefined;
  /** locked-walk: the read reached the writer's queue before the release. */
  readonly forwarded: boolean;
  /** locked-walk: the read was answered before the release (it must not be). */
  readonly answeredWhileBlocked: boolean;
  /** Status of a /readyz (snapshot) or /healthz (locked-walk) read while blocked. */
  readonly liveness: number;
  /** /vmallocinfo while the writer was blocked (snapshot mode). */
  readonly listing: string;
  /** /meminfo after the release. */
  readonly after: { readonly nrAreas: number; readonly generation: number };
}
