/**
 * The numbers over time: uPlot charts of the last five minutes of samples
 * from /v1/events (VmallocUsed, VmallocLazy and VmallocChunk in bytes; the
 * number of areas; writes/s and reads/s), and the current values as text.
 * Rates are the differences of consecutive samples over their `at`.
 */
import uPlot from 'uplot';
import type { Sample } from './api.js';
import { formatBytes, formatClock, formatCount, formatRate } from './format.js';

const WINDOW_MS = 5 * 60 * 1000;
const CHART_HEIGHT = 170;

interface ChartSpec {
  title: string;
  series: { label: string; colour: string; scale: string; value: (s: Sample, rate: Rates) => number | null }[];
  /** `least`: the smallest top of the scale (an empty chart still has sensible ticks). */
  axes: { scale: string; format: (v: number) => string; side: 1 | 3; least: number }[];
}

interface Rates {
  writes: number | null;
  reads: number | null;
}

const KB = 1024;

const SPECS: ChartSpec[] = [
  {
    title: 'Memory',
    series: [
      { label: 'VmallocUsed', colour: '#3867d6', scale: 'bytes', value: (s) => s.vmalloc_used_kb * KB },
      { label: 'VmallocLazy', colour: '#f0a020', scale: 'bytes', value: (s) => s.vmalloc_lazy_kb * KB },
      { label: 'VmallocChunk', colour: '#16a05a', scale: 'chunk', value: (s) => s.vmalloc_chunk_kb * KB },
    ],
    axes: [
      { scale: 'bytes', format: formatBytes, side: 3, least: 64 * 1024 },
      { scale: 'chunk', format: formatBytes, side: 1, least: 64 * 1024 },
    ],
  },
  {
    title: 'Areas',
    series: [
      { label: 'areas', colour: '#3867d6', scale: 'n', value: (s) => s.nr_areas },
      { label: 'lazy areas', colour: '#f0a020', scale: 'n', value: (s) => s.nr_lazy_areas },
    ],
    axes: [{ scale: 'n', format: formatTick, side: 3, least: 4 }],
  },
  {
    title: 'Rates',
    series: [
      { label: 'writes/s', colour: '#8e44ad', scale: 'rate', value: (_s, r) => r.writes },
      { label: 'reads/s', colour: '#0097a7', scale: 'rate', value: (_s, r) => r.reads },
    ],
    axes: [{ scale: 'rate', format: formatTick, side: 3, least: 2 }],
  },
];

/** An axis tick of a count or a rate: whole numbers grouped, fractions with one decimal. */
function formatTick(v: number): string {
  return Number.isInteger(v) ? formatCount(v) : v.toFixed(1);
}

function rateOf(prev: Sample | undefined, cur: Sample, key: 'writes' | 'reads'): number | null {
  if (!prev) return null;
  const dt = (cur.at - prev.at) / 1000;
  const dv = cur[key] - prev[key];
  if (!(dt > 0) || dv < 0) return null; // out of order, or the counter restarted
  return dv / dt;
}

export class Charts {
  /** The samples shown, oldest first (at most the last five minutes). */
  readonly samples: Sample[] = [];
  /** performance.now() of the last render that showed a new sample; null before any. */
  lastRenderAt: number | null = null;
  private readonly plots: uPlot[] = [];
  private readonly nowEl: HTMLElement;
  private scheduled = false;
  private onRendered: (() => void) | null = null;

  constructor(container: HTMLElement, nowEl: HTMLElement) {
    this.nowEl = nowEl;
    for (const spec of SPECS) {
      const box = document.createElement('div');
      box.className = 'chart';
      const h = document.createElement('h3');
      h.textContent = spec.title;
      box.append(h);
      container.append(box);
      const width = Math.max(240, box.clientWidth || 360);
      const scales: uPlot.Scales = {
        x: { time: true, range: (_u, min, max) => this.xRange(min, max) },
      };
      for (const a of spec.axes) scales[a.scale] = { range: (_u, min, max) => [0, Math.max(max, min, a.least) * 1.1] };
      const opts: uPlot.Options = {
        width,
        height: CHART_HEIGHT,
        scales,
        series: [
          { label: 'time', value: (_u, v) => (v === null || v === undefined ? '–' : formatClock(v * 1000)) },
          ...spec.series.map(
            (s): uPlot.Series => ({
              label: s.label,
              scale: s.scale,
              stroke: s.colour,
              width: 1.5,
              fill: `${s.colour}18`,
              spanGaps: false,
              points: { show: false },
              value: (_u, v) => (v === null || v === undefined ? '–' : spec.axes.find((a) => a.scale === s.scale)?.format(v) ?? String(v)),
            }),
          ),
        ],
        axes: [
          {
            stroke: '#5b6472',
            grid: { stroke: '#eef0f4' },
            ticks: { stroke: '#d5d9e0' },
            space: 70,
            values: (_u, splits) => splits.map((v) => formatClock(v * 1000)),
          },
          ...spec.axes.map(
            (a): uPlot.Axis => ({
              scale: a.scale,
              side: a.side,
              stroke: '#5b6472',
              size: 70,
              grid: { show: a.side === 3, stroke: '#eef0f4' },
              ticks: { stroke: '#d5d9e0' },
              values: (_u, splits) => splits.map((v) => a.format(v)),
            }),
          ),
        ],
        cursor: { drag: { x: false, y: false } },
        legend: { live: true },
      };
      const data: uPlot.AlignedData = [[], ...spec.series.map(() => [] as number[])];
      this.plots.push(new uPlot(opts, data, box));
    }
    // Resized a frame later: resizing inside the observer's callback could change what it observes.
    new ResizeObserver(() => requestAnimationFrame(() => this.resize())).observe(container);
    this.renderNow();
  }

