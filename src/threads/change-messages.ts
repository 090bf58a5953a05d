/**
 * The messages of a reader thread's change stream, as the writer makes
 * them: a `reset` with the whole area list at a generation, then each
 * published batch as `changes` in parts of CHANGES_PER_MESSAGE. Each is
 * encoded once for every thread (the list's columns are shared memory, so
 * posting them copies nothing).
 */
import type { Snapshot } from '../service/snapshot.js';
import { encodeChanges } from '../store/change-codec.js';
import type { Change } from '../store/store.js';
import { encodeAreaList, type EncodedAreaList } from '../store/area-list-codec.js';
import { CHANGES_PER_MESSAGE, type ChangeMessage } from './protocol.js';

/** Makes the stream's messages; see the module comment. */
export class ChangeMessages {
  /** The last list encoded, reused by every thread started on the same snapshot. */
  private last: { readonly snapshot: Snapshot; readonly areas: EncodedAreaList } | undefined;

  /** The reset a thread starting now begins with: the area list of `s` at its generation. */
  reset(s: Snapshot): ChangeMessage {
    if (this.last?.snapshot !== s) this.last = { snapshot: s, areas: encodeAreaList(s.areas, s.meminfo.nrAreas + s.meminfo.nrLazyAreas) };
    return { type: 'reset', generation: s.generation, areas: this.last.areas };
  }

  /** Lets the last list go (kept only while threads start). */
  forget(): void {
    this.last = undefined;
  }

  /** Batch `changes`, published as `generation`, in parts; the last part says so (an empty batch is one empty part). */
  changes(generation: number, changes: readonly Change[]): ChangeMessage[] {
    const out: ChangeMessage[] = [];
    for (let at = 0; at < changes.length || at === 0; at += CHANGES_PER_MESSAGE) {
      const part = encodeChanges(changes.slice(at, at + CHANGES_PER_MESSAGE));
      out.push({ type: 'changes', generation, changes: part, last: at + CHANGES_PER_MESSAGE >= changes.length });
    }
    return out;
  }
}
