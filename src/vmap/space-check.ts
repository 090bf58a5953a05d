/**
 * The space's invariant check, for tests and the benchmark's cross-check:
 * O(n), so never on a request's path. What it checks is listed on VmapSpace.
 */
import { checkBusyTree } from './busy-tree-check.js';
import { areaList } from './space-view.js';
import { purgeListNow, type SpaceState } from './space-state.js';

/**
 * Walks the areas and the free blocks of `s`, a space of `pages` pages,
 * together: every gap between reserved ranges must be exactly one free block
 * and every free block such a gap, and the counters must be what the walk
 * computes. Returns a description of the first violation, or null.
 */
export function checkSpace(s: SpaceState, pages: number): string | null {
  const treeProblem = s.freeIndex.checkInvariants();
  if (treeProblem) return `free index: ${treeProblem}`;
  const busyProblem = checkBusyTree(s.busy);
  if (busyProblem) return `busy index: ${busyProblem}`;
  const blocks = s.freeIndex.blocks();
  let cursor = 0;
  let used = 0;
  let lazy = 0;
  let nrBusy = 0;
  let nrLazy = 0;
  let next = blocks.next();
  const consumeFree = (upTo: number): string | null => {
    if (cursor === upTo) return null;
    if (next.done || next.value.start !== cursor || next.value.start + next.value.pages !== upTo) {
      return `gap [${cursor}, ${upTo}) is not one free block`;
    }
    next = blocks.next();
    return null;
  };
  for (const va of areaList(s.busy, purgeListNow(s)).from(0)) {
    if (va.start < cursor) return `area at ${va.start} overlaps the range ending at ${cursor}`;
    if (va.pages <= 0 || va.start + va.pages > pages) return `area at ${va.start} has a bad size ${va.pages}`;
    const gapProblem = consumeFree(va.start);
    if (gapProblem) return gapProblem;
    cursor = va.start + va.pages;
    if (va.lazy) {
      lazy += va.pages;
      nrLazy++;
    } else {
      used += va.pages;
      nrBusy++;
    }
  }
  const tailProblem = consumeFree(pages);
  if (tailProblem) return tailProblem;
  if (!next.done) return `free block at ${next.value.start} overlaps a reserved range`;
  if (used !== s.usedPages || lazy !== s.lazyPages) return `counters used=${s.usedPages} lazy=${s.lazyPages}, walk ${used} ${lazy}`;
  if (nrBusy !== s.nrBusy || nrLazy !== s.lazyAreas.length) return 'area counts disagree with the walk';
  // Busy areas live in the busy index only, lazy ones on the purge list only.
  if (s.busy.size !== s.nrBusy) return `busy index holds ${s.busy.size} areas, ${s.nrBusy} are busy`;
  if (s.lazyAreas.some((va) => !va.lazy)) return 'a busy area is on the purge list';
  if (used + lazy + s.freeIndex.freePages !== pages) return 'busy + lazy + free != total';
  return null;
}
