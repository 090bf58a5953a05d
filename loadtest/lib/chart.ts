/**
 * The chart of a compare run, rendered without a browser: a Vega-Lite spec
 * compiled to Vega, drawn to SVG by a headless vega View, and rasterised to
 * PNG by resvg (Rust, no Chromium, no canvas addon).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { CompareResults } from './results.js';

const MODE_ORDER = ['locked-walk', 'rcu-walk', 'snapshot'];
const COLORS = { domain: MODE_ORDER, range: ['#d62728', '#ff7f0e', '#2ca02c'] };
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** The Vega-Lite spec of the four panels for `r`. */
export function chartSpec(r: CompareResults): TopLevelSpec {
  const bare = r.baselines.http?.reqPerSec;
  const echo = r.baselines.grpc?.opsPerSec;
  const under = r.underLoad.map((u) => ({ mode: u.mode, reqPerSec: Math.round(u.meminfo.reqPerSec), p99: Math.max(0.001, u.meminfo.latency.p99) }));
  const scaling = r.scaling.map((s) => ({ mode: s.mode, areas: s.areas, reqPerSec: Math.max(1, Math.round(s.meminfo.reqPerSec)) }));
  const iso = r.isolation.flatMap((i) => [
    { mode: i.mode, run: 'writers alone', opsPerSec: Math.round(i.alone.opsPerSec) },
    { mode: i.mode, run: 'with /meminfo flood', opsPerSec: Math.round(i.withFlood.opsPerSec) },
  ]);
  // One shared legend for the modes (the scale is shared across panels, so its legend must be declared the same everywhere).
  const color = { field: 'mode', type: 'nominal', scale: COLORS, sort: MODE_ORDER, legend: { orient: 'bottom', title: 'read mode' } } as const;
  const barLabel = (field: string, format: string) => ({
    mark: { type: 'text', dy: -6, fontSize: 10, color: '#333' },
    encoding: {
      x: { field: 'mode', type: 'nominal', sort: MODE_ORDER },
      y: { field, type: 'quantitative' },
      text: { field, type: 'quantitative', format },
    },
  });
  const rule = (value: number | undefined, label: string) =>
    value === undefined
      ? []
      : [
          { data: { values: [{ v: value }] }, mark: { type: 'rule', strokeDash: [6, 4], color: '#555' }, encoding: { y: { field: 'v', type: 'quantitative' } } },
          {
            data: { values: [{ v: value, t: label }] },
            mark: { type: 'text', align: 'right', dy: -6, x: 'width', color: '#555', fontSize: 10 },
            encoding: { y: { field: 'v', type: 'quantitative' }, text: { field: 't' } },
          },
        ];
  const issue11 = issue11Row(r, color, barLabel);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `vmapd /meminfo read modes — ${r.startedAt}${r.settings.quick ? ' (quick run)' : ''}`, fontSize: 15 },
    config: { font: FONT, view: { stroke: '#ccc' }, axis: { labelFontSize: 11, titleFontSize: 11 } },
    background: 'white',
    vconcat: [
      {
        hconcat: [
          {
            title: `/meminfo req/s under write load (${r.settings.areasUnderLoad.toLocaleString('en-US')} areas)`,
            width: 300,
            height: 220,
            data: { values: under },
            layer: [
              {
                mark: 'bar',
                encoding: {
                  x: { field: 'mode', type: 'nominal', sort: MODE_ORDER, title: null, axis: { labelAngle: 0 } },
                  y: { field: 'reqPerSec', type: 'quantitative', title: 'req/s' },
                  color,
                },
              },
              barLabel('reqPerSec', ',d'),
              ...rule(bare, 'bare fastify route'),
            ],
          },
          {
            title: '/meminfo p99 latency under write load (ms, symlog)',
            width: 300,
            height: 220,
            data: { values: under },
            layer: [
              {
                mark: 'bar',
                encoding: {
                  x: { field: 'mode', type: 'nominal', sort: MODE_ORDER, title: null, axis: { labelAngle: 0 } },
                  // symlog, not log: bars start at 0, which a log scale cannot draw.
                  y: { field: 'p99', type: 'quantitative', scale: { type: 'symlog' }, title: 'p99 ms' },
                  color,
                },
              },
              { ...barLabel('p99', '.3~f'), encoding: { ...barLabel('p99', '.3~f').encoding, y: { field: 'p99', type: 'quantitative', scale: { type: 'symlog' } } } },
            ],
          },
        ],
      },
      {
        hconcat: [
          {
            title: '/meminfo req/s by live areas, no writers (log–log)',
            width: 300,
            height: 220,
            layer: [
              {
                data: { values: scaling },
                mark: { type: 'line', point: true },
                encoding: {
                  x: { field: 'areas', type: 'quantitative', scale: { type: 'log' }, title: 'live areas' },
                  y: { field: 'reqPerSec', type: 'quantitative', scale: { type: 'log' }, title: 'req/s' },
                  color,
                },
              },
              ...rule(bare, 'bare route'),
            ],
          },
          {
            title: 'writer ops/s, closed loop, with and without the flood',
            width: 300,
            height: 220,
            layer: [
              {
                data: { values: iso },
                mark: 'bar',
                encoding: {
                  x: { field: 'mode', type: 'nominal', sort: MODE_ORDER, title: null, axis: { labelAngle: 0 } },
                  xOffset: { field: 'run', type: 'nominal', sort: ['writers alone', 'with /meminfo flood'] },
                  y: { field: 'opsPerSec', type: 'quantitative', title: 'ops/s' },
                  color,
                  opacity: {
                    field: 'run',
                    type: 'ordinal',
                    sort: ['writers alone', 'with /meminfo flood'],
                    scale: { domain: ['writers alone', 'with /meminfo flood'], range: [0.45, 1] },
                    legend: { orient: 'bottom', title: null },
                  },
                },
              },
              ...rule(echo, 'bare gRPC echo'),
            ],
          },
        ],
      },
      ...issue11,
    ],
  } as TopLevelSpec;
}