  /** Called after each render that showed new samples. */
  onRender(fn: () => void): void {
    this.onRendered = fn;
  }

  private xRange(min: number, max: number): uPlot.Range.MinMax {
    const last = this.samples[this.samples.length - 1];
    if (!last) return [min, Math.max(max, min + 1)];
    const end = last.at / 1000;
    return [end - WINDOW_MS / 1000, end];
  }

  private resize(): void {
    for (const p of this.plots) {
      const box = p.root.parentElement;
      if (!box) continue;
      const w = Math.max(240, box.clientWidth);
      if (Math.abs(w - p.width) > 1) p.setSize({ width: w, height: CHART_HEIGHT });
    }
  }

  /** The samples of a `history` event: those newer than what is shown are added. */
  addHistory(samples: Sample[]): void {
    const sorted = [...samples].sort((a, b) => a.at - b.at);
    for (const s of sorted) this.push(s);
    this.schedule();
  }

  /** One live sample. */
  add(s: Sample): void {
    this.push(s);
    this.schedule();
  }

  private push(s: Sample): void {
    const last = this.samples[this.samples.length - 1];
    if (last && s.at <= last.at) return; // already shown (a history after a reconnect)
    this.samples.push(s);
    const cutoff = s.at - WINDOW_MS;
    let drop = 0;
    // Keep one sample older than the window: the first rate in it needs it.
    while (drop + 1 < this.samples.length && (this.samples[drop + 1]?.at ?? 0) < cutoff) drop++;
    if (drop > 0) this.samples.splice(0, drop);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      this.renderNow();
      this.lastRenderAt = performance.now();
      this.onRendered?.();
    };
    if (document.hidden) setTimeout(run, 250);
    else requestAnimationFrame(run);
  }

  private renderNow(): void {
    const xs: number[] = [];
    const rates: Rates[] = [];
    for (let i = 0; i < this.samples.length; i++) {
      const s = this.samples[i] as Sample;
      const prev = this.samples[i - 1];
      xs.push(s.at / 1000);
      rates.push({ writes: rateOf(prev, s, 'writes'), reads: rateOf(prev, s, 'reads') });
    }
    SPECS.forEach((spec, k) => {
      const ys = spec.series.map((ser) => this.samples.map((s, i) => ser.value(s, rates[i] as Rates)));
      this.plots[k]?.setData([xs, ...ys]);
    });
    this.renderText(rates[rates.length - 1]);
  }

  private renderText(rate: Rates | undefined): void {
    const s = this.samples[this.samples.length - 1];
    const rows: [string, string][] = s
      ? [
          ['VmallocTotal', formatBytes(s.vmalloc_total_kb * KB)],
          ['VmallocUsed', formatBytes(s.vmalloc_used_kb * KB)],
          ['VmallocLazy', formatBytes(s.vmalloc_lazy_kb * KB)],
          ['VmallocChunk', formatBytes(s.vmalloc_chunk_kb * KB)],
          ['areas', formatCount(s.nr_areas)],
          ['lazy areas', formatCount(s.nr_lazy_areas)],
          ['writes/s', formatRate(rate?.writes)],
          ['reads/s', formatRate(rate?.reads)],
          ['at', formatClock(s.at)],
        ]
      : [['samples', 'waiting for the event stream…']];
    const dl = document.createElement('dl');
    for (const [k, v] of rows) {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      dd.dataset.key = k;
      const pair = document.createElement('div');
      pair.append(dt, dd);
      dl.append(pair);
    }
    this.nowEl.replaceChildren(dl);
  }
}
