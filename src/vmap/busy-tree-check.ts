/**
 * The busy index's structural invariants, checked by walking every node:
 * what VmapSpace.checkInvariants and the tree's property test rely on.
 */
import type { BusyTree } from './busy-tree.js';
import { CAP, MIN, type BusyNode } from './busy-tree-node.js';

/**
 * Checks `tree`: keys ascending and each area under its own start; every
 * inner key a lower bound of its child's keys and above the keys of the
 * child before; every node but the root holding MIN to CAP entries; leaves
 * all at one depth; `size` equal to the areas held. Returns the first
 * violation, or null.
 */
export function checkBusyTree(tree: BusyTree): string | null {
  const state = { areas: 0, leafDepth: -1, last: -Infinity };
  const problem = checkNode(tree.rootNode, true, 0, state);
  if (problem !== null) return problem;
  return state.areas === tree.size ? null : `size ${tree.size}, but ${state.areas} areas held`;
}

interface WalkState {
  areas: number;
  leafDepth: number;
  /** The greatest key seen so far. */
  last: number;
}

function checkNode(x: BusyNode, root: boolean, depth: number, st: WalkState): string | null {
  if (x.n > CAP) return `a node holds ${x.n} > ${CAP} entries`;
  if (!root && x.n < MIN) return `a node at depth ${depth} holds ${x.n} < ${MIN} entries`;
  if (x.kids === null) {
    if (st.leafDepth >= 0 && st.leafDepth !== depth) return `leaves at depths ${st.leafDepth} and ${depth}`;
    st.leafDepth = depth;
    const vals = x.areas();
    for (let i = 0; i < x.n; i++) {
      const key = x.keys[i]!;
      if (!(key > st.last)) return `key ${key} after ${st.last}: not ascending`;
      if (vals[i]?.start !== key) return `the area under key ${key} starts at ${vals[i]?.start}`;
      st.last = key;
    }
    st.areas += x.n;
    return null;
  }
  if (root && x.n < 2) return 'an inner root with fewer than two children';
  for (let j = 0; j < x.n; j++) {
    const bound = x.keys[j]!;
    if (j > 0 && !(bound > st.last)) return `inner key ${bound} not above the keys before it (${st.last})`;
    const before = st.last;
    const problem = checkNode(x.kids![j]!, false, depth + 1, st);
    if (problem !== null) return problem;
    if (st.last === before) return `child ${j} at depth ${depth + 1} is empty`;
    const least = leastKey(x.kids![j]!);
    if (least < bound) return `inner key ${bound} above its child's least key ${least}`;
  }
  return null;
}

function leastKey(x: BusyNode): number {
  let y = x;
  while (y.kids !== null) y = y.kids[0]!;
  return y.keys[0]!;
}
