import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { checkBusyTree } from '../../src/vmap/busy-tree-check.js';
import { CAP } from '../../src/vmap/busy-tree-node.js';
import { BusyTree } from '../../src/vmap/busy-tree.js';
import { makeArea, type VmapArea } from '../../src/vmap/vmap-area.js';

/*
 * The busy index against the simplest model of it: a Map of start to area,
 * read in sorted order. Views (clones) are kept across later writes and must
 * still read exactly as the model did when they were taken; the tree's
 * structural invariants are checked after every step.
 */

type Op = { kind: 'set' | 'take' | 'clone'; key: number; tag: number };

const area = (start: number, tag: number): VmapArea => makeArea(start, 1 + (tag % 7), true, `c${tag}`, '', false, '');

/**
 * Everything `tree` answers, checked against `model`: its walks whole, get
 * and floor at every page from -1 to just past the greatest key (the floor
 * of a page between two leaves is where stale inner keys matter), and
 * `from` at each of `probes`.
 */
function agrees(tree: BusyTree, model: Map<number, VmapArea>, probes: readonly number[]): void {
  const sorted = [...model.keys()].sort((a, b) => a - b);
  assert.equal(tree.size, model.size);
  assert.deepEqual([...tree.from(-1)], sorted.map((k) => model.get(k)));
  const seen: VmapArea[] = [];
  tree.each((va) => seen.push(va));
  assert.deepEqual(seen, sorted.map((k) => model.get(k)));
  const last = sorted.length === 0 ? 0 : sorted[sorted.length - 1]!;
  let below: VmapArea | undefined;
  for (let p = -1, i = 0; p <= last + 1; p++) {
    if (i < sorted.length && sorted[i] === p) below = model.get(sorted[i++]!);
    assert.equal(tree.get(p), model.get(p), `get(${p})`);
    assert.equal(tree.floor(p), below, `floor(${p})`);
  }
  for (const p of probes) {
    assert.deepEqual(
      [...tree.from(p)].map((va) => va.start),
      sorted.filter((k) => k >= p),
      `from(${p})`,
    );
  }
}

/** A tree, its model, and the views kept of both. */
interface Replay {
  readonly tree: BusyTree;
  readonly model: Map<number, VmapArea>;
  readonly views: { tree: BusyTree; model: Map<number, VmapArea> }[];
}

/**
 * Applies `ops` to a new tree and its model, keeping at most `keepViews`
 * views, and checks the tree's invariants after every `checkEvery`-th op
 * and at every view taken.
 */
function replay(ops: readonly Op[], checkEvery: number, keepViews: number): Replay {
  const r: Replay = { tree: new BusyTree(), model: new Map(), views: [] };
  for (const [i, op] of ops.entries()) {
    if (op.kind === 'set') {
      const va = area(op.key, op.tag);
      r.tree.set(op.key, va);
      r.model.set(op.key, va);
    } else if (op.kind === 'take') {
      assert.equal(r.tree.take(op.key), r.model.get(op.key));
      r.model.delete(op.key);
    } else {
      assert.equal(checkBusyTree(r.tree), null);
      r.views.push({ tree: r.tree.clone(), model: new Map(r.model) });
      if (r.views.length > keepViews) r.views.shift();
    }
    if (i % checkEvery === 0) {
      const problem = checkBusyTree(r.tree);
      assert.equal(problem, null, problem ?? '');
    }
  }
  assert.equal(checkBusyTree(r.tree), null);
  return r;
}

/** Everything the tree and every kept view answer, against their models. */
function allAgree(r: Replay, probes: readonly number[]): void {
  agrees(r.tree, r.model, probes);
  for (const v of r.views) {
    assert.equal(checkBusyTree(v.tree), null);
    agrees(v.tree, v.model, probes);
  }
}

function run(ops: readonly Op[], keySpace: number): void {
  const r = replay(ops, 1, 4);
  allAgree(r, [-1, 0, 1, keySpace >> 1, keySpace - 1, keySpace, ...ops.slice(0, 40).map((o) => o.key), ...ops.slice(0, 40).map((o) => o.key + 1)]);
}

