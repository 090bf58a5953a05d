/**
 * The load test's bookkeeping, without timing anything: targets computed
 * from figures (goals at least, below, none; a missing figure is never a
 * pass), the report and chart of a results.json from before issue 11's
 * figures (a fixture: the sample committed before reader threads) rendering with those figures as not
 * measured, phase 7's target from a small run of that phase alone (the
 * phases left out rendering as not run), and the bare route on reusePort
 * threads answering on one port.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as vl from 'vega-lite';
import type { FloodResult } from '../../loadtest/meminfo-flood.js';
import type { WritersResult } from '../../loadtest/writers.js';
import { chartSpec } from '../../loadtest/lib/chart.js';
import { LOADTEST_DIST, PROJECT_ROOT } from '../../loadtest/lib/paths.js';
import { renderReport } from '../../loadtest/lib/report.js';
import type { CompareResults, PagesMeasurement } from '../../loadtest/lib/results.js';
import type { PageClientsResult } from '../../loadtest/page-clients.js';
import { startServerProcess, stopServerProcess } from '../../loadtest/lib/server-process.js';
import { evaluateTargets } from '../../loadtest/lib/targets.js';

const latency = (p99: number) => ({ count: 1000, mean: p99 / 4, p50: p99 / 4, p90: p99 / 2, p99, p999: p99 * 2, max: p99 * 3 });

function flood(reqPerSec: number, p99: number): FloodResult {
  return { url: 'http://127.0.0.1:1/meminfo', connections: 10, pipelining: 1, durationSec: 2, ok: reqPerSec * 2, non2xx: 0, errors: 0, timeouts: 0, reqPerSec, responseBytes: 300, latency: latency(p99), clientCores: 0.5 };
}

function writers(opsPerSec: number, batch?: number): WritersResult {
  return {
    kind: 'vmap',
    procs: 1,
    clients: batch === undefined ? 16 : 1,
    rate: 0,
    ...(batch === undefined ? {} : { batch }),
    ops: opsPerSec * 2,
    allocs: opsPerSec * (batch ?? 1),
    frees: 0,
    errors: {},
    durationSec: 2,
    opsPerSec,
    latency: latency(20),
    clientCores: 0.3,
  };
}

const cpu = { server: 0.5, machine: 1.3 };

/**
 * A run from before reader threads: the sample committed then, kept as a
 * fixture (the committed sample moves on with every new run).
 */
function sample(): CompareResults {
  return JSON.parse(readFileSync(join(PROJECT_ROOT, 'test', 'loadtest', 'fixtures', 'results-before-reader-threads.json'), 'utf8')) as CompareResults;
}

/** A run with issue 11's figures: snapshot p99 `busyP99` ms while the writer is kept busy. */
function withIssue11(busyP99: number): CompareResults {
  const r = sample();
  const settings = { ...r.settings, httpThreads: 1, threadCounts: [1, 2], batchAreas: 10000 };
  const snap = r.underLoad.find((u) => u.mode === 'snapshot')!;
  return {
    ...r,
    settings,
    bareUnderLoad: { threads: 1, areas: 100000, meminfo: flood(snap.meminfo.reqPerSec / 0.97, 2), writers: writers(500), cpu: { ...cpu, peer: 0.2 } },
    writerBusy: r.settings.modes.map((mode) => ({
      mode,
      areasBefore: 120000,
      areasAfter: 180000,
      meminfo: flood(9000, mode === 'snapshot' ? busyP99 : 200),
      batches: writers(3, 10000),
      cpu,
    })),
    threads: [1, 2].flatMap((threads) =>
      (['vmapd', 'bare'] as const).flatMap((server) =>
        (['none', 'writers'] as const).map((load) => ({
          server,
          threads,
          areas: 100000,
          load,
          meminfo: flood(server === 'vmapd' ? 10000 * threads : 12000 * threads, 1),
          ...(load === 'writers' ? { writers: writers(500) } : {}),
          cpu: server === 'bare' && load === 'writers' ? { ...cpu, peer: 0.2 } : cpu,
        })),
      ),
    ),
  };
}

