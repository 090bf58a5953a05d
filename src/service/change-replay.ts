/**
 * A standby's write path: a batch another node committed, replayed change by
 * change on this node's space, exactly as the leader made it (the leader
 * placed each area and decided each purge; the standby only repeats it, so
 * its space is the leader's whatever its own settings).
 */
import type { Change } from '../store/store.js';
import type { VmapSpace } from '../vmap/space.js';
import type { OwnerIndex } from './owner-index.js';

/** The change log and this node's space disagree: a bug, or a log not made by vmapd. */
export class ReplayOutOfStep extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayOutOfStep';
  }
}

/**
 * Applies `changes` to `space` and `owners`, all or nothing: a change that
 * does not fit undoes the batch and throws.
 *
 * @throws ReplayOutOfStep naming the change that did not fit
 */
export function replayChanges(space: VmapSpace, owners: OwnerIndex, changes: readonly Change[]): void {
  space.beginJournal();
  try {
    for (const c of changes) {
      switch (c.op) {
        case 'insert':
          owners.add(space.place(c.area));
          break;
        case 'lazy':
          owners.remove(busyAt(space, c.start, 'mark lazy'));
          space.free(c.start, false);
          break;
        case 'delete':
          owners.remove(busyAt(space, c.start, 'delete'));
          space.release(c.start);
          break;
        case 'purge':
          space.purge();
          break;
      }
    }
  } catch (err) {
    space.undoTo(0, (va) => owners.add(va), (va) => owners.remove(va));
    throw err instanceof ReplayOutOfStep ? err : new ReplayOutOfStep(`a committed change does not fit this node's space: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    space.endJournal();
  }
}

function busyAt(space: VmapSpace, start: number, what: string) {
  const va = space.areaAt(start);
  if (va === undefined || va.lazy) throw new ReplayOutOfStep(`no busy area at page ${start} to ${what}`);
  return va;
}