/** Ops over keys in [0, keySpace): sets and takes weighted to grow, shrink, or churn the tree. */
function opsArb(keySpace: number, maxLength: number): fc.Arbitrary<Op[]> {
  const op = fc.record({
    kind: fc.oneof({ weight: 6, arbitrary: fc.constant('set' as const) }, { weight: 5, arbitrary: fc.constant('take' as const) }, { weight: 1, arbitrary: fc.constant('clone' as const) }),
    key: fc.nat(keySpace - 1),
    tag: fc.nat(1000),
  });
  return fc.array(op, { maxLength });
}

describe('busy index (copy-on-write B+ tree) against a Map', () => {
  it('small trees: every lookup, walk and kept view agrees', () => {
    fc.assert(fc.property(opsArb(200, 400), (ops) => run(ops, 200)), { numRuns: 150 });
  });

  it('trees of several levels, splits and merges at capacity', () => {
    fc.assert(fc.property(opsArb(CAP * CAP * 2, 6000), (ops) => run(ops, CAP * CAP * 2)), { numRuns: 12 });
  });

  it('grows to three levels in order, then empties in random order, with views along the way', () => {
    const n = CAP * CAP * 3;
    const ops: Op[] = [];
    for (let k = 0; k < n; k++) {
      if (k % 997 === 0) ops.push({ kind: 'clone', key: 0, tag: 0 });
      ops.push({ kind: 'set', key: k * 3, tag: k });
    }
    const order = Array.from({ length: n }, (_, k) => k * 3);
    // A fixed shuffle (a linear congruential sequence), so the test is the same every run.
    let seed = 12345;
    for (let i = order.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const j = seed % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const [i, key] of order.entries()) {
      if (i % 1499 === 0) ops.push({ kind: 'clone', key: 0, tag: 0 });
      ops.push({ kind: 'take', key, tag: 0 });
    }
    // Checking the whole tree after each of 24k steps is slow; check it every 500 and at each view.
    const r = replay(ops, 500, Infinity);
    assert.equal(r.tree.size, 0);
    allAgree(r, [0, 1, 2, 3, 3000, 3001, n * 3]);
  });

  it('a tree built from ascending areas holds them, keeps its invariants, and takes writes and views after', () => {
    for (const n of [0, 1, 2, 47, 48, 49, 97, CAP * CAP, CAP * CAP * 3 + 5]) {
      const areas = Array.from({ length: n }, (_, i) => area(i * 5, i));
      const tree = BusyTree.fromAscending(areas);
      assert.equal(checkBusyTree(tree), null, `n=${n}`);
      const model = new Map(areas.map((va) => [va.start, va]));
      agrees(tree, model, [0, 4, 5, n * 5, n * 5 - 5, -1]);
      const view = tree.clone();
      const viewModel = new Map(model);
      // Writes all over it, then everything still agrees, the view unchanged.
      for (let i = 0; i < n; i += 3) {
        assert.equal(tree.take(i * 5), model.get(i * 5));
        model.delete(i * 5);
        const va = area(i * 5 + 2, i);
        tree.set(va.start, va);
        model.set(va.start, va);
      }
      assert.equal(checkBusyTree(tree), null, `n=${n} after writes`);
      agrees(tree, model, [0, 2, 7, n * 5]);
      agrees(view, viewModel, [0, 2, 5, n * 5]);
    }
  });

  it('the check fails on a broken tree', () => {
    const tree = new BusyTree();
    for (let k = 0; k < CAP * 4; k++) tree.set(k, area(k, k));
    assert.equal(checkBusyTree(tree), null);
    const leaf = tree.rootNode.kids![1]!;
    leaf.keys[0] = leaf.keys[1]!;
    assert.match(checkBusyTree(tree) ?? '', /not ascending|starts at/);
  });
});