/**
 * The third row, for runs that have phases 5 and 6: /meminfo p99 while
 * AllocBatch keeps the writer busy, per mode, against the 10 ms goal; and
 * /meminfo req/s by HTTP threads, vmapd against the bare route, no writers.
 * Neither uses a new colour scale: the modes' scale is shared by every panel.
 */
function issue11Row(r: CompareResults, color: object, barLabel: (field: string, format: string) => object): object[] {
  const busy = (r.writerBusy ?? []).map((b) => ({ mode: b.mode, p99: Math.max(0.001, b.meminfo.latency.p99) }));
  const threads = (r.threads ?? [])
    .filter((t) => t.load === 'none')
    .sort((a, b) => a.threads - b.threads || (a.server === 'vmapd' ? -1 : 1))
    .map((t) => ({ server: t.server, label: `${t.server === 'vmapd' ? 'vmapd' : 'bare'} × ${t.threads}`, reqPerSec: Math.round(t.meminfo.reqPerSec) }));
  if (busy.length === 0 && threads.length === 0) return [];
  const symlog = { type: 'symlog' } as const;
  const panels: object[] = [];
  if (busy.length > 0) {
    const label = barLabel('p99', '.3~f') as { mark: object; encoding: Record<string, unknown> };
    panels.push({
      title: `/meminfo p99, writer busy: AllocBatch of ${(r.settings.batchAreas ?? 10000).toLocaleString('en-US')} (ms, symlog)`,
      width: 300,
      height: 220,
      layer: [
        {
          data: { values: busy },
          mark: 'bar',
          encoding: {
            x: { field: 'mode', type: 'nominal', sort: MODE_ORDER, title: null, axis: { labelAngle: 0 } },
            y: { field: 'p99', type: 'quantitative', scale: symlog, title: 'p99 ms' },
            color,
          },
        },
        { ...label, data: { values: busy }, encoding: { ...label.encoding, y: { field: 'p99', type: 'quantitative', scale: symlog } } },
        { data: { values: [{ v: 10 }] }, mark: { type: 'rule', strokeDash: [6, 4], color: '#555' }, encoding: { y: { field: 'v', type: 'quantitative' } } },
        {
          data: { values: [{ v: 10, t: 'goal: 10 ms' }] },
          mark: { type: 'text', align: 'right', dy: -6, x: 'width', color: '#555', fontSize: 10 },
          encoding: { y: { field: 'v', type: 'quantitative' }, text: { field: 't' } },
        },
      ],
    });
  }
  if (threads.length > 0) {
    const order = threads.map((t) => t.label);
    panels.push({
      title: '/meminfo req/s by HTTP threads, no writers',
      width: 300,
      height: 220,
      data: { values: threads },
      layer: [
        {
          mark: 'bar',
          encoding: {
            x: { field: 'label', type: 'nominal', sort: order, title: 'server × HTTP threads', axis: { labelAngle: 0 } },
            y: { field: 'reqPerSec', type: 'quantitative', title: 'req/s' },
            // A fixed colour per server, not a scale: the modes' colour scale is shared by every panel.
            color: { condition: { test: "datum.server === 'bare'", value: '#8c8c8c' }, value: COLORS.range[2] },
          },
        },
        {
          mark: { type: 'text', dy: -6, fontSize: 10, color: '#333' },
          encoding: {
            x: { field: 'label', type: 'nominal', sort: order },
            y: { field: 'reqPerSec', type: 'quantitative' },
            text: { field: 'reqPerSec', type: 'quantitative', format: ',d' },
          },
        },
      ],
    });
  }
  return [{ hconcat: panels }];
}

/** The chart of `r` as SVG text and PNG bytes. */
export async function renderChart(r: CompareResults): Promise<{ spec: TopLevelSpec; svg: string; png: Buffer }> {
  const spec = chartSpec(r);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  const png = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: 2 },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  })
    .render()
    .asPng();
  return { spec, svg, png };
}