/** The pages' figures of a run of phase 7. */
const pageClients: PageClientsResult = {
  pages: 10,
  mapBuckets: 1024,
  durationSec: 3,
  opened: 10,
  events: 310,
  historyEvents: 10,
  meminfoEvents: 300,
  eventsPerSecPerPage: 10,
  maps: 30,
  mapBytes: 20000,
  mapLatency: latency(8),
  reconnects: 0,
  errors: 0,
  errorSamples: [],
  clientCores: 0.1,
};

/**
 * A small run of phase 7 alone (`--phases pages`): /meminfo at `none` req/s
 * with no page open and `open` with ten (absent: that step failed).
 */
function pagesOnly(none: number, open: number | undefined): CompareResults {
  const measurement = (reqPerSec: number): PagesMeasurement => ({ meminfo: flood(reqPerSec, 2), writers: writers(500), cpu });
  return {
    startedAt: '2026-12-01T00:00:00.000Z',
    finishedAt: '2026-12-01T00:00:30.000Z',
    settings: {
      durationSec: 2,
      warmupSec: 0.5,
      modes: ['locked-walk', 'rcu-walk', 'snapshot'],
      areasUnderLoad: 100000,
      sizes: [1000, 10000, 100000],
      connections: 10,
      pipelining: 1,
      procs: 2,
      clients: 16,
      channelsPerProc: 1,
      writeRate: 500,
      seed: 1,
      quick: true,
      vmapdArgs: ['--store', 'memory'],
      httpThreads: 1,
      threadCounts: [1, 2],
      batchAreas: 10000,
      phases: ['pages'],
      pages: 10,
    },
    machine: { node: 'v24.0.0', platform: 'linux', cpus: 2, cpuModel: 'test', memGiB: 4, loadavg: [], gitCommit: 'test' },
    baselines: { bodyBytes: 0 },
    underLoad: [],
    scaling: [],
    isolation: [],
    writerBusy: [],
    threads: [],
    pages: {
      areas: 100000,
      pages: 10,
      mapBuckets: 1024,
      noPages: measurement(none),
      ...(open === undefined ? {} : { withPages: measurement(open), clients: pageClients }),
    },
    targets: [],
    failures: [],
  };
}

describe('load test targets', () => {
  it('a results.json from before issue 11 gives its new figures as not measured, never as a pass', () => {
    const byName = new Map(evaluateTargets(sample()).map((t) => [t.name, t]));
    for (const name of ['snapshot-vs-bare-route-same-load', 'snapshot-p99-writer-busy', 'http-threads-scaling', 'http-threads-vs-bare']) {
      const t = byName.get(name);
      assert.ok(t, name);
      assert.equal(t.measured, null, name);
      assert.equal(t.pass, null, name);
    }
    // Issue 5's, from the figures that run had.
    assert.equal(byName.get('snapshot-p99-vs-locked-walk')?.pass, true);
    assert.equal(byName.get('snapshot-vs-bare-route')?.pass, false);
  });

  it('a goal below a threshold passes under it; a figure without a goal is reported, never passed', () => {
    const t = (busyP99: number) => new Map(evaluateTargets(withIssue11(busyP99)).map((x) => [x.name, x]));
    assert.equal(t(9.5).get('snapshot-p99-writer-busy')?.pass, true);
    assert.equal(t(10).get('snapshot-p99-writer-busy')?.pass, false);
    const all = t(5);
    assert.equal(all.get('snapshot-p99-writer-busy')?.unit, 'ms');
    const same = all.get('snapshot-vs-bare-route-same-load')!;
    assert.ok(same.measured !== null && Math.abs(same.measured - 0.97) < 1e-9);
    assert.equal(same.pass, true);
    assert.equal(all.get('http-threads-scaling')?.measured, 2);
    assert.equal(all.get('http-threads-scaling')?.pass, null);
    assert.ok(Math.abs(all.get('http-threads-vs-bare')!.measured! - 10 / 12) < 1e-9);
    assert.equal(all.get('rcu-walk-p99-vs-locked-walk')?.goal, 'none');
  });
});

describe('the pages target (phase 7)', () => {
  const pagesTarget = (r: CompareResults) => evaluateTargets(r).find((t) => t.name === 'meminfo-with-pages-open');

  it('is /meminfo req/s with ten pages open ÷ with none, at least 0.95', () => {
    const pass = pagesTarget(pagesOnly(10000, 9600))!;
    assert.ok(pass.measured !== null && Math.abs(pass.measured - 0.96) < 1e-9);
    assert.equal(pass.goal, 'at-least');
    assert.equal(pass.threshold, 0.95);
    assert.equal(pass.pass, true);
    assert.equal(pass.detail, '9,600 ÷ 10,000 req/s');
    assert.equal(pagesTarget(pagesOnly(10000, 9400))?.pass, false);
  });

  it('is not measured when a measurement is missing, or in a run from before the phase', () => {
    for (const r of [pagesOnly(10000, undefined), sample()]) {
      const t = pagesTarget(r)!;
      assert.equal(t.measured, null);
      assert.equal(t.pass, null);
    }
  });

  it('renders its line, section 7, and the phases left out as not run', () => {
    const r = pagesOnly(10000, 9600);
    r.targets = evaluateTargets(r);
    const report = renderReport(r, 'chart.png');
    assert.match(report, /\| 13 \| snapshot \/meminfo req\/s with 10 pages of the live map open ÷ with none[^\n]*\| 0\.96 \(9,600 ÷ 10,000 req\/s\) \| ≥ 0\.95 \| \*\*pass\*\* \|/);
    assert.match(report, /## 7\. [^\n]*\n\n\| pages open \|/);
    assert.match(report, /\| 10 \| 9,600 \(0\.96×\)/);
    assert.match(report, /300 meminfo events \(10\.0 a second a page\), 30 maps of 1024 buckets/);
    for (const n of [1, 2, 3, 4, 5, 6]) assert.match(report, new RegExp(`## ${n}\\. [^\\n]*\\n\\nNot run: \`--phases\` left this phase out\\.`), `section ${n}`);
    assert.match(report, /\| 11 \| snapshot \/meminfo p99 while AllocBatch[^\n]*\| – \| < 10 ms \| not measured \|/);
    vl.compile(chartSpec(r));
  });

  it('says section 7 was not measured in a run from before it', () => {
    const r = sample();
    r.targets = evaluateTargets(r);
    assert.match(renderReport(r, 'chart.png'), /## 7\. [^\n]*\n\nNot measured: a run from before this phase existed\./);
  });
});

describe('load test report', () => {
  it('renders a results.json from before issue 11, its new sections saying so', () => {
    const r = sample();
    r.targets = evaluateTargets(r);
    const report = renderReport(r, 'chart.png');
    assert.match(report, /## 5\. [^\n]*\n\nNot measured: a run from before this phase existed\./);
    assert.match(report, /## 6\. [^\n]*\n\nNot measured: a run from before this phase existed\./);
    assert.match(report, /\| 11 \| snapshot \/meminfo p99 while AllocBatch[^\n]*\| – \| < 10 ms \| not measured \|/);
    assert.match(report, /before reader threads/);
    vl.compile(chartSpec(r));
  });

  it('renders every issue 11 figure when the run has them', () => {
    const r = withIssue11(4);
    r.targets = evaluateTargets(r);
    const report = renderReport(r, 'chart.png');
    assert.match(report, /bare route on 1 thread, same writers against vmapd/);
    assert.match(report, /\| vmapd --http-threads 2 \| 20,000 \(0\.83×\)/);
    assert.match(report, /\| snapshot \| 9,000 /);
    assert.match(report, /`--store memory --http-threads 1`/);
    assert.match(report, /\*\*Writer kept busy\*\*/);
    assert.match(report, /reported \(no goal\)/);
    const spec = chartSpec(r) as { vconcat: unknown[] };
    assert.equal(spec.vconcat.length, 3, 'a third row of panels');
    vl.compile(chartSpec(r));
  });
});

describe('bare route on reusePort threads', () => {
  it('answers on one port from two threads and stops on SIGTERM', async () => {
    const b = await startServerProcess(join(LOADTEST_DIST, 'baseline-server.js'), ['--threads', '2', '--body-bytes', '100'], 'baseline listening');
    try {
      for (let i = 0; i < 8; i++) {
        const res = await fetch(`${b.httpUrl}/meminfo`, { headers: { connection: 'close' } });
        assert.equal(res.status, 200);
        assert.equal((await res.text()).length, 100);
      }
    } finally {
      assert.equal(await stopServerProcess(b), 0);
    }
  });
});
